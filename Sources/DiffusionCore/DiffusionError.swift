/// Errors for bad input to the diffusion core: each reads as one line saying what was wrong,
/// where, and why (diffusers raises `ValueError` for the same cases).
public enum DiffusionError: Error, Equatable, CustomStringConvertible {
    /// `steps` is not in `1...trainingSteps`.
    case invalidStepCount(Int, trainingSteps: Int)
    /// The img2img strength is NaN or outside [0, 1].
    case invalidStrength(Double)
    /// The guidance scale or rescale factor is NaN or infinite.
    case invalidGuidance(name: String, value: Double)
    /// A sampler name that is not registered; `valid` lists the names that are.
    case unknownSampler(String, valid: [String])
    /// A schedule or sampler parameter outside its domain (e.g. a negative shift).
    case invalidParameter(name: String, value: String, reason: String)
    /// Shapes that must agree do not (e.g. the start latent and the conditioning batch).
    case shapeMismatch(what: String, got: [Int], expected: [Int])
    /// The network returned a tensor of the wrong shape.
    case networkOutputShape(got: [Int], expected: [Int])

    public var description: String {
        switch self {
        case let .invalidStepCount(steps, trainingSteps):
            "steps \(steps) is invalid: it must be between 1 and the \(trainingSteps) training timesteps"
        case let .invalidStrength(strength):
            "strength \(strength) is invalid: it must be a number between 0 and 1"
        case let .invalidGuidance(name, value):
            "\(name) \(value) is invalid: it must be a finite number"
        case let .unknownSampler(name, valid):
            "unknown sampler \"\(name)\"; valid samplers: \(valid.joined(separator: ", "))"
        case let .invalidParameter(name, value, reason):
            "\(name) \(value) is invalid: \(reason)"
        case let .shapeMismatch(what, got, expected):
            "\(what): shape \(got) does not match the expected \(expected)"
        case let .networkOutputShape(got, expected):
            "the network returned shape \(got) for an input of shape \(expected)"
        }
    }
}
