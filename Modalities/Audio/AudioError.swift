import Foundation

/// Bad input to the audio pipeline, and generated audio that must not be written (shared
/// cases: `PipelineError`). Each reads as one line saying what was wrong and why (diffusers'
/// `AudioLDMPipeline.check_inputs` raises `ValueError` for the duration cases).
public enum AudioError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A request field with a value outside its domain: (name, value, rule).
    case invalidValue(String, String, String)
    /// The model's configs do not describe a geometry AudioLDM can run (e.g. mel bins not a
    /// multiple of the VAE's factor).
    case unsupportedModel(String)
    /// Waveform `index` (0-based) holds NaN or infinity.
    case nonFiniteWaveform(index: Int, detail: String)
    /// Waveform `index` (0-based) is silent: its peak is below `AudioAdapter.silenceThreshold`.
    case silentWaveform(index: Int, peak: Float)

    /// The one-line message.
    public var description: String {
        switch self {
        case let .invalidValue(name, value, rule):
            "\(name) \(value) is invalid: \(rule)"
        case let .unsupportedModel(reason):
            "unsupported model: \(reason)"
        case let .nonFiniteWaveform(index, detail):
            "waveform \(index + 1): \(detail); not writing a broken clip"
        case let .silentWaveform(index, peak):
            "waveform \(index + 1) is silent (peak \(peak), below \(AudioAdapter.silenceThreshold)); not writing an empty clip"
        }
    }

    /// The same line as `description` (so `localizedDescription` prints it).
    public var errorDescription: String? { description }
}
