/// BERT's BasicTokenizer as HF `tokenizers` implements it (`normalizers.BertNormalizer`
/// followed by `pre_tokenizers.BertPreTokenizer`), the pre-processing of transformers'
/// `BertTokenizer`:
/// - clean text: drop NUL, U+FFFD and control characters (categories Cc, Cf, Co, Cs, except
///   tab, newline and carriage return), turn every whitespace into a space;
/// - put spaces around CJK ideographs (the CJK Unified Ideographs blocks, as in BERT);
/// - strip accents (NFD, then drop nonspacing marks Mn) when `stripAccents` (default: lowercase);
/// - lowercase per character;
/// - split on whitespace (dropped) and around each punctuation character (ASCII punctuation
///   and Unicode categories P*), which becomes a word of its own.
public struct BertNormalizer: Sendable {
    /// `clean_text`.
    public var cleanText = true
    /// `handle_chinese_chars` (`tokenize_chinese_chars`).
    public var handleChineseChars = true
    /// `strip_accents`; nil follows `lowercase`, as in BERT.
    public var stripAccents: Bool?
    /// `lowercase` (`do_lower_case`).
    public var lowercase = true

    /// The normalizer with BERT-uncased defaults (all-MiniLM-L6-v2 uses them).
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalized text (`BertNormalizer.normalize_str`).
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output = [Unicode.Scalar]()
        output.reserveCapacity(text.count)
        for scalar in text {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if scalar.isWhiteSpace {
                    output.append(" ")
                    continue
                }
            }
            if handleChineseChars && Self.isChineseCharacter(scalar) {
                output += [" ", scalar, " "]
            } else {
                output.append(scalar)
            }
        }
        if stripAccents ?? lowercase {
            output = UnicodeNormalization.nfd(output).filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            var lowered = [Unicode.Scalar]()
            lowered.reserveCapacity(output.count)
            for scalar in output { scalar.appendLowercase(to: &lowered) }
            output = lowered
        }
        return output
    }

    /// `BertPreTokenizer`: the words of normalized text (ranges into `text`).
    public static func words(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var words = [Range<Int>]()
        var start: Int?
        for (i, scalar) in text.enumerated() {
            if scalar.isWhiteSpace || isPunctuation(scalar) {
                if let begin = start { words.append(begin..<i) }
                start = nil
                if !scalar.isWhiteSpace { words.append(i..<(i + 1)) }
            } else if start == nil {
                start = i
            }
        }
        if let begin = start { words.append(begin..<text.count) }
        return words
    }

    /// tokenizers' `is_control` for BERT: Cc, Cf, Co, Cs, but not tab, newline, carriage return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (`!` … `~` symbols) or a Unicode punctuation category (Pc Pd Ps Pe Pi Pf Po).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v) }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// BERT's `_is_chinese_char`: the CJK Unified Ideographs blocks and their extensions.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}
