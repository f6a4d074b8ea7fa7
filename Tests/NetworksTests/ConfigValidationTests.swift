import Foundation
import Networks
import Testing

/// Expects decoding `json` as `T` to throw a `ConfigError` about `field` whose reason contains
/// `reason`, with the file named and the whole message on one line.
func expectConfigError<T: DiffusersConfig>(_ type: T.Type, _ json: String, field: String, _ reason: String,
                                           memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory,
                                           sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let config = try decode(type, json, path: "model/unet/config.json", memoryLimit: memoryLimit)
        Issue.record("accepted: \(config)", sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        #expect(error.path == "model/unet/config.json", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
        #expect(error.reason.contains(reason), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description == "model/unet/config.json: \(field.isEmpty ? "" : field + ": ")\(error.reason)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct ConfigValidationTests {
    @Test func negativeSizes() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"block_out_channels": [320, -640, 1280, 1280]}"#,
                          field: "block_out_channels[1]", "-640 must be positive")
        expectConfigError(AutoencoderKLConfig.self, #"{"latent_channels": -4}"#, field: "latent_channels", "-4 must be positive")
        expectConfigError(CLIPTextConfig.self, #"{"num_hidden_layers": -1}"#, field: "num_hidden_layers", "-1 must be positive")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"downsample_padding": -1}"#, field: "downsample_padding", "must not be negative")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"attention_head_dim": [8, 8, -8, 8]}"#, field: "attention_head_dim[2]", "must be positive")
    }

    @Test func zeroSizes() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"in_channels": 0}"#, field: "in_channels", "0 must be positive")
        expectConfigError(UNet3DConditionModelConfig.self, #"{"layers_per_block": 0}"#, field: "layers_per_block", "0 must be positive")
        expectConfigError(CLIPTextConfig.self, #"{"vocab_size": 0}"#, field: "vocab_size", "0 must be positive")
        expectConfigError(SchedulerConfig.self, #"{"num_train_timesteps": 0}"#, field: "num_train_timesteps", "0 must be positive")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"block_out_channels": [], "down_block_types": [], "up_block_types": []}"#,
                          field: "block_out_channels", "must not be empty")
        expectConfigError(AutoencoderKLConfig.self, #"{"scaling_factor": 0}"#, field: "scaling_factor", "must be a positive number")
    }

    @Test func listLengthsThatDisagree() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"block_out_channels": [320, 640]}"#,
                          field: "down_block_types", "has 4 entries but block_out_channels has 2")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"]}"#,
                          field: "up_block_types", "has 2 entries but block_out_channels has 4")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"cross_attention_dim": [768, 768]}"#,
                          field: "cross_attention_dim", "has 2 entries but block_out_channels has 4")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"only_cross_attention": [false]}"#,
                          field: "only_cross_attention", "has 1 entries but block_out_channels has 4")
        expectConfigError(AutoencoderKLConfig.self, #"{"latents_mean": [0, 0]}"#,
                          field: "latents_mean", "has 2 entries but latent_channels has 4")
        expectConfigError(SchedulerConfig.self, #"{"num_train_timesteps": 4, "trained_betas": [0.1, 0.2]}"#,
                          field: "trained_betas", "has 2 entries but num_train_timesteps has 4")
    }

    @Test func channelsThatDoNotDivide() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"norm_num_groups": 24}"#,
                          field: "block_out_channels[0]", "320 channels are not divisible by norm_num_groups 24")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"attention_head_dim": 7}"#,
                          field: "block_out_channels[0]", "320 channels do not split into attention_head_dim 7 heads")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"num_attention_heads": [5, 10, 20, 30]}"#,
                          field: "block_out_channels[3]", "do not split into num_attention_heads 30 heads")
        expectConfigError(CLIPTextConfig.self, #"{"hidden_size": 768, "num_attention_heads": 10}"#,
                          field: "hidden_size", "768 channels do not split into num_attention_heads 10 heads")
        expectConfigError(AutoencoderKLConfig.self, #"{"block_out_channels": [60]}"#,
                          field: "block_out_channels[0]", "not divisible by norm_num_groups 32")
    }

    @Test func unrecognisedNamesListTheValidOnes() {
        expectConfigError(UNet2DConditionModelConfig.self,
                          #"{"down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock3D"]}"#,
                          field: "down_block_types[3]", #""DownBlock3D" is not recognised (valid: CrossAttnDownBlock2D, DownBlock2D)"#)
        expectConfigError(UNet2DConditionModelConfig.self, #"{"act_fn": "tanh"}"#,
                          field: "act_fn", "(valid: silu, swish, mish, gelu, relu)")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"class_embed_type": "label"}"#,
                          field: "class_embed_type", "(valid: null, timestep, identity, projection, simple_projection)")
        expectConfigError(SchedulerConfig.self, #"{"beta_schedule": "cosine"}"#,
                          field: "beta_schedule", "(valid: linear, scaled_linear, squaredcos_cap_v2)")
        expectConfigError(SchedulerConfig.self, #"{"prediction_type": "eps"}"#,
                          field: "prediction_type", "(valid: epsilon, v_prediction, sample)")
        expectConfigError(SchedulerConfig.self, #"{"timestep_spacing": "uniform"}"#,
                          field: "timestep_spacing", "(valid: leading, linspace, trailing)")
        expectConfigError(CLIPTextConfig.self, #"{"hidden_act": "swiglu"}"#, field: "hidden_act", "(valid: quick_gelu, gelu")
        expectConfigError(AutoencoderKLConfig.self, #"{"up_block_types": ["UpBlock2D"]}"#,
                          field: "up_block_types[0]", "(valid: UpDecoderBlock2D)")
    }

    @Test func giganticSizesExceedMemory() {
        // 10⁶ channels: ~10¹⁶ parameters, more than any machine holds.
        expectConfigError(UNet2DConditionModelConfig.self, #"{"block_out_channels": [1000000, 2000000, 4000000, 4000000]}"#,
                          field: "model size", "more than this machine's")
        expectConfigError(CLIPTextConfig.self, #"{"vocab_size": 100000000000, "hidden_size": 1024}"#,
                          field: "model size", "more than this machine's")
        // The limit is the machine's physical memory unless given: SD 1.5's UNet needs 3.4 GB.
        expectConfigError(UNet2DConditionModelConfig.self, PublishedConfigs.sd15UNet, field: "model size",
                          "859,520,964 parameters (3.2 GiB as Float32), more than this machine's 2.0 GiB", memoryLimit: 2 << 30)
        #expect(throws: Never.self) { try decode(UNet2DConditionModelConfig.self, PublishedConfigs.sd15UNet, memoryLimit: 4 << 30) }
    }

    @Test func sizesThatOverflowAreErrorsNotTraps() {
        let huge = 1 << 62
        expectConfigError(UNet2DConditionModelConfig.self,
                          #"{"block_out_channels": [\#(huge), \#(huge), \#(huge), \#(huge)], "norm_num_groups": 1, "attention_head_dim": 1}"#,
                          field: "block_out_channels[0]", "too large")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"layers_per_block": 4000000000000000000}"#,
                          field: "model size", "overflow")
        expectConfigError(CLIPTextConfig.self, #"{"num_hidden_layers": 9000000000000000000}"#, field: "model size", "overflow")
        expectConfigError(AutoencoderKLConfig.self, #"{"layers_per_block": 9223372036854775807}"#, field: "model size", "overflow")
    }

    @Test func typesAndJSON() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"in_channels": "four"}"#, field: "in_channels", "expected an integer")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"in_channels": 4.5}"#, field: "in_channels", "expected an integer")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"block_out_channels": [320.5]}"#, field: "block_out_channels", "expected a list of integers")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"in_channels": null}"#, field: "in_channels", "is null, expected an integer")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"attention_head_dim": "8"}"#, field: "attention_head_dim", "expected an integer or a list of integers")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"in_channels": 4"#, field: "", "not valid JSON")
        expectConfigError(UNet2DConditionModelConfig.self, "[4]", field: "", "expected a JSON object")
    }

    @Test func schedulerRanges() {
        expectConfigError(SchedulerConfig.self, #"{"beta_start": 0.02, "beta_end": 0.01}"#, field: "beta_end", "below beta_start")
        expectConfigError(SchedulerConfig.self, #"{"beta_end": 1.5}"#, field: "beta_end", "1.5 is not in (0, 1)")
        expectConfigError(SchedulerConfig.self, #"{"num_train_timesteps": 2, "trained_betas": [0.1, 1.0]}"#,
                          field: "trained_betas[1]", "1.0 is not in (0, 1)")
        expectConfigError(SchedulerConfig.self, #"{"steps_offset": -1}"#, field: "steps_offset", "must not be negative")
    }

    @Test func unsupportedOptions() {
        expectConfigError(UNet2DConditionModelConfig.self, #"{"dual_cross_attention": true}"#, field: "dual_cross_attention", "not supported")
        expectConfigError(UNet3DConditionModelConfig.self, #"{"num_attention_heads": 8}"#, field: "num_attention_heads", "must be null")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"class_embed_type": "projection"}"#,
                          field: "projection_class_embeddings_input_dim", "is required")
        expectConfigError(UNet2DConditionModelConfig.self, #"{"conv_in_kernel": 4}"#, field: "conv_in_kernel", "must be odd")
    }

    @Test func loadNamesAMissingFile() {
        let url = tinySD.appendingPathComponent("unet/no-such-config.json")
        #expect(throws: ConfigError(path: url.path, field: "", "no such file")) {
            try UNet2DConditionModelConfig.load(contentsOf: url)
        }
    }
}
