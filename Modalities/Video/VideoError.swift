import Foundation

/// Bad input to the video pipeline (shared cases: `PipelineError`): each reads as one line saying what
/// was wrong and why (diffusers raises `ValueError` for the same cases).
public enum VideoError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A request field with a value outside its domain: (name, value, rule).
    case invalidValue(String, String, String)
    /// A width or height that is not a positive multiple of `multiple` (the VAE's factor `vaeFactor`).
    case invalidSize(dimension: String, value: Int, multiple: Int, vaeFactor: Int)
    /// A decoded frame holds NaN or infinity (never written as a silent black video).
    case nonFiniteFrame(index: Int, detail: String)

    /// The one-line message.
    public var description: String {
        switch self {
        case let .invalidValue(name, value, rule):
            "\(name) \(value) is invalid: \(rule)"
        case let .invalidSize(dimension, value, multiple, vaeFactor):
            "\(dimension) \(value) is invalid: it must be a positive multiple of \(multiple)"
                + (multiple == 8 ? "" : " (of 8 and of the VAE's downsampling factor \(vaeFactor))")
        case let .nonFiniteFrame(index, detail):
            "frame \(index + 1): \(detail)"
        }
    }

    /// The same line as `description` (so `localizedDescription` prints it).
    public var errorDescription: String? { description }
}
