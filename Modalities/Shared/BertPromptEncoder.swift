import Foundation
import Networks
import SafeTensors
import Tensors
import Tokenizers

/// `BertTokenizer` + `BertModel`: the text encoder of Diffuse's default models
/// (all-MiniLM-L6-v2, fetched by `bash tools/install.sh` into
/// `Models/text-encoders/all-MiniLM-L6-v2/`). Its per-token hidden states are what the default
/// models' UNets cross-attend to.
///
/// The convention, exactly as the training recipes compute it in Python (transformers 5.23):
///
/// ```python
/// tokenizer = BertTokenizerFast.from_pretrained(tokenizer_folder)   # tokenizer.json (or vocab.txt)
/// text_encoder = BertModel.from_pretrained(text_encoder_folder).eval()
/// enc = tokenizer(prompts, padding="max_length", max_length=N, truncation=True, return_tensors="pt")
/// with torch.no_grad():
///     encoder_hidden_states = text_encoder(input_ids=enc.input_ids,
///                                          attention_mask=enc.attention_mask).last_hidden_state
/// ```
///
/// - `N` is `model_max_length` of the model folder's `tokenizer/tokenizer_config.json` (the
///   default models use a small fixed length such as 32), unless given explicitly. The sequence
///   is `[CLS]` + at most N − 2 WordPiece tokens + `[SEP]`, then `[PAD]` (id 0) up to N; longer
///   prompts are truncated at the end and the dropped text is reported for a warning.
/// - The text is lowercased, accents are stripped, and words the vocabulary lacks (emoji, for
///   instance) become `[UNK]`.
/// - The attention mask (1 on `[CLS]`, the words and `[SEP]`, 0 on padding) goes to the BERT
///   encoder only; `token_type_ids` are all 0.
/// - The output is `last_hidden_state` unchanged, [1, N, hidden_size] ([1, N, 384] for
///   all-MiniLM-L6-v2): no pooling, no normalisation, and the padding positions are kept (their
///   states attend to the real tokens only). The UNet gets no encoder attention mask: it
///   cross-attends to all N positions.
/// - Classifier-free guidance's unconditional input is the empty prompt encoded the same way
///   (`[CLS] [SEP]` and padding).
public struct BertPromptEncoder: PromptEncoding {
    /// The tokenizer.
    public let tokenizer: BertTokenizer
    /// The text model.
    public let model: BertModel
    /// The padded, truncated sequence length N.
    public let maxLength: Int

    /// An encoder from a loaded tokenizer and model; `maxLength` defaults to the tokenizer's
    /// `model_max_length`. Throws when the length leaves no room for a word or exceeds the
    /// model's `max_position_embeddings`.
    public init(tokenizer: BertTokenizer, model: BertModel, maxLength: Int? = nil) throws {
        let length = maxLength ?? tokenizer.modelMaxLength
        guard length >= 3, length <= model.config.maxPositionEmbeddings else {
            throw ModelInputError("BertPromptEncoder", "max_length \(length) must be in 3...\(model.config.maxPositionEmbeddings) (room for [CLS], one token and [SEP], within max_position_embeddings)")
        }
        self.tokenizer = tokenizer
        self.model = model
        self.maxLength = length
    }

    /// Loads a `tokenizer/` folder (`tokenizer.json` or `vocab.txt`, `tokenizer_config.json`)
    /// and a `text_encoder/` folder (`config.json`, safetensors weights; strictly: a missing or
    /// misshapen weight is an error naming its key).
    public init(tokenizerFolder: URL, textEncoderFolder: URL, maxLength: Int? = nil,
                loading: WeightLoading = WeightLoading()) throws {
        try self.init(tokenizer: try BertTokenizer(folder: tokenizerFolder),
                      model: try BertModel(folder: textEncoderFolder, loading: loading),
                      maxLength: maxLength)
    }

    /// An encoder from a `tokenizer/` folder and an already loaded model (one text encoder
    /// shared by models whose tokenizer settings differ).
    public init(tokenizerFolder: URL, model: BertModel, maxLength: Int? = nil) throws {
        try self.init(tokenizer: try BertTokenizer(folder: tokenizerFolder), model: model, maxLength: maxLength)
    }

    /// The tokens `encode` feeds the model: ids and attention mask of length `maxLength`, and
    /// what truncation dropped (`tokenizer.wordPiece.unknownId` marks words the vocabulary lacks).
    public func tokens(_ prompt: String) -> TokenizedText {
        tokenizer.encode(prompt, maxLength: maxLength, padToMaxLength: true)
    }

    /// `tokenizer(prompt, padding="max_length", max_length=N, truncation=True)` →
    /// `BertModel(input_ids, attention_mask).last_hidden_state`, [1, N, hidden_size].
    public func encode(_ prompt: String) throws -> PromptEmbedding {
        let encoded = tokens(prompt)
        let out = try model(inputIds: [encoded.ids], attentionMask: [encoded.attentionMask])
        return PromptEmbedding(hiddenStates: out.lastHiddenState, droppedText: tokenizer.droppedText(encoded))   // [1, N, D]
    }
}
