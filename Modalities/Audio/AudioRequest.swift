import DiffusionCore
import Foundation
import MediaIO

/// One text-to-audio (or audio-to-audio) request: every knob of diffusers'
/// `AudioLDMPipeline.__call__` that Diffuse exposes, as plain fields, plus the output sample rate
/// and an init clip.
///
/// `seconds` nil takes the init clip's length, else the model's default
/// (`unet.config.sample_size · vae_scale_factor · vocoder_upsample_factor`, 5.12 s for AudioLDM);
/// `sampler` nil takes the folder's scheduler (`SchedulerMapping.defaultSampler`); `karras` nil
/// takes the scheduler config's `use_karras_sigmas`; `sampleRate` nil keeps the vocoder's rate.
public struct AudioRequest: Sendable, Equatable {
    /// The output sample rates accepted (Hz): the range libsndfile's WAV, FLAC and Vorbis
    /// encoders all hold, and that listeners use.
    public static let supportedSampleRates = 8000...192_000

    /// The prompt (empty: unconditional).
    public var prompt: String
    /// The negative prompt; empty means diffusers' `negative_prompt=None` (the empty string).
    public var negativePrompt: String
    /// `audio_length_in_s`, or nil for the init clip's length or the model's default.
    public var seconds: Double?
    /// `num_inference_steps` (for audio-to-audio, before `strength` drops the first ones).
    public var steps: Int
    /// The sampler, or nil for the one the folder's scheduler config names.
    public var sampler: SamplerName?
    /// Karras σ (`use_karras_sigmas=True`); nil takes the scheduler config's value.
    public var karras: Bool?
    /// `guidance_scale` s (classifier-free guidance runs only when s > 1).
    public var guidanceScale: Double
    /// The seed of diffusers' `torch.Generator("cpu").manual_seed(seed)`.
    public var seed: TorchSeed
    /// `num_waveforms_per_prompt`: clips made in one batch from one noise draw.
    public var count: Int
    /// The sample rate of the clips returned (resampled by `AudioResampler`), or nil for the
    /// vocoder's (16 kHz for AudioLDM).
    public var sampleRate: Int?
    /// The audio-to-audio input, or nil for text-to-audio.
    public var initAudio: PCMAudio?
    /// Audio-to-audio `strength` in [0, 1] (ignored without `initAudio`).
    public var strength: Double

    /// A request; the defaults are diffusers' (10 steps, guidance 2.5, one clip) and strength 0.8.
    public init(prompt: String, negativePrompt: String = "", seconds: Double? = nil, steps: Int = 10,
                sampler: SamplerName? = nil, karras: Bool? = nil, guidanceScale: Double = 2.5,
                seed: TorchSeed = TorchSeed(0), count: Int = 1, sampleRate: Int? = nil,
                initAudio: PCMAudio? = nil, strength: Double = 0.8) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seconds = seconds
        self.steps = steps
        self.sampler = sampler
        self.karras = karras
        self.guidanceScale = guidanceScale
        self.seed = seed
        self.count = count
        self.sampleRate = sampleRate
        self.initAudio = initAudio
        self.strength = strength
    }

    /// Checks the fields that do not depend on the model: steps ≥ 1, count ≥ 1, a finite
    /// positive duration, finite guidance, strength in [0, 1], a supported sample rate. Throws
    /// `AudioError.invalidValue` with one readable line.
    public func validate() throws {
        guard steps >= 1 else { throw AudioError.invalidValue("steps", "\(steps)", "it must be at least 1") }
        guard count >= 1 else { throw AudioError.invalidValue("count", "\(count)", "it must be at least 1") }
        if let seconds {
            guard seconds.isFinite, seconds > 0 else {
                throw AudioError.invalidValue("duration", "\(seconds) s", "it must be a positive number of seconds")
            }
        }
        guard guidanceScale.isFinite else {
            throw AudioError.invalidValue("guidance scale", "\(guidanceScale)", "it must be a finite number")
        }
        guard strength.isFinite, (0...1).contains(strength) else {
            throw AudioError.invalidValue("strength", "\(strength)", "it must be between 0 and 1")
        }
        if let sampleRate, !Self.supportedSampleRates.contains(sampleRate) {
            throw AudioError.invalidValue("sample rate", "\(sampleRate) Hz", "it must be between "
                                          + "\(Self.supportedSampleRates.lowerBound) and \(Self.supportedSampleRates.upperBound) Hz")
        }
    }

    /// The request as a JSON object (sorted keys), for the audio file's comment: every field,
    /// the resolved duration, sample rate, sampler and Karras choice, and the init clip's length
    /// (its samples are not embedded). `extra` adds keys (e.g. the model's name).
    public func json(seconds: Double, sampleRate: Int, sampler: SamplerName, karras: Bool,
                     extra: [String: String] = [:]) -> String {
        var object: [String: Any] = [
            "prompt": prompt, "negative_prompt": negativePrompt, "seconds": seconds, "sample_rate": sampleRate,
            "steps": steps, "sampler": sampler.rawValue, "karras": karras, "guidance_scale": guidanceScale,
            "seed": seed.value, "count": count,
        ]
        if let initAudio {
            object["init_audio"] = ["seconds": initAudio.duration, "sample_rate": initAudio.sampleRate,
                                    "channels": initAudio.channels]
            object["strength"] = strength
        }
        for (key, value) in extra { object[key] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
