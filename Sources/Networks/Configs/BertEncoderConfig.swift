/// What a BERT-family encoder config says about its embeddings and layers: transformers'
/// `BertConfig`, and `ClapTextConfig` (CLAP's RoBERTa text tower), whose layers are the same
/// `BertLayer`. Field names in errors are the config.json keys the two share.
public protocol BertEncoderConfig {
    var vocabSize: Int { get }
    var hiddenSize: Int { get }
    var numHiddenLayers: Int { get }
    var numAttentionHeads: Int { get }
    var intermediateSize: Int { get }
    var hiddenAct: String { get }
    var maxPositionEmbeddings: Int { get }
    var typeVocabSize: Int { get }
    var layerNormEps: Double { get }
}

extension BertEncoderConfig {
    /// The activations of transformers' `ACT2FN` that Diffuse implements for BERT-family layers.
    public static var activationNames: [String] { ["gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu"] }

    /// Positive sizes, heads that divide the hidden size, and a known `hidden_act`.
    func validateEncoder() throws {
        try Check.positive(vocabSize, "vocab_size")
        try Check.positive(hiddenSize, "hidden_size")
        try Check.positive(numHiddenLayers, "num_hidden_layers")
        try Check.positive(numAttentionHeads, "num_attention_heads")
        try Check.positive(intermediateSize, "intermediate_size")
        try Check.positive(maxPositionEmbeddings, "max_position_embeddings")
        try Check.positive(typeVocabSize, "type_vocab_size")
        try Check.positive(layerNormEps, "layer_norm_eps")
        try Check.divisible(hiddenSize, "hidden_size", byHeads: numAttentionHeads, "num_attention_heads")
        try Check.oneOf(hiddenAct, "hidden_act", Self.activationNames)
    }

    /// Adds the embeddings (word, position, token type, LayerNorm) and every encoder layer.
    func tallyEncoder(_ t: inout ParameterTally) {
        let h = hiddenSize
        t.add(vocabSize, h)                          // word_embeddings
        t.add(maxPositionEmbeddings, h)              // position_embeddings
        t.add(typeVocabSize, h)                      // token_type_embeddings
        t.norm(h)                                    // embeddings.LayerNorm
        t.repeated(numHiddenLayers) { layer in
            for _ in 0..<4 { layer.linear(h, h) }    // query, key, value, attention.output.dense
            layer.norm(h)                            // attention.output.LayerNorm
            layer.linear(h, intermediateSize)        // intermediate.dense
            layer.linear(intermediateSize, h)        // output.dense
            layer.norm(h)                            // output.LayerNorm
        }
    }
}
