import Foundation

/// A layer that cannot be built as asked (an activation name diffusers does not define, a size
/// that is not positive, heads that do not divide the width, …): one line naming the layer's
/// reference class and what is wrong, e.g. `Attention: 320 channels are not divisible by 3 heads`.
///
/// Diffuse's counterpart of the `ValueError`s that diffusers raises in a module's `__init__`.
/// Missing or misshapen weights are `SafeTensorsError`s from the `WeightScope` instead.
public struct LayerError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The layer, by its reference class name (`ResnetBlock2D`).
    public let layer: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about building `layer`.
    public init(_ layer: String, _ reason: String) {
        self.layer = layer
        self.reason = reason.replacingOccurrences(of: "\n", with: " ")
    }

    /// `layer: reason`.
    public var description: String { "\(layer): \(reason)" }
    /// Same as `description`, so `localizedDescription` prints the same line.
    public var errorDescription: String? { description }

    /// Throws unless every size is positive.
    static func checkPositive(_ layer: String, _ sizes: KeyValuePairs<String, Int>) throws {
        for (name, value) in sizes where value <= 0 {
            throw LayerError(layer, "\(name) must be positive, got \(value)")
        }
    }
}
