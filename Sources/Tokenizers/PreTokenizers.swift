/// The regular-expression pre-tokenizers of HF `tokenizers`, written as scanners over
/// Unicode scalars (no regex engine): each returns the ranges of the pieces, in order.
enum PreTokenizers {
    /// `pre_tokenizers.ByteLevel(use_regex=True)`: GPT-2's pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    /// alternatives tried in order at each position (leftmost-first), nothing removed.
    static func gpt2(_ s: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var pieces = [Range<Int>]()
        var i = s.startIndex
        let end = s.endIndex
        while i < end {
            if let length = contraction(s, at: i) {
                pieces.append(i..<(i + length))
                i += length
                continue
            }
            var j = i
            if s[j] == " " && j + 1 < end && !s[j + 1].isWhiteSpace { j += 1 }
            let c = s[j]
            if c.isWhiteSpace {
                var k = i
                while k < end && s[k].isWhiteSpace { k += 1 }
                // `\s+(?!\S)` backs off one character when a non-space follows; `\s+` takes the rest.
                let stop = (k < end && k - i > 1) ? k - 1 : k
                pieces.append(i..<stop)
                i = stop
                continue
            }
            var k = j + 1
            if c.isLetterCategory {
                while k < end && s[k].isLetterCategory { k += 1 }
            } else if c.isNumberCategory {
                while k < end && s[k].isNumberCategory { k += 1 }
            } else {
                while k < end && isOther(s[k]) { k += 1 }
            }
            pieces.append(i..<k)
            i = k
        }
        return pieces
    }

    /// transformers' CLIPTokenizer split, `pre_tokenizers.Split(pattern, behavior="removed",
    /// invert=True)` with the pattern `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|
    /// [\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`: the matches are kept, everything between them
    /// (whitespace) is removed. Numbers are split into single digits.
    static func clip(_ s: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var pieces = [Range<Int>]()
        var i = s.startIndex
        let end = s.endIndex
        while i < end {
            if let length = literal(s, at: i, startOfText) ?? literal(s, at: i, endOfText) ?? contraction(s, at: i) {
                pieces.append(i..<(i + length))
                i += length
                continue
            }
            let c = s[i]
            var k = i + 1
            if c.isWhiteSpace {
                i = k
                continue
            } else if c.isLetterCategory {
                while k < end && s[k].isLetterCategory { k += 1 }
            } else if !c.isNumberCategory {
                while k < end && isOther(s[k]) { k += 1 }
            }
            pieces.append(i..<k)
            i = k
        }
        return pieces
    }

    private static let startOfText = Array("<|startoftext|>".unicodeScalars)
    private static let endOfText = Array("<|endoftext|>".unicodeScalars)

    /// `[^\s\p{L}\p{N}]`
    private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !c.isWhiteSpace && !c.isLetterCategory && !c.isNumberCategory
    }

    /// The length of `'s|'t|'re|'ve|'m|'ll|'d` at `i` (case-sensitive), or nil.
    private static func contraction(_ s: ArraySlice<Unicode.Scalar>, at i: Int) -> Int? {
        guard s[i] == "'", i + 1 < s.endIndex else { return nil }
        switch s[i + 1] {
        case "s", "t", "m", "d": return 2
        case "r", "v": return i + 2 < s.endIndex && s[i + 2] == "e" ? 3 : nil
        case "l": return i + 2 < s.endIndex && s[i + 2] == "l" ? 3 : nil
        default: return nil
        }
    }

    private static func literal(_ s: ArraySlice<Unicode.Scalar>, at i: Int, _ word: [Unicode.Scalar]) -> Int? {
        guard s.endIndex - i >= word.count else { return nil }
        for (offset, scalar) in word.enumerated() where s[i + offset] != scalar { return nil }
        return word.count
    }
}
