// Errors of the signal-processing code (STFT, mel, Griffin-Lim).

/// A failure of the signal-processing code: one readable line saying what, where and why.
public struct DSPError: Error, CustomStringConvertible, Sendable {
    /// The message shown to the user.
    public let description: String

    /// Creates an error with a one-line message.
    public init(_ description: String) { self.description = description }
}
