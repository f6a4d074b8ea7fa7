import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import SafeTensors
import Tensors
import Tokenizers

/// What one run produced.
public struct ImageResult: Sendable {
    /// One image per batch item, quantised as diffusers' `numpy_to_pil`.
    public var images: [RGBImage]
    /// The same images in [0, 1] before quantisation (diffusers' `output_type="np"`, but
    /// channel-first), [B, 3, H, W].
    public var pixels: Tensor
    /// The final latents (diffusers' `output_type="latent"`), [B, C, h, w].
    public var latents: Tensor
    /// The settings actually used.
    public var settings: ResolvedImageSettings
    /// The text truncation dropped from the prompt (empty when it fit).
    public var droppedPrompt: String
    /// The text truncation dropped from the negative prompt (empty when it fit or was not used).
    public var droppedNegativePrompt: String
}

/// A request's settings once the model's defaults are filled in.
public struct ResolvedImageSettings: Sendable, Equatable {
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int
    /// The sampler run.
    public var sampler: SamplerName
    /// Whether Karras σ were used.
    public var karras: Bool
    /// Steps actually run (img2img: `⌊steps · strength⌋`).
    public var stepsRun: Int
}

/// diffusers' `StableDiffusionPipeline` and `StableDiffusionImg2ImgPipeline` (0.42.1) over
/// DiffusionCore's one loop: `encode_prompt` ([uncond; cond] for guidance, the negative prompt or
/// ""), `prepare_latents` (`randn_tensor(shape, generator)` for the whole batch in one draw;
/// img2img: VAE posterior sample, then the noise), the scheduler loop with classifier-free
/// guidance, VAE decode and postprocess.
///
/// Same seed, sampler, steps and guidance give diffusers' image (Tests/ImageModalityTests,
/// fixture from tools/fixtures/fx_sd_pipeline.py). Limitations: no init-image resizing, no
/// safety checker.
public struct StableDiffusionPipeline: Sendable {
    /// The text encoder (tokenizer + CLIP).
    public let textEncoder: any PromptEncoding
    /// The denoising network.
    public let unet: any NoisePredicting
    /// Latent geometry and the VAE.
    public let adapter: ImageAdapter
    /// The scheduler config as DiffusionCore pieces.
    public let scheduler: SchedulerMapping

    /// A pipeline from loaded components.
    public init(textEncoder: any PromptEncoding, unet: any NoisePredicting, adapter: ImageAdapter,
                scheduler: SchedulerMapping) {
        self.textEncoder = textEncoder
        self.unet = unet
        self.adapter = adapter
        self.scheduler = scheduler
    }

    /// Loads a diffusers Stable Diffusion folder (`model_index.json` with `unet`, `vae`,
    /// `text_encoder` (CLIP, or BERT for Diffuse's default models), `tokenizer`, `scheduler`), strictly (a missing or misshapen weight is an
    /// error naming its key); `loadUNet` builds the network from the `unet` component, `loading`
    /// the text encoder and the VAE.
    public init(folder url: URL, loading: WeightLoading = WeightLoading(),
                loadUNet: (ModelComponent) throws -> any NoisePredicting) throws {
        let folder = try ModelFolder(url)
        let unetComponent = try folder.requiredComponent("unet", expected: "UNet2DConditionModel")
        guard case let .unet2DCondition(unetConfig) = unetComponent.config else {
            throw PipelineError.missingComponent(folder: url.path, name: "unet", expected: "UNet2DConditionModel")
        }
        let vaeComponent = try folder.requiredComponent("vae", expected: "AutoencoderKL")
        let schedulerConfig = try folder.schedulerConfig()
        let vae = try AutoencoderKL(folder: vaeComponent.url, loading: loading)
        let size = IntOrList.defaultPixelSize(unetConfig.sampleSize, fallback: 64, factor: vae.config.downsamplingFactor)
        self.init(textEncoder: try folder.promptEncoder(loading: loading),
                  unet: try loadUNet(unetComponent),
                  adapter: ImageAdapter(vae: vae, defaultWidth: size.width, defaultHeight: size.height),
                  scheduler: try SchedulerMapping(schedulerConfig))
    }

    /// The sampler and Karras choice `request` resolves to, and its schedule.
    public func sampling(for request: ImageRequest) throws -> (sampler: SamplerName, karras: Bool, schedule: DiscreteSchedule) {
        try scheduler.sampling(sampler: request.sampler, karras: request.karras)
    }

    /// Runs `request`: text embeddings, noise from `TorchGenerator(seed: request.seed)`, the
    /// sampler loop (`observe` sees every model evaluation; throw from it to cancel), VAE decode.
    public func generate(_ request: ImageRequest, observe: (SamplerStep) throws -> Void = { _ in }) throws -> ImageResult {
        try request.validate()
        let (width, height) = try adapter.size(for: request)
        let shape = try adapter.latentShape(for: request)                              // [B, C, h, w]
        let (samplerName, karras, discrete) = try sampling(for: request)
        let schedule = try discrete.schedule(steps: request.steps)
        let stepsRun = request.initImage == nil ? request.steps : try stepsKept(steps: request.steps, strength: request.strength).kept

        // As diffusers' `encode_prompt`, clip_skip applies to the prompt only, and the negative
        // prompt is encoded only when guidance runs (scale > 1).
        let cond = try textEncoder(clipSkip: request.clipSkip).encode(request.prompt)
        let uncond = request.guidanceScale > 1 ? try textEncoder.encode(request.negativePrompt) : cond
        let conditioning = Conditioning(["encoder_hidden_states": repeatedAlongBatch(cond.hiddenStates, request.count)])     // [B, L, D]
        let unconditional = Conditioning(["encoder_hidden_states": repeatedAlongBatch(uncond.hiddenStates, request.count)]) // [B, L, D]

        let unet = self.unet
        let model = ModelDenoiser(prediction: scheduler.prediction, training: scheduler.training) { x, t, c in
            guard let states = c["encoder_hidden_states"] else {
                throw PipelineError.invalidValue("conditioning", "{}", "encoder_hidden_states is missing")
            }
            return try unet.predict(x, timestep: t, encoderHiddenStates: states)
        }
        let guided = try ClassifierFreeGuidance(model, scale: request.guidanceScale, rescale: request.guidanceRescale,
                                                unconditional: unconditional)
        var noise = TorchGenerator(seed: request.seed)
        let start: LatentStart
        if let image = request.initImage {
            start = .latent(try adapter.encode(image, for: request, noise: &noise), strength: request.strength)
        } else {
            start = .noise(shape: shape)
        }
        let sampler = samplerName.sampler(eta: request.eta, prediction: scheduler.prediction)
        let latents: Tensor                                                             // [B, C, h, w]
        if samplerName == .lcm {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler,
                                                 denoiser: LCMBoundaryDenoiser(guided, training: scheduler.training),
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        } else {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler, denoiser: guided,
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        }
        let pixels = try adapter.decodeToUnitRange(latents)                            // [B, 3, H, W]
        return ImageResult(images: try adapter.images(fromUnitRange: pixels), pixels: pixels, latents: latents,
                           settings: ResolvedImageSettings(width: width, height: height, sampler: samplerName,
                                                           karras: karras, stepsRun: stepsRun),
                           droppedPrompt: cond.droppedText, droppedNegativePrompt: uncond.droppedText)
    }
}

extension StableDiffusionPipeline {
    /// The text encoder with diffusers' `clip_skip` applied (CLIP encoders only).
    func textEncoder(clipSkip: Int?) throws -> any PromptEncoding {
        guard let clipSkip else { return textEncoder }
        guard let clip = textEncoder as? CLIPPromptEncoder else {
            throw ImageError.invalidValue("clip skip", "\(clipSkip)", "this model's text encoder is not CLIP")
        }
        let layers = clip.model.config.numHiddenLayers
        guard clipSkip < layers else {
            throw ImageError.invalidValue("clip skip", "\(clipSkip)", "the text encoder has \(layers) layers; it must be less than that")
        }
        return CLIPPromptEncoder(tokenizer: clip.tokenizer, model: clip.model, clipSkip: clipSkip)
    }
}
