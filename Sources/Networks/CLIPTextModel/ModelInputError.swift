import Foundation

/// Input that a network cannot run on (token ids outside the vocabulary, a sequence longer than
/// the position table, an image with the wrong channel count, …): one line naming the model,
/// the argument and what is wrong, e.g.
/// `CLIPTextModel: input_ids[1] has 80 tokens, more than max_position_embeddings (77)`.
///
/// Diffuse's counterpart of the `ValueError`s transformers and diffusers raise in `forward`.
public struct ModelInputError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The network (its reference class name).
    public let model: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about the input of `model`.
    public init(_ model: String, _ reason: String) {
        self.model = model
        self.reason = reason.replacingOccurrences(of: "\n", with: " ")
    }

    /// `model: reason`.
    public var description: String { "\(model): \(reason)" }
    /// Same as `description`, so `localizedDescription` prints the same line.
    public var errorDescription: String? { description }
}
