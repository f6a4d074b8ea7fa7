import Foundation

/// A model folder that cannot be used: one line naming the file or folder and what is wrong,
/// e.g. `/models/sd/unet: folder is missing (model_index.json lists unet as diffusers.UNet2DConditionModel)`.
public struct ModelFolderError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The file or folder the error is about.
    public let path: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about the file or folder at `url`.
    public init(_ url: URL, _ reason: String) {
        self.path = url.path
        self.reason = reason.replacingOccurrences(of: "\n", with: " ")
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
    /// Same as `description`, so `localizedDescription` prints the same line.
    public var errorDescription: String? { description }
}
