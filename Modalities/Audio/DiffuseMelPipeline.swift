import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import SafeTensors
import Tensors

/// Diffuse's default text-to-audio pipeline (`model_index.json` `_class_name`
/// "DiffuseMelPipeline", `Models/diffuse-audio-16k`): a UNet2DConditionModel denoises the
/// normalised log-mel itself ([B, 1, n_mels, frames], no VAE), conditioned on BERT
/// (all-MiniLM-L6-v2) token states; a weight-free Griffin-Lim vocoder makes the waveform.
///
/// It reproduces the recipe's sampling loop, `Models/recipes/eval_audio.py: Sampler`, and its
/// vocoder, `data_audio_mel.py: griffin_lim(denormalize(x))`:
/// cond = BERT(prompt), uncond = BERT(negative prompt, "" by default), both padded to
/// `text_max_length`; x_T = `torch.randn([B, 1, 64, 256], generator=manual_seed(seed))`;
/// the scheduler loop (`scheduler/`: DPMSolverMultistepScheduler, v prediction) with CFG
/// `u + g·(c − u)`; then `log_mel = (x − normalize_bias) / normalize_scale` → `exp` →
/// pseudo-inverse of the filterbank + ReLU → fast Griffin-Lim (`vocoder/config.json`).
///
/// The model makes clips of a fixed length (`mel_config.json` `num_samples`, 65280 samples =
/// 4.08 s at 16 kHz). A shorter `seconds` keeps the start of that clip (as AudioLDM cuts its
/// vocoder output to `audio_length_in_s`); a longer one is an error. Parity: Tests/AudioModalityTests
/// (fixtures from tools/fixtures/fx_diffuse_mel.py). Limitations: no audio-to-audio.
public struct DiffuseMelPipeline: Sendable {
    /// The text encoder (BERT WordPiece + BertModel), [1, N, 384] per prompt.
    public let textEncoder: any PromptEncoding
    /// The denoising network (cross-attends to the token states).
    public let unet: UNet2DConditionModel
    /// The scheduler config as DiffusionCore pieces.
    public let scheduler: SchedulerMapping
    /// The log-mel representation.
    public let mel: MelSpectrogramConfig
    /// The vocoder's settings.
    public let vocoderConfig: GriffinLimVocoderConfig
    /// Log-mel → waveform.
    public let vocoder: GriffinLimVocoder
    /// `default_steps` of `model_index.json` (20 when absent).
    public let defaultSteps: Int
    /// `default_guidance_scale` of `model_index.json` (3 when absent).
    public let defaultGuidanceScale: Double

    /// The length of the clip the model makes, in seconds (`num_samples / sample_rate`).
    public var clipSeconds: Double { Double(mel.numSamples) / Double(mel.sampleRate) }

    /// Loads a DiffuseMelPipeline folder (`model_index.json` with `unet`, `text_encoder`,
    /// `tokenizer`, `scheduler`, `mel`, `vocoder`), strictly (a missing or misshapen weight is an
    /// error naming its key; a bad config an error naming its file and field); `loading` picks
    /// the weight files' variant and how half-precision weights are held.
    public init(folder url: URL, loading: WeightLoading = WeightLoading()) throws {
        let folder = try ModelFolder(url)
        let options = try PipelineIndexOptions.load(folder: url)
        let unetComponent = try folder.requiredComponent("unet", expected: "UNet2DConditionModel")
        guard case .unet2DCondition = unetComponent.config else {
            throw PipelineError.missingComponent(folder: url.path, name: "unet", expected: "UNet2DConditionModel")
        }
        let melComponent = try folder.requiredComponent("mel", expected: "MelSpectrogramConfig")
        let vocoderComponent = try folder.requiredComponent("vocoder", expected: "GriffinLimVocoder")
        let melURL = melComponent.url.appendingPathComponent("mel_config.json")
        let mel = try decodeJSON(MelSpectrogramConfig.self, melURL)
        try mel.validate(path: melURL.path)
        let vocoderURL = vocoderComponent.url.appendingPathComponent("config.json")
        let vocoderConfig = try decodeJSON(GriffinLimVocoderConfig.self, vocoderURL)
        try vocoderConfig.validate(path: vocoderURL.path)
        guard vocoderConfig.length == mel.numSamples else {
            throw ConfigError(path: vocoderURL.path, field: "length", "must equal mel_config.json's num_samples \(mel.numSamples)")
        }
        textEncoder = try folder.promptEncoder(loading: loading)
        unet = try UNet2DConditionModel(folder: unetComponent.url, loading: loading)
        guard unet.config.inChannels == 1, unet.config.outChannels == 1 else {
            throw AudioError.unsupportedModel("the UNet has \(unet.config.inChannels) input and \(unet.config.outChannels) output channels; a log-mel has 1")
        }
        scheduler = try SchedulerMapping(try folder.schedulerConfig())
        self.mel = mel
        self.vocoderConfig = vocoderConfig
        vocoder = try GriffinLimVocoder(melSpectrogram: try mel.melSpectrogram(), iterations: vocoderConfig.iterations,
                                        momentum: Float(vocoderConfig.momentum))
        defaultSteps = options.defaultSteps ?? 20
        defaultGuidanceScale = options.defaultGuidanceScale ?? 3
    }

    /// The sampler and Karras choice `request` resolves to, and its schedule.
    public func sampling(for request: AudioRequest) throws -> (sampler: SamplerName, karras: Bool, schedule: DiscreteSchedule) {
        try scheduler.sampling(sampler: request.sampler, karras: request.karras)
    }

    /// Checks `request` against the model without running it; returns the settings `generate`
    /// would use. The duration is the model's clip (nil `seconds`) or a shorter cut of it.
    public func resolve(_ request: AudioRequest) throws -> ResolvedAudioSettings {
        try request.validate()
        if request.initAudio != nil {
            throw AudioError.invalidValue("init audio", "given", "this model (DiffuseMelPipeline) makes audio from text only")
        }
        let clip = clipSeconds
        let seconds = request.seconds ?? clip
        let kept = seconds == clip ? mel.numSamples : Int(seconds * Double(mel.sampleRate))
        guard kept <= mel.numSamples else {
            throw AudioError.invalidValue("duration", "\(seconds) s", "this model makes clips of \(clip) s "
                                          + "(\(mel.numSamples) samples at \(mel.sampleRate) Hz); ask for that or less")
        }
        guard kept >= 1 else {
            throw AudioError.invalidValue("duration", "\(seconds) s", "it is shorter than one sample at \(mel.sampleRate) Hz")
        }
        var geometry = try AudioGeometry(seconds: seconds, hopLength: mel.hopLength, sampleRate: mel.sampleRate,
                                         melBins: mel.nMels, vaeFactor: 1, latentChannels: 1)
        geometry.frames = mel.frames
        geometry.samples = kept
        geometry.latentShape = [1, mel.nMels, mel.frames]
        let (sampler, karras, _) = try sampling(for: request)
        return ResolvedAudioSettings(geometry: geometry, sampleRate: request.sampleRate ?? mel.sampleRate,
                                     sampler: sampler, karras: karras, stepsRun: request.steps)
    }

    /// Runs `request`: `sample` (the denoising loop), then `decode` (Griffin-Lim, the cut to the
    /// requested duration, resampling to `request.sampleRate`). `observe` sees every model
    /// evaluation; throw from it to cancel. Throws `AudioError` for a NaN or silent clip.
    public func generate(_ request: AudioRequest, observe: (SamplerStep) throws -> Void = { _ in }) throws -> AudioResult {
        let (latents, settings, cond, uncond) = try sample(request, observe: observe)
        let (audio, waveforms, logMel) = try decode(latents, settings: settings)
        return AudioResult(audio: audio, waveforms: waveforms, melSpectrograms: framesFirst(logMel), latents: latents,
                           settings: settings, droppedPrompt: cond.droppedText, droppedNegativePrompt: uncond.droppedText)
    }

    /// The denoising loop of `Models/recipes/eval_audio.py: Sampler.__call__`: BERT embeddings,
    /// noise from `TorchGenerator(seed: request.seed)` ([B, 1, n_mels, frames] in one draw), the
    /// sampler with CFG. Returns the final normalised log-mel [B, 1, n_mels, frames], the
    /// settings and both prompts' embeddings.
    public func sample(_ request: AudioRequest, observe: (SamplerStep) throws -> Void = { _ in })
        throws -> (latents: Tensor, settings: ResolvedAudioSettings, cond: PromptEmbedding, uncond: PromptEmbedding) {
        let settings = try resolve(request)
        let schedule = try sampling(for: request).schedule.schedule(steps: request.steps)

        let cond = try textEncoder.encode(request.prompt)
        // The negative prompt ("" by default: the recipe's unconditional input) is encoded only when guidance runs.
        let uncond = request.guidanceScale > 1 ? try textEncoder.encode(request.negativePrompt) : cond
        let conditioning = Conditioning(["encoder_hidden_states": repeatedAlongBatch(cond.hiddenStates, request.count)])     // [B, N, D]
        let unconditional = Conditioning(["encoder_hidden_states": repeatedAlongBatch(uncond.hiddenStates, request.count)]) // [B, N, D]

        let unet = self.unet
        let model = ModelDenoiser(prediction: scheduler.prediction, training: scheduler.training) { x, t, c in
            guard let states = c["encoder_hidden_states"] else {
                throw PipelineError.invalidValue("conditioning", "{}", "encoder_hidden_states is missing")
            }
            return try unet(x, timestep: t, encoderHiddenStates: states)
        }
        let guided = try ClassifierFreeGuidance(model, scale: request.guidanceScale, unconditional: unconditional)
        var noise = TorchGenerator(seed: request.seed)
        let start = LatentStart.noise(shape: [request.count] + settings.geometry.latentShape)
        let sampler = settings.sampler.sampler(eta: 0, prediction: scheduler.prediction)
        let latents: Tensor                                                             // [B, 1, mels, frames]
        if settings.sampler == .lcm {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler,
                                                 denoiser: LCMBoundaryDenoiser(guided, training: scheduler.training),
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        } else {
            latents = try DiffusionCore.generate(start: start, schedule: schedule, sampler: sampler, denoiser: guided,
                                                 conditioning: conditioning, noise: &noise, observe: observe)
        }
        return (latents, settings, cond, uncond)
    }

    /// Normalised log-mel [B, 1, n_mels, frames] → clips (`settings.geometry.samples` long, at
    /// `settings.sampleRate`), the vocoder's waveforms cut to that length [B, samples] and the
    /// natural-log mel [B, n_mels, frames]. Throws `AudioError` for a NaN or silent clip.
    public func decode(_ latents: Tensor, settings: ResolvedAudioSettings) throws -> (audio: [PCMAudio], waveforms: Tensor, logMel: Tensor) {
        let logMel = try logMel(fromNormalized: latents)                               // [B, mels, frames]
        let full = try vocoder(logMel: logMel, length: vocoderConfig.length)           // [B, num_samples]
        let waveforms = trimmed(full, to: settings.geometry.samples)                    // [B, samples]
        try AudioAdapter.checkAudible(waveforms)
        let (batch, samples) = (waveforms.shape[0], waveforms.shape[1])
        var audio = try (0..<batch).map { b in
            try PCMAudio(sampleRate: mel.sampleRate, mono: Array(waveforms.scalars[(b * samples)..<((b + 1) * samples)]))
        }
        if settings.sampleRate != mel.sampleRate {
            audio = try audio.map { try AudioResampler.resample($0, to: settings.sampleRate) }
        }
        return (audio, waveforms, logMel)
    }

    /// Normalised log-mel [B, 1, mels, frames] → natural-log mel [B, mels, frames]
    /// (`data_audio_mel.denormalize`: `(x − normalize_bias) / normalize_scale`). Throws
    /// `AudioError.nonFiniteWaveform` when the UNet produced NaN or infinity.
    public func logMel(fromNormalized x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 1, x.shape[2] == mel.nMels, x.shape[3] == mel.frames else {
            throw AudioError.invalidValue("mel", "\(x.shape)", "it must be [B, 1, \(mel.nMels), \(mel.frames)]")
        }
        let per = mel.nMels * mel.frames
        if let bad = x.scalars.firstIndex(where: { !$0.isFinite }) {
            let within = bad % per
            throw AudioError.nonFiniteWaveform(index: bad / per, detail: "the UNet produced \(x.scalars[bad]) "
                                               + "at mel bin \(within / mel.frames), frame \(within % mel.frames)")
        }
        let scale = Float(1 / mel.normalizeScale), bias = Float(mel.normalizeBias)
        return Tensor(shape: [x.shape[0], mel.nMels, mel.frames]) { out in
            x.scalars.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = (src[i] - bias) * scale }
            }
        }
    }

    /// The first `samples` of every row of [B, N].
    private func trimmed(_ full: Tensor, to samples: Int) -> Tensor {
        let (batch, produced) = (full.shape[0], full.shape[1])
        guard samples < produced else { return full }
        return Tensor(shape: [batch, samples]) { out in
            full.scalars.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    (out.baseAddress! + b &* samples).update(from: src.baseAddress! + b &* produced, count: samples)
                }
            }
        }
    }

    /// [B, mels, frames] → [B, frames, mels] (the layout of `AudioResult.melSpectrograms`).
    private func framesFirst(_ logMel: Tensor) -> Tensor {
        let (batch, mels, frames) = (logMel.shape[0], logMel.shape[1], logMel.shape[2])
        return Tensor(shape: [batch, frames, mels]) { out in
            logMel.scalars.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    for m in 0..<mels {
                        for t in 0..<frames { out[(b &* frames &+ t) &* mels &+ m] = src[(b &* mels &+ m) &* frames &+ t] }
                    }
                }
            }
        }
    }
}
