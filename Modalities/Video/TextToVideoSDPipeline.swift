import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import SafeTensors
import Tensors
import Tokenizers

/// What one run produced.
public struct VideoResult: Sendable {
    /// The clip: the frames quantised as diffusers' `numpy_to_pil`, at the request's frame rate.
    public var clip: VideoClip
    /// The same frames in [0, 1] before quantisation (diffusers' `output_type="np"`, but channel-first),
    /// [1, F, 3, H, W].
    public var pixels: Tensor
    /// The final latents (diffusers' `output_type="latent"`), [1, C, F, h, w].
    public var latents: Tensor
    /// The settings actually used.
    public var settings: ResolvedVideoSettings
    /// The text truncation dropped from the prompt (empty when it fit).
    public var droppedPrompt: String
    /// The text truncation dropped from the negative prompt (empty when it fit or was not used).
    public var droppedNegativePrompt: String
}

/// A request's settings once the model's defaults are filled in.
public struct ResolvedVideoSettings: Sendable, Equatable {
    /// Frame width in pixels.
    public var width: Int
    /// Frame height in pixels.
    public var height: Int
    /// Frames generated.
    public var frames: Int
    /// The exact frame rate.
    public var frameRate: VideoFrameRate
    /// The sampler run.
    public var sampler: SamplerName
    /// Whether Karras σ were used.
    public var karras: Bool
    /// Steps actually run (video-to-video: `⌊steps · strength⌋`).
    public var stepsRun: Int

    /// Settings from their values.
    public init(width: Int, height: Int, frames: Int, frameRate: VideoFrameRate, sampler: SamplerName, karras: Bool,
                stepsRun: Int) {
        self.width = width
        self.height = height
        self.frames = frames
        self.frameRate = frameRate
        self.sampler = sampler
        self.karras = karras
        self.stepsRun = stepsRun
    }
}

/// diffusers' `TextToVideoSDPipeline` and `VideoToVideoSDPipeline` (0.42.1,
/// `pipelines/deprecated/text_to_video_synthesis`) over DiffusionCore's one loop: `encode_prompt` as
/// Stable Diffusion's (CLIP; [uncond; cond] for guidance, the negative prompt or ""), `prepare_latents`
/// (`randn_tensor([1, C, F, h, w], generator)`; video-to-video: VAE posterior sample of every frame, then
/// the `add_noise` noise), the scheduler loop with classifier-free guidance on a UNet3DConditionModel,
/// frame-by-frame VAE decode and `postprocess_video`.
///
/// diffusers steps the scheduler on latents reshaped to [B·F, C, h, w]; the step is elementwise, so only
/// the order of an ancestral sampler's noise depends on it, which `FrameMajorNoise` reproduces.
/// Same seed, sampler, steps and guidance give diffusers' frames (Tests/VideoModalityTests, fixture from
/// tools/fixtures/fx_text2video_pipeline.py). Limitations: one video per prompt, no `eta` (DDIM runs with
/// 0), no init-video resizing.
///
/// It also runs AnimateDiff folders (`AnimateDiffPipeline`, `AnimateDiffVideoToVideoPipeline` with a
/// `UNetMotionModel` saved in `unet/`): the same steps, except that AnimateDiff steps the scheduler on
/// the [B, C, F, h, w] latents, so an ancestral sampler's noise is drawn channel-major
/// (`stepsOnFrames` false). Parity: fixture from tools/fixtures/fx_animatediff_pipeline.py.
public struct TextToVideoSDPipeline: Sendable {
    /// The text encoder (tokenizer + CLIP, or BERT for Diffuse's default model).
    public let textEncoder: any PromptEncoding
    /// The denoising network (latents [B, C, F, h, w]).
    public let unet: any NoisePredicting
    /// Latent geometry and the VAE.
    public let adapter: VideoAdapter
    /// The scheduler config as DiffusionCore pieces.
    public let scheduler: SchedulerMapping
    /// Whether the reference steps the scheduler on latents reshaped to [B·F, C, h, w] (text-to-video-ms:
    /// true) or on [B, C, F, h, w] (AnimateDiff: false); it orders an ancestral sampler's noise.
    public let stepsOnFrames: Bool

    /// A pipeline from loaded components.
    public init(textEncoder: any PromptEncoding, unet: any NoisePredicting, adapter: VideoAdapter,
                scheduler: SchedulerMapping, stepsOnFrames: Bool = true) {
        self.textEncoder = textEncoder
        self.unet = unet
        self.adapter = adapter
        self.scheduler = scheduler
        self.stepsOnFrames = stepsOnFrames
    }

    /// Loads a diffusers text-to-video folder (`model_index.json` with `unet` (UNet3DConditionModel, or
    /// UNetMotionModel for AnimateDiff), `vae`, `text_encoder`, `tokenizer`, `scheduler`), strictly (a missing
    /// or misshapen weight is an error naming its key); `loadUNet` builds the network from the `unet`
    /// component, `loading` the text encoder and the VAE.
    public init(folder url: URL, loading: WeightLoading = WeightLoading(),
                loadUNet: (ModelComponent) throws -> any NoisePredicting) throws {
        let folder = try ModelFolder(url)
        let expected = "UNet3DConditionModel or UNetMotionModel"
        let unetComponent = try folder.requiredComponent("unet", expected: expected)
        let sampleSize: IntOrList?, stepsOnFrames: Bool
        switch unetComponent.config {
        case let .unet3DCondition(config): (sampleSize, stepsOnFrames) = (config.sampleSize, true)
        case let .unetMotion(config): (sampleSize, stepsOnFrames) = (config.sampleSize, false)
        default: throw PipelineError.missingComponent(folder: url.path, name: "unet", expected: expected)
        }
        let vaeComponent = try folder.requiredComponent("vae", expected: "AutoencoderKL")
        let schedulerConfig = try folder.schedulerConfig()
        let vae = try AutoencoderKL(folder: vaeComponent.url, loading: loading)
        let size = IntOrList.defaultPixelSize(sampleSize, fallback: 32, factor: vae.config.downsamplingFactor)
        self.init(textEncoder: try folder.promptEncoder(loading: loading),
                  unet: try loadUNet(unetComponent),
                  adapter: VideoAdapter(vae: vae, defaultWidth: size.width, defaultHeight: size.height),
                  scheduler: try SchedulerMapping(schedulerConfig), stepsOnFrames: stepsOnFrames)
    }

    /// The sampler and Karras choice `request` resolves to, and its schedule.
    public func sampling(for request: VideoRequest) throws -> (sampler: SamplerName, karras: Bool, schedule: DiscreteSchedule) {
        try scheduler.sampling(sampler: request.sampler, karras: request.karras)
    }

    /// Checks `request` against the model without running anything: the fields, the size, the sampler.
    public func resolve(_ request: VideoRequest) throws -> ResolvedVideoSettings {
        let frameRate = try request.validate()
        let (width, height) = try adapter.size(for: request)
        let (sampler, karras, _) = try sampling(for: request)
        let stepsRun = request.initVideo == nil ? request.steps : try stepsKept(steps: request.steps, strength: request.strength).kept
        return ResolvedVideoSettings(width: width, height: height, frames: request.frameCount, frameRate: frameRate,
                                     sampler: sampler, karras: karras, stepsRun: stepsRun)
    }

    /// Runs `request`: text embeddings, noise from `TorchGenerator(seed: request.seed)` in diffusers'
    /// order, the sampler loop (`observe` sees every model evaluation; throw from it to cancel), VAE decode
    /// frame by frame. Throws `VideoError.nonFiniteFrame` rather than return a broken clip.
    public func generate(_ request: VideoRequest, observe: (SamplerStep) throws -> Void = { _ in }) throws -> VideoResult {
        let settings = try resolve(request)
        let shape = try adapter.latentShape(for: request)                                   // [1, C, F, h, w]
        let schedule = try sampling(for: request).schedule.schedule(steps: request.steps)

        let cond = try textEncoder.encode(request.prompt)
        // As diffusers, the negative prompt is encoded only when guidance runs (scale > 1).
        let uncond = request.guidanceScale > 1 ? try textEncoder.encode(request.negativePrompt) : cond
        let conditioning = Conditioning(["encoder_hidden_states": cond.hiddenStates])       // [1, L, D]
        let unconditional = Conditioning(["encoder_hidden_states": uncond.hiddenStates])    // [1, L, D]

        let unet = self.unet
        let model = ModelDenoiser(prediction: scheduler.prediction, training: scheduler.training) { x, t, c in
            guard let states = c["encoder_hidden_states"] else {
                throw PipelineError.invalidValue("conditioning", "{}", "encoder_hidden_states is missing")
            }
            return try unet.predict(x, timestep: t, encoderHiddenStates: states)          // [B, C, F, h, w]
        }
        let guided = try ClassifierFreeGuidance(model, scale: request.guidanceScale, unconditional: unconditional)
        let start: LatentStart
        var noise: FrameMajorNoise<TorchGenerator>
        // x_T is drawn channel-major, video-to-video's add_noise noise frame-major, and the sampler's
        // noise in the layout the reference steps the scheduler on (`stepsOnFrames`).
        if let video = request.initVideo {
            noise = FrameMajorNoise(TorchGenerator(seed: request.seed), channelMajorDraws: 0,
                                    frameMajorDraws: stepsOnFrames ? .max : 1)
            start = .latent(try adapter.encode(video, for: request, noise: &noise), strength: request.strength)
        } else {
            noise = FrameMajorNoise(TorchGenerator(seed: request.seed), channelMajorDraws: 1,
                                    frameMajorDraws: stepsOnFrames ? .max : 0)
            start = .noise(shape: shape)
        }
        let sampler = settings.sampler.sampler()
        let latents: Tensor                                                                 // [1, C, F, h, w]
        if settings.sampler == .lcm {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler,
                                                 denoiser: LCMBoundaryDenoiser(guided, training: scheduler.training),
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        } else {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler, denoiser: guided,
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        }
        let pixels = try adapter.decodeToUnitRange(latents)                                 // [1, F, 3, H, W]
        let clip = try VideoClip(frames: try adapter.frames(fromUnitRange: pixels), frameRate: settings.frameRate)
        return VideoResult(clip: clip, pixels: pixels, latents: latents, settings: settings,
                           droppedPrompt: cond.droppedText, droppedNegativePrompt: uncond.droppedText)
    }
}
