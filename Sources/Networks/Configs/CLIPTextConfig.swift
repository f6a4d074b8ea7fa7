import Foundation

/// The config of transformers' `CLIPTextConfig` (`transformers/models/clip/configuration_clip.py`)
/// for `CLIPTextModel` / `CLIPTextModelWithProjection`, decoded from `text_encoder/config.json`.
///
/// Absent keys take the `__init__` defaults of transformers 5.23 (those of
/// openai/clip-vit-base-patch32's text tower).
public struct CLIPTextConfig: DiffusersConfig, Equatable {
    /// `architectures`, e.g. ["CLIPTextModel"].
    public var architectures: [String]?
    /// `model_type` ("clip_text_model").
    public var modelType: String?
    /// `transformers_version`: the transformers release that wrote the file.
    public var transformersVersion: String?
    /// `vocab_size` (default 49408).
    public var vocabSize: Int
    /// `hidden_size` (default 512; SD 1.x 768, SD 2.x 1024).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width (default 2048).
    public var intermediateSize: Int
    /// `projection_dim`: width of `text_projection` (default 512).
    public var projectionDim: Int
    /// `num_hidden_layers` (default 12).
    public var numHiddenLayers: Int
    /// `num_attention_heads` (default 8).
    public var numAttentionHeads: Int
    /// `max_position_embeddings`: the longest token sequence (default 77).
    public var maxPositionEmbeddings: Int
    /// `hidden_act` (default "quick_gelu"; SD 2.x "gelu").
    public var hiddenAct: String
    /// `layer_norm_eps` (default 1e-5).
    public var layerNormEps: Double
    /// `pad_token_id` (default 1).
    public var padTokenId: Int?
    /// `bos_token_id` (default 49406).
    public var bosTokenId: Int?
    /// `eos_token_id` (default 49407; old configs say 2, which transformers then ignores).
    public var eosTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case transformersVersion = "transformers_version"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case projectionDim = "projection_dim"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.optional(.architectures)
        modelType = try c.optional(.modelType)
        transformersVersion = try c.optional(.transformersVersion)
        vocabSize = try c.value(.vocabSize, default: 49408)
        hiddenSize = try c.value(.hiddenSize, default: 512)
        intermediateSize = try c.value(.intermediateSize, default: 2048)
        projectionDim = try c.value(.projectionDim, default: 512)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 8)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 77)
        hiddenAct = try c.value(.hiddenAct, default: "quick_gelu")
        layerNormEps = try c.value(.layerNormEps, default: 1e-5)
        padTokenId = try c.optional(.padTokenId, default: 1)
        bosTokenId = try c.optional(.bosTokenId, default: 49406)
        eosTokenId = try c.optional(.eosTokenId, default: 49407)
    }

    /// The activations transformers' `ACT2FN` offers that CLIP text models use.
    public static let activationNames = ["quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu"]

    /// True when `architectures` names `CLIPTextModelWithProjection` (adds `text_projection`).
    public var hasProjection: Bool { architectures?.contains("CLIPTextModelWithProjection") ?? false }

    /// Checks positive sizes, heads that divide the hidden size, and the activation name.
    public func validate() throws {
        try Check.positive(vocabSize, CodingKeys.vocabSize.stringValue)
        try Check.positive(hiddenSize, CodingKeys.hiddenSize.stringValue)
        try Check.positive(intermediateSize, CodingKeys.intermediateSize.stringValue)
        try Check.positive(projectionDim, CodingKeys.projectionDim.stringValue)
        try Check.positive(numHiddenLayers, CodingKeys.numHiddenLayers.stringValue)
        try Check.positive(numAttentionHeads, CodingKeys.numAttentionHeads.stringValue)
        try Check.positive(maxPositionEmbeddings, CodingKeys.maxPositionEmbeddings.stringValue)
        try Check.positive(layerNormEps, CodingKeys.layerNormEps.stringValue)
        try Check.divisible(hiddenSize, CodingKeys.hiddenSize.stringValue, byHeads: numAttentionHeads,
                            CodingKeys.numAttentionHeads.stringValue)
        try Check.oneOf(hiddenAct, CodingKeys.hiddenAct.stringValue, Self.activationNames)
    }

    /// The exact parameter count of transformers' `CLIPTextModel` (plus `text_projection` for
    /// `CLIPTextModelWithProjection`).
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let h = hiddenSize
        t.add(vocabSize, h)                          // token_embedding
        t.add(maxPositionEmbeddings, h)              // position_embedding
        let mlp = intermediateSize
        t.repeated(numHiddenLayers) { layer in
            layer.norm(h)                            // layer_norm1
            for _ in 0..<4 { layer.linear(h, h) }    // q, k, v, out_proj
            layer.norm(h)                            // layer_norm2
            layer.linear(h, mlp)                     // fc1
            layer.linear(mlp, h)                     // fc2
        }
        t.norm(h)                                    // final_layer_norm
        if hasProjection { t.linear(h, projectionDim, bias: false) }
        return try t.total()
    }
}
