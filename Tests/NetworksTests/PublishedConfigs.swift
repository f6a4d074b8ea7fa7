import Foundation
import Networks

/// Config files as published on the Hugging Face Hub (copied verbatim, key order kept), used to
/// check decoding and the parameter estimates. Counts were printed by the reference:
///
///     with torch.device("meta"):
///         m = UNet2DConditionModel.from_config(json.load(open("unet/config.json")))
///     print(sum(p.numel() for p in m.parameters()))
///
/// with diffusers 0.42.1 / transformers 5.23 (tools/fixtures/requirements.txt).
enum PublishedConfigs {
    /// stable-diffusion-v1-5/stable-diffusion-v1-5 `model_index.json`.
    static let sd15ModelIndex = """
        {
          "_class_name": "StableDiffusionPipeline",
          "_diffusers_version": "0.6.0",
          "feature_extractor": ["transformers", "CLIPImageProcessor"],
          "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
          "scheduler": ["diffusers", "PNDMScheduler"],
          "text_encoder": ["transformers", "CLIPTextModel"],
          "tokenizer": ["transformers", "CLIPTokenizer"],
          "unet": ["diffusers", "UNet2DConditionModel"],
          "vae": ["diffusers", "AutoencoderKL"]
        }
        """

    /// stable-diffusion-v1-5 `unet/config.json` (859,520,964 parameters).
    static let sd15UNet = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.6.0",
          "act_fn": "silu",
          "attention_head_dim": 8,
          "block_out_channels": [320, 640, 1280, 1280],
          "center_input_sample": false,
          "cross_attention_dim": 768,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "downsample_padding": 1,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "out_channels": 4,
          "sample_size": 64,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        }
        """

    /// stable-diffusion-v1-5 `vae/config.json` (83,653,863 parameters).
    static let sd15VAE = """
        {
          "_class_name": "AutoencoderKL",
          "_diffusers_version": "0.6.0",
          "act_fn": "silu",
          "block_out_channels": [128, 256, 512, 512],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
          "in_channels": 3,
          "latent_channels": 4,
          "layers_per_block": 2,
          "norm_num_groups": 32,
          "out_channels": 3,
          "sample_size": 512,
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
        }
        """

    /// stable-diffusion-v1-5 `text_encoder/config.json` (openai/clip-vit-large-patch14's text
    /// tower, 123,060,480 parameters).
    static let sd15TextEncoder = """
        {
          "_name_or_path": "openai/clip-vit-large-patch14",
          "architectures": ["CLIPTextModel"],
          "attention_dropout": 0.0,
          "bos_token_id": 0,
          "dropout": 0.0,
          "eos_token_id": 2,
          "hidden_act": "quick_gelu",
          "hidden_size": 768,
          "initializer_factor": 1.0,
          "initializer_range": 0.02,
          "intermediate_size": 3072,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 77,
          "model_type": "clip_text_model",
          "num_attention_heads": 12,
          "num_hidden_layers": 12,
          "pad_token_id": 1,
          "projection_dim": 768,
          "torch_dtype": "float32",
          "transformers_version": "4.22.0.dev0",
          "vocab_size": 49408
        }
        """

    /// stable-diffusion-v1-5 `scheduler/scheduler_config.json`.
    static let sd15Scheduler = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.6.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """

    /// stabilityai/stable-diffusion-2-1 `unet/config.json` (865,910,724 parameters).
    static let sd21UNet = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.10.0.dev0",
          "act_fn": "silu",
          "attention_head_dim": [5, 10, 20, 20],
          "block_out_channels": [320, 640, 1280, 1280],
          "center_input_sample": false,
          "cross_attention_dim": 1024,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 4,
          "sample_size": 96,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
          "upcast_attention": true,
          "use_linear_projection": true
        }
        """

    /// cvssp/audioldm-s-full-v2 `unet/config.json` (185,036,552 parameters).
    static let audioLDMUNet = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.15.0.dev0",
          "act_fn": "silu",
          "attention_head_dim": 8,
          "block_out_channels": [128, 256, 384, 640],
          "center_input_sample": false,
          "class_embed_type": "simple_projection",
          "class_embeddings_concat": true,
          "cross_attention_dim": [128, 256, 384, 640],
          "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 8,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 8,
          "projection_class_embeddings_input_dim": 512,
          "resnet_time_scale_shift": "default",
          "sample_size": 128,
          "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
          "upcast_attention": false,
          "use_linear_projection": false
        }
        """

    /// ali-vilab/text-to-video-ms-1.7b `unet/config.json` (1,411,233,860 parameters).
    static let textToVideoUNet = """
        {
          "_class_name": "UNet3DConditionModel",
          "_diffusers_version": "0.15.0.dev0",
          "act_fn": "silu",
          "attention_head_dim": 64,
          "block_out_channels": [320, 640, 1280, 1280],
          "cross_attention_dim": 1024,
          "down_block_types": ["CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"],
          "downsample_padding": 1,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "out_channels": 4,
          "sample_size": 32,
          "up_block_types": ["UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"]
        }
        """
}

/// Decodes `json` as config type `T`, named `path` in errors.
func decode<T: DiffusersConfig>(_ type: T.Type, _ json: String, path: String = "config.json",
                                memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) throws -> T {
    try T.decode(Data(json.utf8), path: path, memoryLimit: memoryLimit)
}

/// `Tests/Fixtures/tiny-sd`, written by tools/fixtures/make_tiny_pipelines.py.
let tinySD = Fixtures.folder.appendingPathComponent("tiny-sd")
