/// VideoModality (shared pieces in PipelineComponents, Modalities/Shared): video latents [B, C, F, h, w],
/// frame-by-frame VAE decode/encode and the text-to-video pipeline (diffusers' TextToVideoSDPipeline).
