import Foundation

/// The config of transformers' `ClapTextConfig` (`transformers/models/clap/configuration_clap.py`)
/// for `ClapTextModelWithProjection`, AudioLDM's text encoder, decoded from `text_encoder/config.json`.
///
/// Absent keys take the `__init__` defaults of transformers 5.23 (the RoBERTa-base text tower of
/// laion/clap-htsat-unfused).
public struct ClapTextConfig: DiffusersConfig, BertEncoderConfig, Equatable {
    /// `architectures`, e.g. ["ClapTextModelWithProjection"].
    public var architectures: [String]?
    /// `model_type` ("clap_text_model").
    public var modelType: String?
    /// `transformers_version`: the transformers release that wrote the file.
    public var transformersVersion: String?
    /// `vocab_size` (default 50265).
    public var vocabSize: Int
    /// `hidden_size` (default 768).
    public var hiddenSize: Int
    /// `num_hidden_layers` (default 12).
    public var numHiddenLayers: Int
    /// `num_attention_heads` (default 12).
    public var numAttentionHeads: Int
    /// `intermediate_size`: feed-forward width (default 3072).
    public var intermediateSize: Int
    /// `hidden_act` of the feed-forward (default "gelu").
    public var hiddenAct: String
    /// `max_position_embeddings` (default 514: 512 tokens after the padding offset).
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`: rows of `token_type_embeddings` (default 1).
    public var typeVocabSize: Int
    /// `layer_norm_eps` (default 1e-12).
    public var layerNormEps: Double
    /// `projection_dim`: width of `text_projection` and of `text_embeds` (default 512).
    public var projectionDim: Int
    /// `pad_token_id` (default 1): also the embeddings' `padding_idx`, so positions start at
    /// `pad_token_id + 1`.
    public var padTokenId: Int
    /// `bos_token_id` (default 0).
    public var bosTokenId: Int?
    /// `eos_token_id` (default 2).
    public var eosTokenId: Int?
    /// `projection_hidden_act`: the activation between `text_projection.linear1` and `linear2`
    /// (default "relu").
    public var projectionHiddenAct: String

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
        case projectionDim = "projection_dim"
        case padTokenId = "pad_token_id"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case projectionHiddenAct = "projection_hidden_act"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.optional(.architectures)
        modelType = try c.optional(.modelType)
        transformersVersion = try c.optional(.transformersVersion)
        vocabSize = try c.value(.vocabSize, default: 50265)
        hiddenSize = try c.value(.hiddenSize, default: 768)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 12)
        intermediateSize = try c.value(.intermediateSize, default: 3072)
        hiddenAct = try c.value(.hiddenAct, default: "gelu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 514)
        typeVocabSize = try c.value(.typeVocabSize, default: 1)
        layerNormEps = try c.value(.layerNormEps, default: 1e-12)
        projectionDim = try c.value(.projectionDim, default: 512)
        padTokenId = try c.value(.padTokenId, default: 1)
        bosTokenId = try c.optional(.bosTokenId, default: 0)
        eosTokenId = try c.optional(.eosTokenId, default: 2)
        projectionHiddenAct = try c.value(.projectionHiddenAct, default: "relu")
    }

    /// The longest token sequence: positions run up to `length + pad_token_id`, which must stay
    /// below `max_position_embeddings` (512 for the default config).
    public var maxSequenceLength: Int { maxPositionEmbeddings - padTokenId - 1 }

    /// Checks positive sizes, heads that divide the hidden size, a padding id inside the
    /// vocabulary that leaves room for at least one position, and the activation names.
    public func validate() throws {
        try validateEncoder()
        try Check.positive(projectionDim, CodingKeys.projectionDim.stringValue)
        guard (0..<vocabSize).contains(padTokenId) else {
            throw ConfigError(field: CodingKeys.padTokenId.stringValue, "\(padTokenId) is outside the vocabulary 0..<\(vocabSize)")
        }
        guard padTokenId < maxPositionEmbeddings - 1 else {
            throw ConfigError(field: CodingKeys.padTokenId.stringValue, "\(padTokenId) leaves no position below max_position_embeddings \(maxPositionEmbeddings) (positions start at pad_token_id + 1)")
        }
        try Check.oneOf(projectionHiddenAct, CodingKeys.projectionHiddenAct.stringValue, Self.activationNames)
    }

    /// The exact parameter count of transformers' `ClapTextModelWithProjection` (without the
    /// int64 `position_ids` / `token_type_ids` buffers).
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        tallyEncoder(&t)
        let h = hiddenSize
        t.linear(h, h)                               // pooler.dense
        t.linear(h, projectionDim)                   // text_projection.linear1
        t.linear(projectionDim, projectionDim)       // text_projection.linear2
        return try t.total()
    }
}
