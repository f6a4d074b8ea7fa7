import Foundation

/// Bad input shared by every modality's pipeline: a model folder that lacks a component, a
/// scheduler setting Diffuse does not implement, a value outside its domain. Each reads as one
/// line saying what was wrong and why (diffusers raises `ValueError` for the same cases).
public enum PipelineError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A request field with a value outside its domain: (name, value, rule).
    case invalidValue(String, String, String)
    /// The model folder lacks a component the pipeline needs, or holds one of the wrong class
    /// (the message leaves the folder out: callers name it, as the CLI does).
    case missingComponent(folder: String, name: String, expected: String)
    /// A scheduler setting Diffuse does not implement.
    case unsupportedScheduler(String)

    /// The one-line message.
    public var description: String {
        switch self {
        case let .invalidValue(name, value, rule):
            "\(name) \(value) is invalid: \(rule)"
        case let .missingComponent(_, name, expected):
            "component \"\(name)\" (\(expected)) is missing from model_index.json or of another class"
        case let .unsupportedScheduler(reason):
            "scheduler: \(reason)"
        }
    }

    /// The same line as `description` (so `localizedDescription` prints it).
    public var errorDescription: String? { description }
}
