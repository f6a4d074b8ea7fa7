import SafeTensors
import Tensors

// Reference: diffusers/models/transformers/transformer_2d.py, `Transformer2DModel` (diffusers
// 0.42) on continuous inputs: GroupNorm, proj_in, BasicTransformerBlocks, proj_out, residual.

/// diffusers' `Transformer2DModel` (`diffusers/models/transformers/transformer_2d.py`) on
/// continuous inputs (the spatial transformer of Stable Diffusion's UNet):
/// `norm` (GroupNorm, eps 1e-6), `proj_in` (1×1 conv, or Linear with `use_linear_projection`),
/// `transformer_blocks`, `proj_out`, plus the input as residual.
///
/// Both projection kinds are one matrix product per image straight between the channel-first
/// layout `[C, H·W]` and the token layout `[H·W, C]`, so the block never permutes: `proj_in`
/// reads the normalised image transposed, `proj_out` writes channel-first on top of the
/// residual. Vectorised (discrete) and patched inputs are not built.
public struct Transformer2DModel: Sendable {
    let norm: GroupNorm
    let projIn: Linear                        // [inner, C] (a 1×1 conv's weight, flattened)
    let blocks: [BasicTransformerBlock]
    let projOut: Linear                       // [out, inner]

    /// Reads `norm`, `proj_in`, `transformer_blocks.*`, `proj_out` from `w`, as
    /// `Transformer2DModel(num_attention_heads, attention_head_dim, in_channels, out_channels,
    /// num_layers, cross_attention_dim, norm_num_groups, use_linear_projection, only_cross_attention,
    /// double_self_attention, upcast_attention, activation_fn, attention_bias, norm_elementwise_affine,
    /// norm_eps)`.
    public init(_ w: WeightScope, heads: Int, headDim: Int, inChannels: Int, outChannels: Int? = nil, layers: Int = 1,
                crossAttentionDim: Int? = nil, normNumGroups: Int = 32, useLinearProjection: Bool = false,
                onlyCrossAttention: Bool = false, doubleSelfAttention: Bool = false, upcastAttention: Bool = false,
                activation: FeedForward.ActivationFunction = .geglu, attentionBias: Bool = false,
                normElementwiseAffine: Bool = true, normEps: Float = 1e-5) throws {
        try LayerError.checkPositive("Transformer2DModel", ["num_attention_heads": heads, "attention_head_dim": headDim,
                                                             "in_channels": inChannels, "num_layers": layers])
        let inner = heads * headDim, out = outChannels ?? inChannels
        norm = try GroupNorm(w["norm"], groups: normNumGroups, channels: inChannels, eps: 1e-6)
        projIn = try Self.projection(w["proj_in"], in: inChannels, out: inner, linear: useLinearProjection)
        blocks = try (0..<layers).map { i in
            try BasicTransformerBlock(w["transformer_blocks"][i], dim: inner, heads: heads, headDim: headDim,
                                      crossAttentionDim: crossAttentionDim, activation: activation,
                                      attentionBias: attentionBias, onlyCrossAttention: onlyCrossAttention,
                                      doubleSelfAttention: doubleSelfAttention, upcastAttention: upcastAttention,
                                      normElementwiseAffine: normElementwiseAffine, normEps: normEps)
        }
        projOut = try Self.projection(w["proj_out"], in: inner, out: out, linear: useLinearProjection)
    }

    /// A Linear, or a 1×1 conv read as a Linear (`weight` [out, in, 1, 1] viewed as [out, in]).
    private static func projection(_ w: WeightScope, in inFeatures: Int, out outFeatures: Int, linear: Bool) throws -> Linear {
        if linear { return try Linear(w, in: inFeatures, out: outFeatures) }
        let weight = try w.tensor("weight", shape: [outFeatures, inFeatures, 1, 1]).reshaped([outFeatures, inFeatures])
        return Linear(weight: weight, bias: try w.tensor("bias", shape: [outFeatures]))
    }

    /// x [B, C, H, W], context [B, Lk, cross_attention_dim] or nil → [B, out, H, W].
    public func callAsFunction(_ x: Tensor, encoderHiddenStates: Tensor? = nil, attentionMask: AttentionMask? = nil,
                               encoderAttentionMask: AttentionMask? = nil) -> Tensor {
        precondition(x.rank == 4, "Transformer2DModel: input \(x.shape) must be [B, C, H, W]")
        let normed = norm(x)                                                              // [B, C, H, W]
        var tokens = Self.tokensFromChannels(normed, projIn)                              // [B, HW, inner]
        for block in blocks {
            tokens = block(tokens, encoderHiddenStates: encoderHiddenStates, attentionMask: attentionMask,
                           encoderAttentionMask: encoderAttentionMask)
        }
        return Self.channelsFromTokens(tokens, projOut, residual: x)                      // [B, out, H, W]
    }

    /// `proj(x.permute(0, 2, 3, 1).reshape(B, H·W, C))`: per image, `Xᵀ·Wᵀ + b` with X [C, P].
    static func tokensFromChannels(_ x: Tensor, _ proj: Linear) -> Tensor {
        let (b, c) = (x.shape[0], x.shape[1])
        let p = x.count / Swift.max(b &* c, 1), o = proj.outFeatures
        precondition(c == proj.inFeatures, "Transformer2DModel: \(c) channels into proj_in \(proj.weight.shape)")
        return Tensor(shape: [b, p, o]) { out in                                          // [B, P, O]
            guard out.count > 0 else { return }
            let po = out.baseAddress!
            fillRows(po, rows: b &* p, width: o, bias: proj.bias)
            x.scalars.withUnsafeBufferPointer { px in
                proj.weight.scalars.withUnsafeBufferPointer { pw in
                    for i in 0..<b {
                        sgemm(transposeA: true, transposeB: true, m: p, n: o, k: c, alpha: 1, a: px.baseAddress! + i &* c &* p,
                              b: pw.baseAddress!, beta: 1, c: po + i &* p &* o)
                    }
                }
            }
        }
    }

    /// `proj(t).reshape(B, H, W, O).permute(0, 3, 1, 2) + residual`: per image, `W·Tᵀ + b + r`
    /// with T [P, inner], written channel-first.
    static func channelsFromTokens(_ tokens: Tensor, _ proj: Linear, residual: Tensor) -> Tensor {
        let (b, p, inner) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        let o = proj.outFeatures
        precondition(inner == proj.inFeatures && residual.count == b &* o &* p && residual.shape[0] == b
                     && residual.shape[1] == o,
                     "Transformer2DModel: tokens \(tokens.shape), proj_out \(proj.weight.shape), residual \(residual.shape)")
        return Tensor(shape: residual.shape) { out in                                     // [B, O, H, W]
            guard out.count > 0 else { return }
            let po = out.baseAddress!
            residual.scalars.withUnsafeBufferPointer { pr in
                po.update(from: pr.baseAddress!, count: out.count)
            }
            if let bias = proj.bias {
                bias.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<b {
                        for ch in 0..<o {
                            let row = po + (i &* o &+ ch) &* p, v = pb[ch]
                            for j in 0..<p { row[j] += v }
                        }
                    }
                }
            }
            tokens.scalars.withUnsafeBufferPointer { pt in
                proj.weight.scalars.withUnsafeBufferPointer { pw in
                    for i in 0..<b {
                        sgemm(transposeA: false, transposeB: true, m: o, n: p, k: inner, alpha: 1, a: pw.baseAddress!,
                              b: pt.baseAddress! + i &* p &* inner, beta: 1, c: po + i &* o &* p)
                    }
                }
            }
        }
    }

    /// Every row of `[rows, width]` set to `bias` (or zero).
    private static func fillRows(_ p: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: Tensor?) {
        guard let bias else { p.update(repeating: 0, count: rows &* width); return }
        bias.scalars.withUnsafeBufferPointer { pb in
            for r in 0..<rows { (p + r &* width).update(from: pb.baseAddress!, count: width) }
        }
    }
}
