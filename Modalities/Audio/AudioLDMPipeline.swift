import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import SafeTensors
import Tensors

/// What one run produced.
public struct AudioResult: Sendable {
    /// One mono clip per batch item, at the request's sample rate (else the vocoder's).
    public var audio: [PCMAudio]
    /// The vocoder's waveforms trimmed to the requested length, at its own rate (diffusers'
    /// `AudioPipelineOutput.audios`, `output_type="np"`), [B, samples].
    public var waveforms: Tensor
    /// The VAE's log-mel spectrograms, the vocoder's input, [B, frames, mels].
    public var melSpectrograms: Tensor
    /// The final latents, [B, C, frames/f, mels/f].
    public var latents: Tensor
    /// The settings actually used.
    public var settings: ResolvedAudioSettings
    /// The text truncation dropped from the prompt (empty when it fit).
    public var droppedPrompt: String
    /// The text truncation dropped from the negative prompt (empty when it fit or was not used).
    public var droppedNegativePrompt: String
}

/// A request's settings once the model's defaults are filled in.
public struct ResolvedAudioSettings: Sendable, Equatable {
    /// The clip's geometry (duration, mel frames, samples at the vocoder's rate).
    public var geometry: AudioGeometry
    /// The sample rate of `AudioResult.audio`.
    public var sampleRate: Int
    /// The sampler run.
    public var sampler: SamplerName
    /// Whether Karras σ were used.
    public var karras: Bool
    /// Steps actually run (audio-to-audio: `⌊steps · strength⌋`).
    public var stepsRun: Int
}

/// diffusers' `AudioLDMPipeline` (0.42.1, `pipelines/deprecated/audioldm`) over DiffusionCore's
/// one loop: `_encode_prompt` (the CLAP `text_embeds`, normalised; [uncond; cond] for guidance,
/// the negative prompt or ""), `prepare_latents` (`randn_tensor(shape, generator)` for the
/// whole batch in one draw), the scheduler loop with classifier-free guidance where the UNet
/// gets the embeddings as `class_labels` and `encoder_hidden_states=None`, then VAE → log-mel →
/// `SpeechT5HifiGan` → waveform cut to the requested length.
///
/// Same seed, sampler, steps and guidance give diffusers' waveform (Tests/AudioModalityTests,
/// fixture from tools/fixtures/fx_audioldm_pipeline.py). Audio-to-audio (an init clip and a
/// strength) is Diffuse's own (diffusers has no AudioLDM audio-to-audio pipeline): see
/// `AudioAdapter.encode`. Limitations: no `eta` (DDIM runs with 0), no `cross_attention_kwargs`.
public struct AudioLDMPipeline: Sendable {
    /// The text encoder (RoBERTa tokenizer + CLAP), [1, P] per prompt.
    public let textEncoder: any PromptEncoding
    /// The denoising network (class-conditioned on the CLAP embeddings).
    public let unet: UNet2DConditionModel
    /// Latent geometry, the VAE and the vocoder.
    public let adapter: AudioAdapter
    /// The scheduler config as DiffusionCore pieces.
    public let scheduler: SchedulerMapping

    /// A pipeline from loaded components.
    public init(textEncoder: any PromptEncoding, unet: UNet2DConditionModel, adapter: AudioAdapter,
                scheduler: SchedulerMapping) {
        self.textEncoder = textEncoder
        self.unet = unet
        self.adapter = adapter
        self.scheduler = scheduler
    }

    /// Loads a diffusers AudioLDM folder (`model_index.json` with `unet`, `vae`, `text_encoder`,
    /// `tokenizer`, `vocoder`, `scheduler`), strictly (a missing or misshapen weight is an error
    /// naming its key); `loading` picks the weight files' variant and how half-precision weights
    /// are held, for every network.
    public init(folder url: URL, loading: WeightLoading = WeightLoading()) throws {
        let folder = try ModelFolder(url)
        let unetComponent = try folder.requiredComponent("unet", expected: "UNet2DConditionModel")
        guard case let .unet2DCondition(unetConfig) = unetComponent.config else {
            throw PipelineError.missingComponent(folder: url.path, name: "unet", expected: "UNet2DConditionModel")
        }
        let vaeComponent = try folder.requiredComponent("vae", expected: "AutoencoderKL")
        let textComponent = try folder.requiredComponent("text_encoder", expected: "ClapTextModelWithProjection")
        let tokenizerComponent = try folder.requiredComponent("tokenizer", expected: "RobertaTokenizer")
        let vocoderComponent = try folder.requiredComponent("vocoder", expected: "SpeechT5HifiGan")
        let schedulerConfig = try folder.schedulerConfig()
        guard unetConfig.classEmbedType != nil else {
            throw AudioError.unsupportedModel("the UNet has no class embedding (class_embed_type); AudioLDM conditions on the CLAP embeddings through it")
        }
        let sampleSize: Int
        switch unetConfig.sampleSize {
        case let .int(side)?: sampleSize = side
        case let .list(sides)? where !sides.isEmpty: sampleSize = sides[0]
        default: sampleSize = 128
        }
        let textEncoder = try ClapPromptEncoder(tokenizerFolder: tokenizerComponent.url, textEncoderFolder: textComponent.url,
                                                loading: loading)
        self.init(textEncoder: textEncoder,
                  unet: try UNet2DConditionModel(folder: unetComponent.url, loading: loading),
                  adapter: try AudioAdapter(vae: try AutoencoderKL(folder: vaeComponent.url, loading: loading),
                                            vocoder: try SpeechT5HifiGan(folder: vocoderComponent.url, loading: loading),
                                            sampleSize: sampleSize),
                  scheduler: try SchedulerMapping(schedulerConfig))
    }

    /// The sampler and Karras choice `request` resolves to, and its schedule.
    public func sampling(for request: AudioRequest) throws -> (sampler: SamplerName, karras: Bool, schedule: DiscreteSchedule) {
        try scheduler.sampling(sampler: request.sampler, karras: request.karras)
    }

    /// Checks `request` against the model without running it (duration, sample rate, sampler);
    /// returns the settings `generate` would use.
    public func resolve(_ request: AudioRequest) throws -> ResolvedAudioSettings {
        try request.validate()
        let geometry = try adapter.geometry(for: request)
        let (sampler, karras, _) = try sampling(for: request)
        let stepsRun = request.initAudio == nil ? request.steps : try stepsKept(steps: request.steps, strength: request.strength).kept
        return ResolvedAudioSettings(geometry: geometry, sampleRate: request.sampleRate ?? geometry.sampleRate,
                                     sampler: sampler, karras: karras, stepsRun: stepsRun)
    }

    /// Runs `request`: CLAP embeddings, noise from `TorchGenerator(seed: request.seed)`, the
    /// sampler loop (`observe` sees every model evaluation; throw from it to cancel), VAE decode,
    /// vocoder, resampling to `request.sampleRate`. Throws `AudioError` for a NaN or silent clip.
    public func generate(_ request: AudioRequest, observe: (SamplerStep) throws -> Void = { _ in }) throws -> AudioResult {
        let settings = try resolve(request)
        let geometry = settings.geometry
        let schedule = try sampling(for: request).schedule.schedule(steps: request.steps)

        let cond = try textEncoder.encode(request.prompt)
        // As diffusers, the negative prompt is encoded only when guidance runs (scale > 1).
        let uncond = request.guidanceScale > 1 ? try textEncoder.encode(request.negativePrompt) : cond
        let conditioning = Conditioning(["class_labels": repeatedAlongBatch(cond.hiddenStates, request.count)])       // [B, P]
        let unconditional = Conditioning(["class_labels": repeatedAlongBatch(uncond.hiddenStates, request.count)])    // [B, P]

        let unet = self.unet
        let model = ModelDenoiser(prediction: scheduler.prediction, training: scheduler.training) { x, t, c in
            guard let labels = c["class_labels"] else {
                throw PipelineError.invalidValue("conditioning", "{}", "class_labels is missing")
            }
            return try unet(x, timestep: t, encoderHiddenStates: nil, classLabels: labels)
        }
        let guided = try ClassifierFreeGuidance(model, scale: request.guidanceScale, unconditional: unconditional)
        var noise = TorchGenerator(seed: request.seed)
        let start: LatentStart
        if let clip = request.initAudio {
            start = .latent(try adapter.encode(clip, geometry: geometry, count: request.count, noise: &noise),
                            strength: request.strength)
        } else {
            start = .noise(shape: [request.count] + geometry.latentShape)
        }
        let sampler = settings.sampler.sampler()
        let latents: Tensor                                                             // [B, C, h, w]
        if settings.sampler == .lcm {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler,
                                                 denoiser: LCMBoundaryDenoiser(guided, training: scheduler.training),
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        } else {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler, denoiser: guided,
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        }
        let mel = try adapter.decodeMel(latents)                                        // [B, frames, mels]
        let waveforms = try adapter.waveforms(fromMel: mel, geometry: geometry)         // [B, samples]
        var audio = try adapter.clips(waveforms, sampleRate: geometry.sampleRate)
        if settings.sampleRate != geometry.sampleRate {
            audio = try audio.map { try AudioResampler.resample($0, to: settings.sampleRate) }
        }
        return AudioResult(audio: audio, waveforms: waveforms, melSpectrograms: mel, latents: latents, settings: settings,
                           droppedPrompt: cond.droppedText, droppedNegativePrompt: uncond.droppedText)
    }
}
