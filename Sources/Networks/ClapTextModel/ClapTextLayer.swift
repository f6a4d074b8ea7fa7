import NN
import SafeTensors
import Tensors

// Reference: transformers/models/clap/modeling_clap.py (5.23): ClapTextSelfAttention,
// ClapTextSelfOutput, ClapTextAttention, ClapTextIntermediate, ClapTextOutput, ClapTextLayer
// (BERT/RoBERTa post-norm blocks: LayerNorm(x + sublayer(x))).

/// transformers `ClapTextLayer` (modeling_clap.py): bidirectional self-attention
/// (`attention.self.{query,key,value}`, scale `head_dim^-0.5`), `attention.output.dense` and its
/// post-norm `attention.output.LayerNorm`, then the feed-forward `intermediate.dense` →
/// activation → `output.dense` and `output.LayerNorm`, each around a residual.
struct ClapTextLayer: Sendable {
    let query, key, value, attentionOutput: Linear
    let attentionNorm: LayerNorm
    let intermediate, output: Linear
    let outputNorm: LayerNorm
    let activation: CLIPActivation
    let heads: Int

    init(_ scope: WeightScope, config: ClapTextConfig) throws {
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
        activation = try CLIPActivation(config.hiddenAct)    // validated by ClapTextConfig
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

/// transformers `ClapProjectionLayer` (modeling_clap.py): `linear2(act(linear1(x)))`,
/// hidden_size → projection_dim → projection_dim.
struct ClapProjectionLayer: Sendable {
    let linear1, linear2: Linear
    let activation: CLIPActivation

    init(_ scope: WeightScope, config: ClapTextConfig) throws {
        linear1 = try Linear(scope["linear1"], in: config.hiddenSize, out: config.projectionDim)
        linear2 = try Linear(scope["linear2"], in: config.projectionDim, out: config.projectionDim)
        activation = try CLIPActivation(config.projectionHiddenAct)    // validated by ClapTextConfig
    }

    /// [B, D] → [B, projection_dim].
    func callAsFunction(_ x: Tensor) -> Tensor { linear2(activation(linear1(x))) }
}
