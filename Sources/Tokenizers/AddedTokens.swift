/// A token matched in the raw or normalized text before pre-tokenization, as HF
/// `tokenizers.AddedToken` (special tokens such as `<|endoftext|>`, `<mask>`, `[CLS]`).
///
/// Limitation: `single_word` is not supported (no tokenizer here uses it).
public struct AddedToken: Sendable, Equatable {
    /// The text of the token.
    public var content: String
    /// Its id.
    public var id: Int
    /// Whether the match swallows whitespace on its left (RoBERTa's `<mask>`).
    public var lstrip: Bool
    /// Whether the match swallows whitespace on its right.
    public var rstrip: Bool
    /// Whether the token is matched in the normalized text (true) or in the raw text (false).
    public var normalized: Bool
    /// Whether the token is a special token (skipped by decoding).
    public var special: Bool

    /// An added token; the defaults are those of transformers for a special token given as a string.
    public init(content: String, id: Int, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = true) {
        self.content = content
        self.id = id
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }
}

/// A piece of text after the added tokens are split out: an added token's id, or normalized text.
enum TextPiece {
    case token(Int)
    case text([Unicode.Scalar])
}

/// `tokenizers`' AddedVocabulary `extract_and_normalize`: the non-normalized added tokens
/// are split out of the raw text (leftmost-longest), the rest is normalized piece by piece,
/// and the normalized added tokens (their content normalized the same way) are split out of that.
struct AddedVocabulary: Sendable {
    private struct Pattern: Sendable {
        let scalars: [Unicode.Scalar]
        let id: Int
        let lstrip: Bool
        let rstrip: Bool
    }

    private let raw: [Pattern]
    private let normalizedPatterns: [Pattern]
    /// Ids of the special tokens.
    let specialIds: Set<Int>

    init(_ tokens: [AddedToken], normalizer: ([Unicode.Scalar]) -> [Unicode.Scalar]) {
        raw = tokens.filter { !$0.normalized && !$0.content.isEmpty }.map {
            Pattern(scalars: Array($0.content.unicodeScalars), id: $0.id, lstrip: $0.lstrip, rstrip: $0.rstrip)
        }
        normalizedPatterns = tokens.filter { $0.normalized && !$0.content.isEmpty }.map {
            Pattern(scalars: normalizer(Array($0.content.unicodeScalars)), id: $0.id, lstrip: $0.lstrip, rstrip: $0.rstrip)
        }
        specialIds = Set(tokens.filter(\.special).map(\.id))
    }

    /// Splits `text` into added tokens and normalized text pieces (empty pieces are dropped).
    func split(_ text: String, normalizer: ([Unicode.Scalar]) -> [Unicode.Scalar]) -> [TextPiece] {
        var pieces = [TextPiece]()
        for piece in Self.split(Array(text.unicodeScalars), raw) {
            switch piece {
            case .token:
                pieces.append(piece)
            case .text(let scalars):
                pieces += Self.split(normalizer(scalars), normalizedPatterns)
            }
        }
        return pieces
    }

    private static func split(_ s: [Unicode.Scalar], _ patterns: [Pattern]) -> [TextPiece] {
        if s.isEmpty { return [] }
        if patterns.isEmpty { return [.text(s)] }
        var pieces = [TextPiece]()
        var offset = 0
        var i = 0
        while i < s.count {
            var best: Pattern?
            for pattern in patterns where pattern.scalars.count > (best?.scalars.count ?? 0) {
                if matches(s, at: i, pattern.scalars) { best = pattern }
            }
            guard let best else {
                i += 1
                continue
            }
            var start = i
            var stop = i + best.scalars.count
            if best.lstrip {
                while start > offset && s[start - 1].isWhiteSpace { start -= 1 }
            }
            if best.rstrip {
                while stop < s.count && s[stop].isWhiteSpace { stop += 1 }
            }
            if offset < start { pieces.append(.text(Array(s[offset..<start]))) }
            pieces.append(.token(best.id))
            offset = stop
            i = stop
        }
        if offset < s.count { pieces.append(.text(Array(s[offset...]))) }
        return pieces
    }

    private static func matches(_ s: [Unicode.Scalar], at i: Int, _ word: [Unicode.Scalar]) -> Bool {
        guard s.count - i >= word.count else { return false }
        for (k, scalar) in word.enumerated() where s[i + k] != scalar { return false }
        return true
    }
}
