import Foundation

/// transformers' `RobertaTokenizer` (5.23, backed by HF `tokenizers`; `RobertaTokenizerFast`
/// is the same class), the tokenizer of CLAP's text model (`ClapTextModelWithProjection` in
/// AudioLDM): GPT-2 byte-level BPE over `vocab.json` + `merges.txt` (or `tokenizer.json`):
/// - added tokens (`<s>`, `</s>`, `<pad>`, `<unk>`, `<mask>`; `<mask>` with `lstrip` in CLAP)
///   split out first; no normalizer;
/// - pre-tokenizer: ByteLevel with GPT-2's pattern; a space belongs to the word after it
///   (`Ġ` in the vocabulary); no prefix space is added (`add_prefix_space=False`);
/// - byte-level BPE without end-of-word suffix (the same `BytePairEncoding` as CLIP);
/// - `<s>` … `</s>` around the sequence, truncation and padding to `model_max_length` with
///   `<pad>`, as AudioLDM calls it (`padding="max_length", truncation=True`).
///
/// Limitations: one text at a time (no pairs, no offsets); `add_prefix_space=True` unsupported.
public struct RobertaTokenizer: TextTokenizer {
    /// The byte-level BPE model.
    public let bpe: BytePairEncoding
    /// The added vocabulary, as transformers resolves it from the folder.
    public let addedTokens: [AddedToken]
    /// `model_max_length` (512 unless the configuration says otherwise).
    public let modelMaxLength: Int
    /// Id of `cls_token` (`<s>`), first in every sequence.
    public let clsTokenId: Int
    /// Id of `sep_token` (`</s>`), last in every sequence.
    public let sepTokenId: Int
    /// Id of `pad_token` (`<pad>`).
    public let padTokenId: Int
    private let added: AddedVocabulary

    /// Loads `tokenizer.json` if present, else `vocab.json` + `merges.txt`, plus
    /// `tokenizer_config.json` and `special_tokens_map.json` when present.
    public init(folder: URL) throws {
        let configuration = try TokenizerConfiguration(folder: folder)
        if let url = TokenizerJSON.url(in: folder) {
            let file = try TokenizerJSON(url)
            try file.require(model: "BPE", for: "RobertaTokenizer")
            if file.preTokenizer?["add_prefix_space"] as? Bool == true {
                throw TokenizerError("\(url.path): RobertaTokenizer with add_prefix_space=True is not supported")
            }
            let bpe = try BytePairEncoding(vocabulary: file.vocabulary, merges: file.merges,
                                           unknownToken: file.modelString("unk_token"))
            try self.init(bpe: bpe, configuration: configuration, baseAddedTokens: file.addedTokens)
        } else {
            let vocabularyURL = folder.appendingPathComponent("vocab.json")
            let vocabulary = try JSONFile.vocabulary(JSONFile.object(vocabularyURL), in: vocabularyURL)
            let merges = try BytePairEncoding.readMerges(folder.appendingPathComponent("merges.txt"))
            let bpe = try BytePairEncoding(vocabulary: vocabulary, merges: merges)
            try self.init(bpe: bpe, configuration: configuration, baseAddedTokens: configuration.addedTokensDecoder)
        }
    }

    /// A tokenizer from a loaded BPE model and a configuration. The special tokens missing
    /// from the configuration are RoBERTa's defaults (`<s>`, `</s>`, `<unk>`, `<pad>`, `<mask>`).
    public init(bpe: BytePairEncoding, configuration: TokenizerConfiguration = TokenizerConfiguration(),
                baseAddedTokens: [AddedToken] = []) throws {
        var configuration = configuration
        let defaults = ["bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
                        "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"]
        for (attribute, content) in defaults where configuration.specialTokens[attribute] == nil {
            configuration.specialTokens[attribute] = .init(content: content, flags: nil)
        }
        self.bpe = bpe
        let resolved = configuration.resolveAddedTokens(base: baseAddedTokens, vocabulary: bpe.vocabulary)
        addedTokens = resolved
        added = AddedVocabulary(resolved) { $0 }
        modelMaxLength = configuration.modelMaxLength ?? 512
        func tokenId(_ attribute: String) throws -> Int {
            let content = configuration.content(attribute, default: defaults[attribute] ?? "")
            guard let id = resolved.first(where: { $0.content == content })?.id ?? bpe.vocabulary[content] else {
                throw TokenizerError("RobertaTokenizer: \(attribute) '\(content)' is not in the vocabulary")
            }
            return id
        }
        clsTokenId = try tokenId("cls_token")
        sepTokenId = try tokenId("sep_token")
        padTokenId = try tokenId("pad_token")
    }

    /// Content ids of `text` (no `<s>`/`</s>`, no truncation).
    public func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        var word = [UInt8]()
        for piece in added.split(text, normalizer: { $0 }) {
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let scalars):
                for range in PreTokenizers.gpt2(scalars[...]) {
                    word.removeAll(keepingCapacity: true)
                    for scalar in scalars[range] { UTF8.encode(scalar) { word.append($0) } }
                    ids += bpe.encode(word: word)
                }
            }
        }
        return ids
    }

    /// `<s>` ids `</s>` (RobertaProcessing).
    public func addingSpecialTokens(_ ids: [Int]) -> [Int] {
        [clsTokenId] + ids + [sepTokenId]
    }

    /// transformers' `RobertaTokenizer.decode`: byte-level decoding of every token.
    public func decode(_ ids: [Int]) -> String {
        var bytes = [UInt8]()
        for id in ids {
            if let token = addedTokens.first(where: { $0.id == id }) {
                bytes += Array(token.content.utf8)
            } else {
                bytes += bpe.bytes(of: [id])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
