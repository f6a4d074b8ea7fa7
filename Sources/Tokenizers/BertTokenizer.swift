import Foundation

/// transformers' `BertTokenizer` (5.23, backed by HF `tokenizers`; `BertTokenizerFast` is the
/// same class) as all-MiniLM-L6-v2 uses it: `BertNormalizer` (clean text, CJK split, accents
/// stripped, lowercase) and BERT's pre-tokenizer, then `WordPiece` over `vocab.txt` (or the
/// vocabulary of `tokenizer.json`); `[CLS]` … `[SEP]` around the sequence; truncation to the
/// given length (sentence-transformers uses `max_seq_length`, 256 for MiniLM, from
/// `sentence_bert_config.json`: see `sentenceTransformersMaxLength`); padding with `[PAD]`.
///
/// Limitations: one text at a time (no pairs, so no `token_type_ids` beyond zeros); the
/// `never_split` option is not supported.
public struct BertTokenizer: TextTokenizer {
    /// The WordPiece model.
    public let wordPiece: WordPiece
    /// The normalizer and its options.
    public let normalizer: BertNormalizer
    /// The added vocabulary (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`, matched in the raw text).
    public let addedTokens: [AddedToken]
    /// `model_max_length` (512 for MiniLM).
    public let modelMaxLength: Int
    /// Id of `[CLS]`.
    public let clsTokenId: Int
    /// Id of `[SEP]`.
    public let sepTokenId: Int
    /// Id of `[PAD]`.
    public let padTokenId: Int
    private let added: AddedVocabulary

    /// Loads `tokenizer.json` if present, else `vocab.txt`, plus `tokenizer_config.json` and
    /// `special_tokens_map.json` when present.
    public init(folder: URL) throws {
        let configuration = try TokenizerConfiguration(folder: folder)
        if let url = TokenizerJSON.url(in: folder) {
            let file = try TokenizerJSON(url)
            try file.require(model: "WordPiece", for: "BertTokenizer")
            let wordPiece = try WordPiece(vocabulary: file.vocabulary,
                                          unknownToken: file.modelString("unk_token") ?? "[UNK]",
                                          prefix: file.modelString("continuing_subword_prefix") ?? "##",
                                          maxInputCharsPerWord: file.model["max_input_chars_per_word"] as? Int ?? 100)
            var normalizer = BertNormalizer()
            if let options = file.normalizer {
                guard options["type"] as? String == "BertNormalizer" else {
                    throw TokenizerError("\(url.path): BertTokenizer needs a BertNormalizer, found \(options["type"] ?? "none")")
                }
                normalizer = BertNormalizer(cleanText: options["clean_text"] as? Bool ?? true,
                                            handleChineseChars: options["handle_chinese_chars"] as? Bool ?? true,
                                            stripAccents: options["strip_accents"] as? Bool,
                                            lowercase: options["lowercase"] as? Bool ?? true)
            }
            try self.init(wordPiece: wordPiece, normalizer: normalizer, configuration: configuration,
                          baseAddedTokens: file.addedTokens)
        } else {
            let url = folder.appendingPathComponent("vocab.txt")
            let text: String
            do {
                text = try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw TokenizerError("\(url.path): cannot read the vocabulary (\(error.localizedDescription))")
            }
            let wordPiece = try WordPiece(vocabulary: WordPiece.readVocabulary(text),
                                          unknownToken: configuration.content("unk_token", default: "[UNK]"))
            let normalizer = BertNormalizer(handleChineseChars: configuration.tokenizeChineseChars ?? true,
                                            stripAccents: configuration.stripAccents,
                                            lowercase: configuration.doLowerCase ?? true)
            try self.init(wordPiece: wordPiece, normalizer: normalizer, configuration: configuration,
                          baseAddedTokens: configuration.addedTokensDecoder)
        }
    }

    /// A tokenizer from a WordPiece model, a normalizer and a configuration; special tokens
    /// missing from the configuration are BERT's defaults.
    public init(wordPiece: WordPiece, normalizer: BertNormalizer = BertNormalizer(),
                configuration: TokenizerConfiguration = TokenizerConfiguration(), baseAddedTokens: [AddedToken] = []) throws {
        var configuration = configuration
        let defaults = ["unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                        "mask_token": "[MASK]"]
        for (attribute, content) in defaults where configuration.specialTokens[attribute] == nil {
            configuration.specialTokens[attribute] = .init(content: content, flags: nil)
        }
        self.wordPiece = wordPiece
        self.normalizer = normalizer
        let resolved = configuration.resolveAddedTokens(base: baseAddedTokens, vocabulary: wordPiece.vocabulary)
        addedTokens = resolved
        added = AddedVocabulary(resolved, normalizer: normalizer.normalize)
        modelMaxLength = configuration.modelMaxLength ?? 512
        func tokenId(_ attribute: String) throws -> Int {
            let content = configuration.content(attribute, default: defaults[attribute] ?? "")
            guard let id = resolved.first(where: { $0.content == content })?.id ?? wordPiece.vocabulary[content] else {
                throw TokenizerError("BertTokenizer: \(attribute) '\(content)' is not in the vocabulary")
            }
            return id
        }
        clsTokenId = try tokenId("cls_token")
        sepTokenId = try tokenId("sep_token")
        padTokenId = try tokenId("pad_token")
    }

    /// sentence-transformers' `max_seq_length` from `sentence_bert_config.json` in `folder`
    /// (256 for all-MiniLM-L6-v2), or nil when the file or the key is missing.
    public static func sentenceTransformersMaxLength(folder: URL) throws -> Int? {
        let url = folder.appendingPathComponent("sentence_bert_config.json")
        return try JSONFile.object(url, optional: true)?["max_seq_length"] as? Int
    }

    /// Content ids of `text` (no `[CLS]`/`[SEP]`, no truncation).
    public func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        for piece in added.split(text, normalizer: normalizer.normalize) {
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let scalars):
                for word in BertNormalizer.words(scalars) { ids += wordPiece.encode(word: scalars[word]) }
            }
        }
        return ids
    }

    /// `[CLS]` ids `[SEP]` (the TemplateProcessing of a single sequence).
    public func addingSpecialTokens(_ ids: [Int]) -> [Int] {
        [clsTokenId] + ids + [sepTokenId]
    }

    /// The WordPiece decoder of HF `tokenizers` (`decoders.WordPiece(prefix="##", cleanup=True)`,
    /// what transformers 5.23's `decode` runs): each token after the first gets a space before
    /// it, or loses its `##` prefix; then `cleanup` runs on each token *separately*, so only a
    /// piece like " ." / " ," / " ?" / " !" loses its space ("he ' d go.", not "he'd go.").
    public func decode(_ ids: [Int]) -> String {
        var text = ""
        var index = 0
        for id in ids {
            guard let token = addedTokens.first(where: { $0.id == id })?.content
                    ?? (id >= 0 && id < wordPiece.tokens.count ? wordPiece.tokens[id] : nil) else { continue }
            var piece = token
            if index > 0 {
                piece = token.hasPrefix(wordPiece.prefix) ? String(token.dropFirst(wordPiece.prefix.count)) : " " + token
            }
            for (from, to) in Self.cleanup { piece = piece.replacingOccurrences(of: from, with: to) }
            text += piece
            index += 1
        }
        return text
    }

    /// `tokenizers`' `decoders::wordpiece::cleanup` replacements, in order.
    private static let cleanup = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                                  (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]
}
