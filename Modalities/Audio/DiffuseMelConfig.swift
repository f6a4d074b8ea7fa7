import Foundation
import Networks

/// `mel/mel_config.json` of a `DiffuseMelPipeline` folder: the log-mel the UNet denoises, as
/// `Models/recipes/data_audio_mel.py: mel_config()` writes it (torch.stft + librosa Slaney mels,
/// `x = log(max(mel, log_clamp)) · normalize_scale + normalize_bias`).
public struct MelSpectrogramConfig: Codable, Sendable, Equatable {
    /// Hz.
    public var sampleRate: Int
    /// Samples of one clip, `hop_length · (frames − 1)`.
    public var numSamples: Int
    /// Mel frames of one clip.
    public var frames: Int
    /// `n_fft` of the STFT.
    public var nFFT: Int
    /// `hop_length` of the STFT.
    public var hopLength: Int
    /// `win_length` of the STFT (periodic Hann).
    public var winLength: Int
    /// `center` of the STFT (reflect padding).
    public var center: Bool
    /// Exponent of the STFT magnitude (1: magnitude).
    public var power: Double
    /// Mel bins.
    public var nMels: Int
    /// Lowest filter edge, Hz.
    public var fMin: Double
    /// Highest filter edge, Hz.
    public var fMax: Double
    /// `"slaney"` or `"htk"`.
    public var melScale: String
    /// `"slaney"` or `"none"`.
    public var melNorm: String?
    /// The floor before the natural log.
    public var logClamp: Double
    /// `x = log_mel · normalize_scale + normalize_bias`.
    public var normalizeScale: Double
    /// `x = log_mel · normalize_scale + normalize_bias`.
    public var normalizeBias: Double

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", numSamples = "num_samples", frames, nFFT = "n_fft", hopLength = "hop_length"
        case winLength = "win_length", center, power, nMels = "n_mels", fMin = "f_min", fMax = "f_max"
        case melScale = "mel_scale", melNorm = "mel_norm", logClamp = "log_clamp"
        case normalizeScale = "normalize_scale", normalizeBias = "normalize_bias"
    }

    /// The `MelSpectrogram` these settings describe (STFT, librosa filterbank, power).
    public func melSpectrogram() throws -> MelSpectrogram {
        try MelSpectrogram(stft: STFT(nFFT: nFFT, hopLength: hopLength, winLength: winLength, center: center),
                           filterbank: melFilterbank(sampleRate: sampleRate, nFFT: nFFT, nMels: nMels, fMin: fMin, fMax: fMax,
                                                     scale: melScale == "htk" ? .htk : .slaney,
                                                     norm: melNorm == "none" ? .none : .slaney),
                           power: Float(power))
    }

    /// Throws `ConfigError` naming `path` for settings the engine cannot run.
    func validate(path: String) throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw ConfigError(path: path, field: field, rule) }
        }
        try check(sampleRate >= 1, "sample_rate", "must be positive")
        try check((1...65536).contains(nFFT), "n_fft", "must be in 1...65536")
        try check(hopLength >= 1, "hop_length", "must be positive")
        try check((1...nFFT).contains(winLength), "win_length", "must be in 1...n_fft")
        try check((1...1024).contains(nMels), "n_mels", "must be in 1...1024")
        try check((1...1_000_000).contains(frames), "frames", "must be in 1...1000000")
        let (length, overflow) = hopLength.multipliedReportingOverflow(by: frames - 1)
        try check(!overflow && numSamples == length, "num_samples", "must be hop_length · (frames − 1) = \(overflow ? "overflow" : "\(length)")")
        try check(power == 1 || power == 2, "power", "must be 1 or 2")
        try check(["slaney", "htk"].contains(melScale), "mel_scale", "must be \"slaney\" or \"htk\"")
        try check(melNorm == nil || ["slaney", "none"].contains(melNorm ?? ""), "mel_norm", "must be \"slaney\" or \"none\"")
        try check(logClamp > 0 && logClamp.isFinite, "log_clamp", "must be positive")
        try check(normalizeScale.isFinite && normalizeScale != 0, "normalize_scale", "must be finite and non-zero")
        try check(normalizeBias.isFinite, "normalize_bias", "must be finite")
    }
}

/// `vocoder/config.json` of a `DiffuseMelPipeline` folder (`data_audio_mel.py: vocoder_config()`):
/// the weight-free Griffin-Lim vocoder's settings.
public struct GriffinLimVocoderConfig: Codable, Sendable, Equatable {
    /// `"griffin_lim"`.
    public var type: String
    /// Griffin-Lim iterations.
    public var iterations: Int
    /// Fast Griffin-Lim momentum (torchaudio convention).
    public var momentum: Double
    /// Random initial phase (only false is implemented, as the recipe uses).
    public var randInit: Bool
    /// The output length in samples.
    public var length: Int

    enum CodingKeys: String, CodingKey {
        case type, iterations, momentum, randInit = "rand_init", length
    }

    /// Throws `ConfigError` naming `path` for settings the engine cannot run.
    func validate(path: String) throws {
        guard type == "griffin_lim" else { throw ConfigError(path: path, field: "type", "must be \"griffin_lim\"") }
        guard (0...10_000).contains(iterations) else { throw ConfigError(path: path, field: "iterations", "must be in 0...10000") }
        guard momentum >= 0, momentum < 1 else { throw ConfigError(path: path, field: "momentum", "must be in [0, 1)") }
        guard !randInit else { throw ConfigError(path: path, field: "rand_init", "true is not supported (the phase starts at 0)") }
    }
}
