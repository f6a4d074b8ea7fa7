import Foundation
import Networks
import Testing

@Suite struct ConfigDecodingTests {
    @Test func stableDiffusion15UNet() throws {
        let c = try decode(UNet2DConditionModelConfig.self, PublishedConfigs.sd15UNet)
        #expect(c.className == "UNet2DConditionModel")
        #expect(c.sampleSize == .int(64))
        #expect(c.blockOutChannels == [320, 640, 1280, 1280])
        #expect(c.headsPerBlock == [8, 8, 8, 8])
        #expect(c.crossAttentionDims == [768, 768, 768, 768])
        #expect(c.layersPerDownBlock == [2, 2, 2, 2])
        #expect(c.downBlockTypes.first == "CrossAttnDownBlock2D")
        // Absent keys take UNet2DConditionModel.__init__'s defaults.
        #expect(c.midBlockType == "UNetMidBlock2DCrossAttn")
        #expect(c.useLinearProjection == false)
        #expect(c.upcastAttention == false)
        #expect(c.transformerLayersPerBlock == .int(1))
        #expect(c.timeEmbeddingType == "positional")
        #expect(c.resnetTimeScaleShift == "default")
        #expect(c.classEmbedType == nil)
        #expect(c.timeEmbeddingWidth == 1280)
        #expect(try c.estimatedParameterCount() == 859_520_964)
    }

    @Test func stableDiffusion21UNet() throws {
        let c = try decode(UNet2DConditionModelConfig.self, PublishedConfigs.sd21UNet)
        #expect(c.attentionHeadDim == .list([5, 10, 20, 20]))
        #expect(c.headsPerBlock == [5, 10, 20, 20])
        #expect(c.useLinearProjection && c.upcastAttention)
        #expect(c.numClassEmbeds == nil)
        #expect(try c.estimatedParameterCount() == 865_910_724)
    }

    @Test func audioLDMUNet() throws {
        let c = try decode(UNet2DConditionModelConfig.self, PublishedConfigs.audioLDMUNet)
        #expect(c.crossAttentionDim == .list([128, 256, 384, 640]))
        #expect(c.classEmbedType == "simple_projection")
        #expect(c.classEmbeddingsConcat)
        #expect(c.projectionClassEmbeddingsInputDim == 512)
        #expect(c.inChannels == 8)
        #expect(try c.estimatedParameterCount() == 185_036_552)
    }

    @Test func textToVideoUNet3D() throws {
        let c = try decode(UNet3DConditionModelConfig.self, PublishedConfigs.textToVideoUNet)
        #expect(c.attentionHeadDim == 64)
        #expect(c.crossAttentionDim == 1024)
        #expect(c.upBlockTypes.last == "CrossAttnUpBlock3D")
        #expect(try c.estimatedParameterCount() == 1_411_233_860)
    }

    @Test func stableDiffusion15VAE() throws {
        let c = try decode(AutoencoderKLConfig.self, PublishedConfigs.sd15VAE)
        #expect(c.latentChannels == 4)
        #expect(c.scalingFactor == 0.18215)                 // default
        #expect(c.downsamplingFactor == 8)
        #expect(c.useQuantConv && c.usePostQuantConv && c.midBlockAddAttention)
        #expect(c.shiftFactor == nil)
        #expect(try c.estimatedParameterCount() == 83_653_863)
    }

    @Test func stableDiffusion15TextEncoder() throws {
        let c = try decode(CLIPTextConfig.self, PublishedConfigs.sd15TextEncoder)
        #expect(c.hiddenSize == 768)
        #expect(c.numHiddenLayers == 12)
        #expect(c.numAttentionHeads == 12)
        #expect(c.vocabSize == 49408)
        #expect(c.hiddenAct == "quick_gelu")
        #expect(c.eosTokenId == 2)
        #expect(!c.hasProjection)
        #expect(try c.estimatedParameterCount() == 123_060_480)
    }

    @Test func stableDiffusion2TextEncoderDefaults() throws {
        // OpenCLIP ViT-H text tower as SD 2.x ships it (340,387,840 parameters).
        let c = try decode(CLIPTextConfig.self, """
            {"architectures": ["CLIPTextModel"], "hidden_act": "gelu", "hidden_size": 1024, "intermediate_size": 4096,
             "num_attention_heads": 16, "num_hidden_layers": 23, "projection_dim": 512}
            """)
        #expect(c.maxPositionEmbeddings == 77 && c.vocabSize == 49408)   // defaults
        #expect(try c.estimatedParameterCount() == 340_387_840)
    }

    @Test func stableDiffusion15Scheduler() throws {
        let c = try decode(SchedulerConfig.self, PublishedConfigs.sd15Scheduler, path: "scheduler_config.json")
        #expect(c.className == "PNDMScheduler")
        #expect(c.numTrainTimesteps == 1000)
        #expect(c.betaSchedule == "scaled_linear")
        #expect(c.betaStart == 0.00085 && c.betaEnd == 0.012)
        #expect(c.trainedBetas == nil)
        #expect(c.stepsOffset == 1)
        #expect(c.skipPrkSteps && !c.setAlphaToOne && !c.clipSample)
        #expect(c.predictionType == "epsilon")             // default
        #expect(c.timestepSpacing == "leading")            // PNDMScheduler's default
        #expect(!c.rescaleBetasZeroSnr)
        #expect(SchedulerConfig.fileName == "scheduler_config.json")
    }

    @Test func schedulerDefaultsFollowTheClass() throws {
        let ddim = try decode(SchedulerConfig.self, #"{"_class_name": "DDIMScheduler"}"#)
        #expect(ddim.setAlphaToOne && ddim.clipSample && ddim.timestepSpacing == "leading")
        let euler = try decode(SchedulerConfig.self, #"{"_class_name": "EulerDiscreteScheduler", "prediction_type": "v_prediction"}"#)
        #expect(!euler.setAlphaToOne && !euler.clipSample && euler.timestepSpacing == "linspace")
        #expect(euler.predictionType == "v_prediction")
        let betas = try decode(SchedulerConfig.self, #"{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2, 0.3]}"#)
        #expect(betas.trainedBetas == [0.1, 0.2, 0.3])
    }

    /// diffusers saves `-Infinity` (Python's json literal) in every DPM-Solver config.
    @Test func pythonNonFiniteLiteralsAreAccepted() throws {
        let dpm = try decode(SchedulerConfig.self, #"""
            {"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "sample_max_value": Infinity,
             "note": "NaN and -Infinity stay text in strings \" NaN", "prediction_type": "v_prediction"}
            """#)
        #expect(dpm.predictionType == "v_prediction")
        #expect(throws: ConfigError.self) { try decode(SchedulerConfig.self, #"{"num_train_timesteps": -Infinite}"#) }
    }

    @Test func modelIndex() throws {
        let index = try JSONDecoder().decode(ModelIndex.self, from: Data(PublishedConfigs.sd15ModelIndex.utf8))
        #expect(index.className == "StableDiffusionPipeline")
        #expect(index.diffusersVersion == "0.6.0")
        #expect(index.components.map(\.name) == ["feature_extractor", "safety_checker", "scheduler", "text_encoder", "tokenizer", "unet", "vae"])
        #expect(index.component("unet") == .init(name: "unet", library: "diffusers", className: "UNet2DConditionModel"))
        #expect(index.component("safety_checker")?.library == "stable_diffusion")
    }

    @Test func modelIndexWithNullComponentsAndOptions() throws {
        let index = try JSONDecoder().decode(ModelIndex.self, from: Data("""
            {"_class_name": "StableDiffusionPipeline", "requires_safety_checker": false,
             "safety_checker": [null, null], "image_encoder": null, "unet": ["diffusers", "UNet2DConditionModel"]}
            """.utf8))
        #expect(index.components.map(\.name) == ["image_encoder", "safety_checker", "unet"])
        #expect(index.component("safety_checker")?.isPresent == false)
        #expect(index.component("image_encoder")?.isPresent == false)
        #expect(index.component("requires_safety_checker") == nil)
        #expect(index.diffusersVersion == nil)
    }

    @Test func unknownKeysAreIgnored() throws {
        let c = try decode(AutoencoderKLConfig.self, #"{"some_future_option": {"nested": [1, 2]}, "latent_channels": 16}"#)
        #expect(c.latentChannels == 16)
        #expect(c.blockOutChannels == [64])                   // default
    }

    @Test func nullKeepsItsMeaning() throws {
        // JSON null for mid_block_type means "no mid block", unlike an absent key.
        let c = try decode(UNet2DConditionModelConfig.self, #"{"mid_block_type": null}"#)
        #expect(c.midBlockType == nil)
        #expect(try decode(UNet2DConditionModelConfig.self, "{}").midBlockType == "UNetMidBlock2DCrossAttn")
    }

    @Test func roundTripsThroughEncodable() throws {
        let c = try decode(UNet2DConditionModelConfig.self, PublishedConfigs.sd21UNet)
        let again = try JSONDecoder().decode(UNet2DConditionModelConfig.self, from: JSONEncoder().encode(c))
        #expect(again == c)
    }

    @Test func tinyFixtureConfigs() throws {
        let unet = try UNet2DConditionModelConfig.load(contentsOf: tinySD.appendingPathComponent("unet/config.json"))
        #expect(unet.blockOutChannels == [8, 16])
        #expect(unet.crossAttentionDims == [16, 16])
        #expect(unet.normNumGroups == 4)
        #expect(unet.headsPerBlock == [2, 2])
        let vae = try AutoencoderKLConfig.load(contentsOf: tinySD.appendingPathComponent("vae/config.json"))
        #expect(vae.blockOutChannels == [8, 16] && vae.latentChannels == 4)
        let text = try CLIPTextConfig.load(contentsOf: tinySD.appendingPathComponent("text_encoder/config.json"))
        #expect(text.hiddenSize == 16 && text.numHiddenLayers == 2)
        let scheduler = try SchedulerConfig.load(contentsOf: tinySD.appendingPathComponent("scheduler/scheduler_config.json"))
        #expect(scheduler.className == "DDIMScheduler")
        #expect(!scheduler.setAlphaToOne && scheduler.stepsOffset == 1)
    }
}
