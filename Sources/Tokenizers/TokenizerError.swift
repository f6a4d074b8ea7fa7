/// A tokenizer folder or file that cannot be used; the message names the file and the reason.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    /// One readable line: what, where, why.
    public let description: String

    /// An error with the given one-line message.
    public init(_ description: String) {
        self.description = description
    }
}
