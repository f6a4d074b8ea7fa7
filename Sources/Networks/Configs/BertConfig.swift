import Foundation

/// The config of transformers' `BertConfig` (`transformers/models/bert/configuration_bert.py`)
/// for `BertModel`, decoded from a `config.json` (all-MiniLM-L6-v2's, the default models' text
/// encoder, among others).
///
/// Absent keys take the defaults of transformers 5.23 (those of google-bert/bert-base-uncased).
/// Only the encoder is supported: `is_decoder` and `add_cross_attention` must be false and
/// `position_embedding_type`, a key older files carry, must be absent or "absolute" (the only
/// kind transformers 5.23 implements).
public struct BertConfig: DiffusersConfig, BertEncoderConfig, Equatable {
    /// `architectures`, e.g. ["BertModel"].
    public var architectures: [String]?
    /// `model_type` ("bert").
    public var modelType: String?
    /// `transformers_version`: the transformers release that wrote the file.
    public var transformersVersion: String?
    /// `vocab_size` (default 30522).
    public var vocabSize: Int
    /// `hidden_size` (default 768; all-MiniLM-L6-v2 384).
    public var hiddenSize: Int
    /// `num_hidden_layers` (default 12).
    public var numHiddenLayers: Int
    /// `num_attention_heads` (default 12).
    public var numAttentionHeads: Int
    /// `intermediate_size`: feed-forward width (default 3072).
    public var intermediateSize: Int
    /// `hidden_act` of the feed-forward (default "gelu", the exact erf GELU).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest token sequence (default 512).
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`: rows of `token_type_embeddings` (default 2).
    public var typeVocabSize: Int
    /// `layer_norm_eps` (default 1e-12).
    public var layerNormEps: Double
    /// `pad_token_id` (default 0): the embeddings' `padding_idx` (positions do not depend on it).
    public var padTokenId: Int?
    /// `position_embedding_type` of older files; nil when absent.
    public var positionEmbeddingType: String?
    /// `is_decoder` (default false; true is not supported).
    public var isDecoder: Bool
    /// `add_cross_attention` (default false; true is not supported).
    public var addCrossAttention: Bool

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case transformersVersion = "transformers_version"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case isDecoder = "is_decoder"
        case addCrossAttention = "add_cross_attention"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.optional(.architectures)
        modelType = try c.optional(.modelType)
        transformersVersion = try c.optional(.transformersVersion)
        vocabSize = try c.value(.vocabSize, default: 30522)
        hiddenSize = try c.value(.hiddenSize, default: 768)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 12)
        intermediateSize = try c.value(.intermediateSize, default: 3072)
        hiddenAct = try c.value(.hiddenAct, default: "gelu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 512)
        typeVocabSize = try c.value(.typeVocabSize, default: 2)
        layerNormEps = try c.value(.layerNormEps, default: 1e-12)
        padTokenId = try c.optional(.padTokenId, default: 0)
        positionEmbeddingType = try c.optional(.positionEmbeddingType)
        isDecoder = try c.value(.isDecoder, default: false)
        addCrossAttention = try c.value(.addCrossAttention, default: false)
    }

    /// Checks positive sizes, heads that divide the hidden size, a padding id inside the
    /// vocabulary, the activation name, and an encoder-only, absolute-position model.
    public func validate() throws {
        try validateEncoder()
        if let pad = padTokenId, !(0..<vocabSize).contains(pad) {
            throw ConfigError(field: CodingKeys.padTokenId.stringValue, "\(pad) is outside the vocabulary 0..<\(vocabSize)")
        }
        try Check.oneOf(positionEmbeddingType, CodingKeys.positionEmbeddingType.stringValue, ["absolute"])
        guard !isDecoder else {
            throw ConfigError(field: CodingKeys.isDecoder.stringValue, "a BERT decoder is not supported (only the bidirectional encoder)")
        }
        guard !addCrossAttention else {
            throw ConfigError(field: CodingKeys.addCrossAttention.stringValue, "BERT layers with cross-attention are not supported")
        }
    }

    /// The exact parameter count of transformers' `BertModel` with its pooler
    /// (`add_pooling_layer=True`, the default), without the `position_ids` buffer.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        tallyEncoder(&t)
        let h = hiddenSize
        t.linear(h, h)                               // pooler.dense
        return try t.total()
    }
}
