import SafeTensors
import Tensors

// Reference: diffusers/models/attention_processor.py, `Attention` with `AttnProcessor2_0`
// (diffusers 0.42): to_q / to_k / to_v projections, scaled-dot-product attention per head,
// to_out.0, optional group_norm before and residual connection after.

/// diffusers' `Attention` (`diffusers/models/attention_processor.py`) as `AttnProcessor2_0` runs
/// it: `to_q`, `to_k`, `to_v` (Linear, `bias`), multi-head scaled-dot-product attention with
/// scale `dim_head^-0.5`, `to_out.0` (Linear, `out_bias`; `to_out.1` is dropout), then
/// `+ residual` when `residual_connection` and `/ rescale_output_factor`.
///
/// Covered: self- and cross-attention (`cross_attention_dim`), `norm_num_groups` (a GroupNorm
/// over channels before the projections, as the VAE's mid-block attention uses), 3-D
/// `[B, L, C]` and 4-D `[B, C, H, W]` inputs. `upcast_attention` and `upcast_softmax` are
/// accepted and change nothing: everything already runs in Float32. Not covered: `norm_cross`
/// (`cross_attention_norm`), `qk_norm`, `spatial_norm_dim`, `added_kv_proj_dim`, `kv_heads`.
public struct Attention: Sendable {
    /// `heads`.
    public let heads: Int
    /// `dim_head`.
    public let dimHead: Int
    /// `to_q` [query_dim → heads·dim_head].
    public let toQ: Linear
    /// `to_k` [cross_attention_dim → heads·dim_head].
    public let toK: Linear
    /// `to_v` [cross_attention_dim → heads·dim_head].
    public let toV: Linear
    /// `to_out.0` [heads·dim_head → out_dim].
    public let toOut: Linear
    /// `group_norm`, when `norm_num_groups` was given.
    public let groupNorm: GroupNorm?
    /// `residual_connection`.
    public let residualConnection: Bool
    /// `rescale_output_factor`.
    public let rescaleOutputFactor: Float

    /// Reads `to_q`, `to_k`, `to_v`, `to_out.0` (and `group_norm`) from `w`, as
    /// `Attention(query_dim, cross_attention_dim, heads, dim_head, bias, upcast_attention,
    /// out_bias, norm_num_groups, eps, residual_connection, rescale_output_factor, out_dim)`.
    /// `crossAttentionDim` nil means self-attention (keys and values from `query_dim` inputs).
    public init(_ w: WeightScope, queryDim: Int, crossAttentionDim: Int? = nil, heads: Int = 8, dimHead: Int = 64,
                bias: Bool = false, upcastAttention: Bool = false, outBias: Bool = true, normNumGroups: Int? = nil,
                eps: Float = 1e-5, residualConnection: Bool = false, rescaleOutputFactor: Float = 1,
                outDim: Int? = nil) throws {
        try LayerError.checkPositive("Attention", ["query_dim": queryDim, "heads": heads, "dim_head": dimHead])
        let inner = outDim ?? heads * dimHead
        let headCount = outDim.map { $0 / dimHead } ?? heads
        guard headCount > 0, inner % headCount == 0 else {
            throw LayerError("Attention", "out_dim \(inner) is not a multiple of dim_head \(dimHead)")
        }
        let contextDim = crossAttentionDim ?? queryDim
        self.heads = headCount
        self.dimHead = dimHead
        groupNorm = try normNumGroups.map { try GroupNorm(w["group_norm"], groups: $0, channels: queryDim, eps: eps) }
        toQ = try Linear(w["to_q"], in: queryDim, out: inner, bias: bias)
        toK = try Linear(w["to_k"], in: contextDim, out: inner, bias: bias)
        toV = try Linear(w["to_v"], in: contextDim, out: inner, bias: bias)
        toOut = try Linear(w["to_out"][0], in: inner, out: outDim ?? queryDim, bias: outBias)
        self.residualConnection = residualConnection
        self.rescaleOutputFactor = rescaleOutputFactor
    }

    /// An attention over given layers, for checkpoints that store them under other names (e.g.
    /// the `query`/`key`/`value`/`proj_attn` of diffusers' deprecated attention blocks):
    /// `heads` must divide `toQ.outFeatures`, which `toK`, `toV` and `toOut.inFeatures` match.
    public init(toQ: Linear, toK: Linear, toV: Linear, toOut: Linear, heads: Int, groupNorm: GroupNorm? = nil,
                residualConnection: Bool = false, rescaleOutputFactor: Float = 1) throws {
        let inner = toQ.outFeatures
        guard heads > 0, inner % heads == 0 else {
            throw LayerError("Attention", "heads \(heads) must divide the projection width \(inner)")
        }
        guard toK.outFeatures == inner, toV.outFeatures == inner, toOut.inFeatures == inner,
              toK.inFeatures == toV.inFeatures else {
            throw LayerError("Attention", "to_q, to_k, to_v and to_out widths do not match")
        }
        self.heads = heads
        dimHead = inner / heads
        self.toQ = toQ
        self.toK = toK
        self.toV = toV
        self.toOut = toOut
        self.groupNorm = groupNorm
        self.residualConnection = residualConnection
        self.rescaleOutputFactor = rescaleOutputFactor
    }

    /// Attention of `hiddenStates` over `encoderHiddenStates` (or over itself when nil).
    ///
    /// - Parameters:
    ///   - hiddenStates: `[B, L, query_dim]`, or `[B, C, H, W]` (treated as `H·W` tokens of width `C`).
    ///   - encoderHiddenStates: `[B, Lk, cross_attention_dim]`, or nil for self-attention.
    ///   - mask: broadcastable to `[B, heads, L, Lk]` (diffusers' prepared `attention_mask`).
    /// - Returns: the shape of `hiddenStates` with `out_dim` channels.
    public func callAsFunction(_ hiddenStates: Tensor, encoderHiddenStates: Tensor? = nil,
                               mask: AttentionMask? = nil) -> Tensor {
        guard hiddenStates.rank == 4 else {
            precondition(hiddenStates.rank == 3, "Attention: hidden states \(hiddenStates.shape) must be [B, L, C] or [B, C, H, W]")
            var x = hiddenStates                                                          // [B, L, C]
            if let groupNorm { x = groupNorm(x.transposed(1, 2)).transposed(1, 2) }
            var out = attend(x, context: encoderHiddenStates, mask: mask)                 // [B, L, out]
            return finish(&out, residual: hiddenStates)
        }
        let (b, c, h, w) = (hiddenStates.shape[0], hiddenStates.shape[1], hiddenStates.shape[2], hiddenStates.shape[3])
        let normed = groupNorm.map { $0(hiddenStates) } ?? hiddenStates                   // [B, C, H, W]
        let tokens = normed.reshaped([b, c, h * w]).transposed(1, 2)                      // [B, HW, C]
        let attended = attend(tokens, context: encoderHiddenStates, mask: mask)           // [B, HW, out]
        var out = attended.transposed(1, 2).reshaped([b, toOut.outFeatures, h, w])       // [B, out, H, W]
        return finish(&out, residual: hiddenStates)
    }

    /// to_q/to_k/to_v, attention, to_out.0 on tokens `[B, L, C]` → `[B, L, out]`.
    func attend(_ x: Tensor, context: Tensor?, mask: AttentionMask?) -> Tensor {
        let source = context ?? x                                                         // [B, Lk, Ck]
        let query = toQ(x)                                                                // [B, L, heads·dim_head]
        let key = toK(source)                                                             // [B, Lk, heads·dim_head]
        let value = toV(source)                                                           // [B, Lk, heads·dim_head]
        let attended = multiHeadAttention(query: query, key: key, value: value, heads: heads, mask: mask)
        return toOut(attended)                                                            // [B, L, out]
    }

    /// `+ residual` and `/ rescale_output_factor`, in place.
    private func finish(_ out: inout Tensor, residual: Tensor) -> Tensor {
        if residualConnection { out += residual }
        if rescaleOutputFactor != 1 { out /= rescaleOutputFactor }
        return out
    }
}
