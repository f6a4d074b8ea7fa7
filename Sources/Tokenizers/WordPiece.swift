/// HF `tokenizers.models.WordPiece` (BERT's WordpieceTokenizer): each word is split
/// greedily into the longest vocabulary entries from the left, the pieces after the first
/// carrying the `##` prefix; a word with a part that matches nothing, or longer than
/// `maxInputCharsPerWord` (100) characters, becomes the unknown token as a whole.
public struct WordPiece: Sendable {
    /// Token → id (the lines of `vocab.txt`, id = line number).
    public let vocabulary: [String: Int]
    /// Id → token.
    public let tokens: [String]
    /// Id of `[UNK]`.
    public let unknownId: Int
    /// `continuing_subword_prefix`.
    public let prefix: String
    /// `max_input_chars_per_word` (counted in Unicode scalars, as Rust counts chars).
    public let maxInputCharsPerWord: Int

    /// A WordPiece model; throws when the unknown token is not in the vocabulary.
    public init(vocabulary: [String: Int], unknownToken: String = "[UNK]", prefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws {
        guard let unknownId = vocabulary[unknownToken] else {
            throw TokenizerError("WordPiece: unknown token '\(unknownToken)' is not in the vocabulary")
        }
        guard vocabulary.values.allSatisfy({ $0 >= 0 }) else { throw TokenizerError("WordPiece: negative id in the vocabulary") }
        self.vocabulary = vocabulary
        self.unknownId = unknownId
        self.prefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        var tokens = [String](repeating: "", count: (vocabulary.values.max() ?? -1) + 1)
        for (token, id) in vocabulary { tokens[id] = token }
        self.tokens = tokens
    }

    /// Reads `vocab.txt`: one token per line, the id is the line number (0-based); a repeated
    /// token keeps its last line, as transformers' `load_vocab` does.
    public static func readVocabulary(_ text: String) -> [String: Int] {
        var vocabulary = [String: Int]()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (id, line) in lines.enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            vocabulary[token] = id
        }
        return vocabulary
    }

    /// The ids of one word.
    public func encode(word: ArraySlice<Unicode.Scalar>) -> [Int] {
        if word.count > maxInputCharsPerWord { return [unknownId] }
        var ids = [Int]()
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int?
            while start < end {
                var candidate = start > word.startIndex ? prefix : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknownId] }
            ids.append(id)
            start = end
        }
        return ids
    }
}
