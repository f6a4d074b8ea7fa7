import Foundation

/// transformers' `CLIPTokenizer` (5.23, backed by HF `tokenizers`; `CLIPTokenizerFast` is the
/// same class), the tokenizer of Stable Diffusion's `tokenizer/` folder:
/// - added tokens (`<|startoftext|>`, `<|endoftext|>`, SD 2.x's pad `!`) split out first;
/// - normalizer: NFC, every run of whitespace → one space, lowercase (per character). There
///   is no ftfy and no HTML unescaping in transformers 5: `&amp;` stays `&amp;`;
/// - pre-tokenizer: the CLIP pattern (`PreTokenizers.clip`, numbers split per digit), then
///   ByteLevel's GPT-2 pattern on each piece;
/// - byte-level BPE with `</w>` marking the end of a word;
/// - `<|startoftext|>` … `<|endoftext|>` around the sequence, truncation and padding to
///   `model_max_length` (77) with the configured pad token (`<|endoftext|>` for SD 1.x, `!`, id 0,
///   for SD 2.x), as diffusers pipelines call it (`padding="max_length", truncation=True`).
///
/// Limitations: one text at a time (no pairs, no offsets); `single_word` added tokens unsupported.
public struct CLIPTokenizer: TextTokenizer {
    /// The byte-level BPE model.
    public let bpe: BytePairEncoding
    /// The added vocabulary, as transformers resolves it from the folder.
    public let addedTokens: [AddedToken]
    /// `model_max_length` (77 unless the configuration says otherwise).
    public let modelMaxLength: Int
    /// Id of `bos_token` (`<|startoftext|>`, 49406 in OpenAI's vocabulary).
    public let bosTokenId: Int
    /// Id of `eos_token` (`<|endoftext|>`, 49407).
    public let eosTokenId: Int
    /// Id of `pad_token`.
    public let padTokenId: Int
    private let added: AddedVocabulary

    /// Loads a tokenizer folder in diffusers layout: `tokenizer.json` if present (what
    /// transformers 5 saves), else `vocab.json` + `merges.txt`; plus `tokenizer_config.json`
    /// and `special_tokens_map.json` when present.
    /// - Parameter derivingVocabularyFromMerges: for a folder with OpenAI's CLIP merges but
    ///   no `vocab.json` (e.g. from open_clip's `bpe_simple_vocab_16e6.txt`): the vocabulary
    ///   is rebuilt by `openAIVocabulary(merges:)`. Wrong for any other vocabulary.
    public init(folder: URL, derivingVocabularyFromMerges: Bool = false) throws {
        let configuration = try TokenizerConfiguration(folder: folder)
        let unknown = configuration.content("unk_token", default: "<|endoftext|>")
        if let url = TokenizerJSON.url(in: folder) {
            let file = try TokenizerJSON(url)
            try file.require(model: "BPE", for: "CLIPTokenizer")
            let bpe = try BytePairEncoding(vocabulary: file.vocabulary, merges: file.merges,
                                           endOfWordSuffix: file.modelString("end_of_word_suffix") ?? "</w>",
                                           unknownToken: file.modelString("unk_token") ?? unknown)
            try self.init(bpe: bpe, configuration: configuration, baseAddedTokens: file.addedTokens)
        } else {
            let merges = try BytePairEncoding.readMerges(folder.appendingPathComponent("merges.txt"))
            let vocabulary = derivingVocabularyFromMerges
                ? Self.openAIVocabulary(merges: merges)
                : try JSONFile.vocabulary(JSONFile.object(folder.appendingPathComponent("vocab.json")),
                                          in: folder.appendingPathComponent("vocab.json"))
            let bpe = try BytePairEncoding(vocabulary: vocabulary, merges: merges, endOfWordSuffix: "</w>",
                                           unknownToken: unknown)
            try self.init(bpe: bpe, configuration: configuration, baseAddedTokens: configuration.addedTokensDecoder)
        }
    }

    /// A tokenizer from a loaded BPE model and a configuration (so one vocabulary can serve
    /// several configurations, e.g. SD 1.x and SD 2.x pad tokens).
    public init(bpe: BytePairEncoding, configuration: TokenizerConfiguration = TokenizerConfiguration(),
                baseAddedTokens: [AddedToken] = []) throws {
        self.bpe = bpe
        let resolved = configuration.resolveAddedTokens(base: baseAddedTokens, vocabulary: bpe.vocabulary)
        addedTokens = resolved
        added = AddedVocabulary(resolved, normalizer: Self.normalize)
        modelMaxLength = configuration.modelMaxLength ?? 77
        func tokenId(_ attribute: String, _ fallback: String) throws -> Int {
            let content = configuration.content(attribute, default: fallback)
            guard let id = resolved.first(where: { $0.content == content })?.id ?? bpe.vocabulary[content] else {
                throw TokenizerError("CLIPTokenizer: \(attribute) '\(content)' is not in the vocabulary")
            }
            return id
        }
        bosTokenId = try tokenId("bos_token", "<|startoftext|>")
        eosTokenId = try tokenId("eos_token", "<|endoftext|>")
        padTokenId = try tokenId("pad_token", "<|endoftext|>")
    }

    /// The `vocab.json` of OpenAI's CLIP as transformers' conversion builds it from the BPE
    /// merges: the 256 byte characters (in `bytes_to_unicode` order), the same with `</w>`, one token per merge (the pair
    /// joined), then `<|startoftext|>` and `<|endoftext|>` (49,408 tokens for the 48,894 merges).
    public static func openAIVocabulary(merges: [(String, String)]) -> [String: Int] {
        var vocabulary = [String: Int](minimumCapacity: 512 + merges.count + 2)
        for (index, byte) in ByteLevel.dictionaryOrder.enumerated() {
            let character = String(ByteLevel.characters[Int(byte)])
            vocabulary[character] = index
            vocabulary[character + "</w>"] = 256 + index
        }
        for (index, (left, right)) in merges.enumerated() { vocabulary[left + right] = 512 + index }
        vocabulary["<|startoftext|>"] = 512 + merges.count
        vocabulary["<|endoftext|>"] = 513 + merges.count
        return vocabulary
    }

    /// The CLIP normalizer: NFC, `\s+` → " ", lowercase.
    static func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output = [Unicode.Scalar]()
        output.reserveCapacity(text.count)
        var inSpace = false
        for scalar in UnicodeNormalization.nfc(text) {
            if scalar.isWhiteSpace {
                if !inSpace { output.append(" ") }
                inSpace = true
            } else {
                inSpace = false
                scalar.appendLowercase(to: &output)
            }
        }
        return output
    }

    /// Content ids of `text` (no BOS/EOS, no truncation).
    public func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        var word = [UInt8]()
        for piece in added.split(text, normalizer: Self.normalize) {
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let scalars):
                for clipPiece in PreTokenizers.clip(scalars[...]) {
                    for range in PreTokenizers.gpt2(scalars[clipPiece]) {
                        word.removeAll(keepingCapacity: true)
                        for scalar in scalars[range] { UTF8.encode(scalar) { word.append($0) } }
                        ids += bpe.encode(word: word)
                    }
                }
            }
        }
        return ids
    }

    /// `<|startoftext|>` ids `<|endoftext|>` (RobertaProcessing with CLIP's tokens).
    public func addingSpecialTokens(_ ids: [Int]) -> [Int] {
        [bosTokenId] + ids + [eosTokenId]
    }

    /// transformers' `CLIPTokenizer.decode`: byte-level decoding, `</w>` → space, stripped.
    public func decode(_ ids: [Int]) -> String {
        var bytes = [UInt8]()
        for id in ids {
            if let token = addedTokens.first(where: { $0.id == id }) {
                bytes += Array(token.content.utf8)
            } else {
                bytes += bpe.bytes(of: [id])
            }
        }
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "</w>", with: " ")
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
