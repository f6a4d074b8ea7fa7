import Foundation

/// An error reading or writing a safetensors file, a checkpoint folder or a weight: one line
/// naming the file (or folder) and what is wrong, e.g.
/// `/models/unet/diffusion_pytorch_model.safetensors: tensor "conv_in.weight": data_offsets [0, 20] span 20 bytes, but shape [2, 3] of F32 needs 24`.
///
/// Matches the failure cases of the reference reader (`safetensors::SafeTensorError` in
/// huggingface/safetensors `safetensors/src/tensor.rs`), with a message instead of a bare variant.
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The file or folder the error is about.
    public let path: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about the file or folder at `url`.
    public init(_ url: URL, _ reason: String) { self.init(path: url.path, reason) }

    /// An error about the file or folder at `path`.
    public init(path: String, _ reason: String) {
        self.path = path
        // One line, whatever the reason quotes (names from files may contain newlines).
        self.reason = reason.replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
    /// `path: reason` (so `localizedDescription` prints the same line).
    public var errorDescription: String? { description }
}

/// Quotes a name read from a file for an error message, shortened when very long.
func quoted(_ name: String) -> String {
    let limit = 200
    if name.utf8.count <= limit { return "\"\(name)\"" }
    return "\"\(name.prefix(limit))…\""
}
