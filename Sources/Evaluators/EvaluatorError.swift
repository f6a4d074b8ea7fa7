/// A failure of an evaluator: an evaluator file that cannot be used (naming the file and what is
/// wrong with it), or media it cannot judge. One readable line.
public struct EvaluatorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The evaluator file concerned, or empty for a problem with the media.
    public let path: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about the evaluator file at `path`.
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason.replacingOccurrences(of: "\n", with: " ")
    }

    /// An error about the media being judged.
    public init(media reason: String) {
        self.init(path: "", reason)
    }

    /// `cannot use evaluator file PATH: REASON`, or `cannot judge: REASON` for media.
    public var description: String {
        path.isEmpty ? "cannot judge: \(reason)" : "cannot use evaluator file \(path): \(reason)"
    }
}
