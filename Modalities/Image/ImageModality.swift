/// ImageModality: image latents, VAE decode/encode and the text-to-image pipeline.
