import NN
import SafeTensors
import Tensors

// Reference: transformers/models/clip/modeling_clip.py (5.23): CLIPAttention, CLIPMLP,
// CLIPEncoderLayer. Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)).

/// transformers' `ACT2FN[hidden_act]` for the names `CLIPTextConfig.activationNames` allows.
enum CLIPActivation: Sendable {
    case quickGelu, gelu, geluTanh, relu, silu

    init(_ name: String) throws {
        switch name {
        case "quick_gelu": self = .quickGelu
        case "gelu": self = .gelu                                   // GELUActivation: exact erf
        case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh       // the tanh approximation
        case "relu": self = .relu
        case "silu": self = .silu
        default: throw ConfigError(field: "hidden_act", "\"\(name)\" is not one of \(CLIPTextConfig.activationNames)")
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .quickGelu: x.quickGelu()
        case .gelu: x.gelu()
        case .geluTanh: x.gelu(approximate: .tanh)
        case .relu: x.relu()
        case .silu: x.silu()
        }
    }
}

/// transformers `CLIPAttention` (modeling_clip.py): multi-head self-attention with
/// `q_proj`, `k_proj`, `v_proj`, `out_proj`, scale `head_dim^-0.5`.
struct CLIPAttention: Sendable {
    let qProj, kProj, vProj, outProj: Linear
    let heads: Int

    init(_ scope: WeightScope, config: CLIPTextConfig) throws {
        let d = config.hiddenSize
        qProj = try Linear(scope["q_proj"], in: d, out: d)
        kProj = try Linear(scope["k_proj"], in: d, out: d)
        vProj = try Linear(scope["v_proj"], in: d, out: d)
        outProj = try Linear(scope["out_proj"], in: d, out: d)
        heads = config.numAttentionHeads
    }

    /// x [B, L, D] → [B, L, D], causal, with optional key padding mask (`keep`, [B, 1, 1, L]).
    func callAsFunction(_ x: Tensor, mask: AttentionMask?) -> Tensor {
        let q = qProj(x), k = kProj(x), v = vProj(x)                      // [B, L, D]
        let attended = multiHeadAttention(query: q, key: k, value: v, heads: heads, mask: mask,
                                          isCausal: true)                 // [B, L, D]
        return outProj(attended)
    }
}

/// transformers `CLIPEncoderLayer` (modeling_clip.py) with its `CLIPMLP` (`fc1`, activation, `fc2`).
struct CLIPEncoderLayer: Sendable {
    let layerNorm1, layerNorm2: LayerNorm
    let selfAttention: CLIPAttention
    let fc1, fc2: Linear
    let activation: CLIPActivation

    init(_ scope: WeightScope, config: CLIPTextConfig) throws {
        let d = config.hiddenSize, eps = Float(config.layerNormEps)
        layerNorm1 = try LayerNorm(scope["layer_norm1"], dim: d, eps: eps)
        selfAttention = try CLIPAttention(scope["self_attn"], config: config)
        layerNorm2 = try LayerNorm(scope["layer_norm2"], dim: d, eps: eps)
        fc1 = try Linear(scope["mlp"]["fc1"], in: d, out: config.intermediateSize)
        fc2 = try Linear(scope["mlp"]["fc2"], in: config.intermediateSize, out: d)
        activation = try CLIPActivation(config.hiddenAct)
    }

    /// x [B, L, D] → [B, L, D].
    func callAsFunction(_ x: Tensor, mask: AttentionMask?) -> Tensor {
        var h = x                                                         // [B, L, D]
        h += selfAttention(layerNorm1(h), mask: mask)
        h += fc2(activation(fc1(layerNorm2(h))))                          // fc1: [B, L, intermediate]
        return h
    }
}
