/// Tokenizers: CLIP and RoBERTa byte-level BPE, BERT WordPiece, each matching the
/// transformers 5.23 class of the same name (which are backed by HF `tokenizers`).
///
/// The pipeline of every tokenizer here is the one of HF `tokenizers`:
/// added tokens split out → normalizer → pre-tokenizer → model (BPE or WordPiece)
/// → post-processor (special tokens around the sequence) → truncation → padding.

/// The result of encoding one text: what transformers' `tokenizer(text, padding=…,
/// max_length=…, truncation=True)` returns as `input_ids` and `attention_mask`, plus what
/// truncation dropped (so a caller can warn "prompt truncated: dropped '…'", as diffusers does).
public struct TokenizedText: Sendable, Equatable {
    /// Token ids including the special tokens (BOS/CLS, EOS/SEP) and any padding.
    public var ids: [Int]
    /// 1 for real tokens (special tokens included), 0 for padding.
    public var attentionMask: [Int]
    /// Content token ids removed by truncation, in order (empty when nothing was dropped).
    public var droppedIds: [Int]

    /// Whether truncation removed any content token.
    public var isTruncated: Bool { !droppedIds.isEmpty }

    /// Number of non-padding tokens.
    public var length: Int { attentionMask.reduce(0, +) }
}

/// A tokenizer that turns a prompt into the ids a text encoder consumes.
public protocol TextTokenizer: Sendable {
    /// The `model_max_length` of `tokenizer_config.json` (77 for CLIP).
    var modelMaxLength: Int { get }
    /// The padding token id (`pad_token` of the configuration).
    var padTokenId: Int { get }
    /// Content token ids of `text`, without special tokens and without truncation
    /// (transformers: `tokenizer(text, add_special_tokens=False)["input_ids"]`).
    func tokenize(_ text: String) -> [Int]
    /// Wraps content ids in the special tokens (the post-processor).
    func addingSpecialTokens(_ ids: [Int]) -> [Int]
    /// The text of `ids` (transformers: `tokenizer.decode(ids)`).
    func decode(_ ids: [Int]) -> String
}

extension TextTokenizer {
    /// transformers' `tokenizer(text, padding="max_length" if padToMaxLength else False,
    /// max_length=maxLength, truncation=True)`: the content is truncated so that the
    /// sequence with its special tokens fits `maxLength` (default `modelMaxLength`),
    /// then padded with `padTokenId` on the right when `padToMaxLength`.
    public func encode(_ text: String, maxLength: Int? = nil, padToMaxLength: Bool = true) -> TokenizedText {
        let limit = maxLength ?? modelMaxLength
        let content = tokenize(text)
        let specialCount = addingSpecialTokens([]).count
        let kept = Swift.max(0, limit - specialCount)
        let dropped = content.count > kept ? Array(content[kept...]) : []
        var ids = addingSpecialTokens(Array(content.prefix(kept)))
        var mask = [Int](repeating: 1, count: ids.count)
        if padToMaxLength && ids.count < limit {
            let padding = limit - ids.count
            ids += [Int](repeating: padTokenId, count: padding)
            mask += [Int](repeating: 0, count: padding)
        }
        return TokenizedText(ids: ids, attentionMask: mask, droppedIds: dropped)
    }

    /// The text truncation dropped from `encoded` (empty when nothing was), for a warning.
    public func droppedText(_ encoded: TokenizedText) -> String {
        encoded.droppedIds.isEmpty ? "" : decode(encoded.droppedIds)
    }
}
