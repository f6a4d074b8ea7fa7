/// ImageModality (shared pieces in PipelineComponents, Modalities/Shared): image latents, VAE decode/encode and the text-to-image pipeline.
