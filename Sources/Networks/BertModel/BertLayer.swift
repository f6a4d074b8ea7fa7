import NN
import SafeTensors
import Tensors

// Reference: transformers/models/bert/modeling_bert.py (5.23): BertSelfAttention, BertSelfOutput,
// BertAttention, BertIntermediate, BertOutput, BertLayer (post-norm: LayerNorm(x + sublayer(x))).

/// transformers `BertLayer` (modeling_bert.py) of an encoder: bidirectional self-attention
/// (`attention.self.{query,key,value}`, scale `head_dim^-0.5`, padding keys masked out),
/// `attention.output.dense` with the post-norm `attention.output.LayerNorm` around a residual,
/// then `intermediate.dense` → `hidden_act` → `output.dense` with `output.LayerNorm` around a
/// residual. Dropout is the identity (inference). CLAP's text tower (`ClapTextLayer`, RoBERTa's
/// layer) is the same module with the same keys, so `ClapTextModelWithProjection` uses it too.
struct BertLayer: Sendable {
    let query, key, value, attentionOutput: Linear
    let attentionNorm: LayerNorm
    let intermediate, output: Linear
    let outputNorm: LayerNorm
    let activation: CLIPActivation
    let heads: Int

    /// Reads the layer's weights from `scope` (`encoder.layer.{i}`).
    init(_ scope: WeightScope, config: some BertEncoderConfig) throws {
        let d = config.hiddenSize, eps = Float(config.layerNormEps)
        let attention = scope["attention"]
        query = try Linear(attention["self"]["query"], in: d, out: d)
        key = try Linear(attention["self"]["key"], in: d, out: d)
        value = try Linear(attention["self"]["value"], in: d, out: d)
        attentionOutput = try Linear(attention["output"]["dense"], in: d, out: d)
        attentionNorm = try LayerNorm(attention["output"]["LayerNorm"], dim: d, eps: eps)
        intermediate = try Linear(scope["intermediate"]["dense"], in: d, out: config.intermediateSize)
        output = try Linear(scope["output"]["dense"], in: config.intermediateSize, out: d)
        outputNorm = try LayerNorm(scope["output"]["LayerNorm"], dim: d, eps: eps)
        activation = try CLIPActivation(config.hiddenAct)    // the same ACT2FN names, validated by the config
        heads = config.numAttentionHeads
    }

    /// x [B, L, D] → [B, L, D]; `mask` keeps the non-padding keys ([B, 1, 1, L]).
    func callAsFunction(_ x: Tensor, mask: AttentionMask?) -> Tensor {
        let attended = multiHeadAttention(query: query(x), key: key(x), value: value(x), heads: heads,
                                          mask: mask)                               // [B, L, D]
        let h = attentionNorm(attentionOutput(attended) + x)                         // [B, L, D]
        return outputNorm(output(activation(intermediate(h))) + h)                   // intermediate: [B, L, I]
    }
}
