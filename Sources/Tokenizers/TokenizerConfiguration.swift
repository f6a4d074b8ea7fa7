import Foundation

/// The settings of a transformers tokenizer folder besides the vocabulary:
/// `tokenizer_config.json` (model_max_length, special tokens, `added_tokens_decoder`,
/// BERT's lower-casing options) overlaid with `special_tokens_map.json`. Both files are optional.
public struct TokenizerConfiguration: Sendable {
    /// A special token named in the configuration: its text, and the flags when the
    /// configuration gives an `AddedToken` object rather than a plain string.
    public struct SpecialToken: Sendable, Equatable {
        /// The token text.
        public var content: String
        /// The flags of an `{"__type": "AddedToken", …}` entry, nil for a plain string.
        public var flags: AddedToken?
    }

    /// `model_max_length`, nil when absent or the "no limit" value transformers writes (~1e30).
    public var modelMaxLength: Int?
    /// The special tokens by attribute (`bos_token`, `eos_token`, `unk_token`, `sep_token`,
    /// `pad_token`, `cls_token`, `mask_token`).
    public var specialTokens: [String: SpecialToken] = [:]
    /// `additional_special_tokens` / `extra_special_tokens`.
    public var extraSpecialTokens: [SpecialToken] = []
    /// The `added_tokens_decoder` entries (id → token), in id order.
    public var addedTokensDecoder: [AddedToken] = []
    /// BERT: `do_lower_case`.
    public var doLowerCase: Bool?
    /// BERT: `strip_accents` (nil: follow `do_lower_case`).
    public var stripAccents: Bool?
    /// BERT: `tokenize_chinese_chars`.
    public var tokenizeChineseChars: Bool?

    /// The order in which transformers registers the special tokens (SPECIAL_TOKENS_ATTRIBUTES).
    public static let attributes = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// An empty configuration (every value from the tokenizer's defaults).
    public init() {}

    /// Reads `tokenizer_config.json` and `special_tokens_map.json` of `folder` (each optional).
    public init(folder: URL) throws {
        if let config = try JSONFile.object(folder.appendingPathComponent("tokenizer_config.json"), optional: true) {
            apply(config)
            if let max = config["model_max_length"] as? Double, max.isFinite, max >= 1, max < 1e9 {
                modelMaxLength = Int(max)
            }
            doLowerCase = config["do_lower_case"] as? Bool
            stripAccents = config["strip_accents"] as? Bool
            tokenizeChineseChars = config["tokenize_chinese_chars"] as? Bool
            if let decoder = config["added_tokens_decoder"] as? [String: Any] {
                addedTokensDecoder = decoder.compactMap { key, value in
                    guard let id = Int(key), let entry = value as? [String: Any],
                          let token = Self.specialToken(entry)?.flags else { return nil }
                    var added = token
                    added.id = id
                    added.special = entry["special"] as? Bool ?? false
                    return added
                }.sorted { $0.id < $1.id }
            }
        }
        if let map = try JSONFile.object(folder.appendingPathComponent("special_tokens_map.json"), optional: true) {
            apply(map)
        }
    }

    private mutating func apply(_ object: [String: Any]) {
        for name in Self.attributes {
            if let token = object[name].flatMap(Self.specialToken) { specialTokens[name] = token }
        }
        for name in ["additional_special_tokens", "extra_special_tokens"] {
            if let list = object[name] as? [Any] { extraSpecialTokens = list.compactMap(Self.specialToken) }
        }
    }

    private static func specialToken(_ value: Any) -> SpecialToken? {
        if let content = value as? String { return SpecialToken(content: content, flags: nil) }
        guard let entry = value as? [String: Any], let content = entry["content"] as? String else { return nil }
        let flags = AddedToken(content: content, id: -1, lstrip: entry["lstrip"] as? Bool ?? false,
                               rstrip: entry["rstrip"] as? Bool ?? false,
                               normalized: entry["normalized"] as? Bool ?? false, special: true)
        return SpecialToken(content: content, flags: flags)
    }

    /// The text of a special token attribute, or `fallback` when the configuration does not name it.
    public func content(_ attribute: String, default fallback: String) -> String {
        specialTokens[attribute]?.content ?? fallback
    }

    /// The added vocabulary transformers 5.23 ends up with: `base` (the `added_tokens` of
    /// tokenizer.json, else `added_tokens_decoder`), then each special token in attribute
    /// order, registered as in `TokenizersBackend._post_init`: a token already in `base`
    /// keeps its flags; otherwise an `AddedToken` object brings its own flags and a plain
    /// string is special with `normalized=False`; a later registration of the same text wins.
    /// Ids come from `base`, else the vocabulary, else follow the largest id.
    public func resolveAddedTokens(base: [AddedToken], vocabulary: [String: Int]) -> [AddedToken] {
        var tokens = base
        var nextId = Swift.max(vocabulary.values.max() ?? -1, base.map(\.id).max() ?? -1) + 1
        let named = Self.attributes.compactMap { specialTokens[$0] } + extraSpecialTokens
        for special in named where !special.content.isEmpty {
            var token: AddedToken
            if let existing = base.first(where: { $0.content == special.content }) {
                token = existing
            } else {
                token = special.flags ?? AddedToken(content: special.content, id: -1)
                token.special = true
                if let id = tokens.first(where: { $0.content == special.content })?.id ?? vocabulary[special.content] {
                    token.id = id
                } else {
                    token.id = nextId
                    nextId += 1
                }
            }
            if let index = tokens.firstIndex(where: { $0.content == token.content }) {
                tokens[index] = token
            } else {
                tokens.append(token)
            }
        }
        return tokens
    }
}

/// JSON file reading with errors that name the file.
enum JSONFile {
    static func object(_ url: URL, optional: Bool = false) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if optional { return nil }
            throw TokenizerError("\(url.path): file not found")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError("\(url.path): not a JSON object")
        }
        return object
    }

    /// A `{"token": id, …}` map (vocab.json, or the `vocab` of tokenizer.json).
    static func vocabulary(_ value: Any?, in url: URL) throws -> [String: Int] {
        guard let map = value as? [String: Any] else { throw TokenizerError("\(url.path): no token → id map") }
        var vocabulary = [String: Int](minimumCapacity: map.count)
        for (token, id) in map {
            guard let id = id as? Int, id >= 0 else {
                throw TokenizerError("\(url.path): token '\(token)' has no valid id")
            }
            vocabulary[token] = id
        }
        return vocabulary
    }
}
