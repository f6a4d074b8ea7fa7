import SafeTensors
import Tensors

// Reference: diffusers/models/attention.py, `BasicTransformerBlock` (diffusers 0.42) with
// norm_type "layer_norm", optional sinusoidal positional embeddings, no GLIGEN fuser, no feed-forward
// chunking.

/// diffusers' `BasicTransformerBlock` (`diffusers/models/attention.py`) with `norm_type="layer_norm"`:
/// `h += attn1(norm1(h))` (over the context too when `only_cross_attention`),
/// `h += attn2(norm2(h), context)` when there is a cross-attention dimension (or
/// `double_self_attention`), `h += ff(norm3(h))`.
///
/// With `encoderHiddenStates` nil, `attn2` attends to `norm2(h)` itself, as the reference does
/// (AudioLDM runs its UNet this way, with `cross_attention_dim` equal to each block's width).
/// With `positional_embeddings="sinusoidal"` (AnimateDiff's motion modules) `pos_embed` is added to
/// the normalised states before `attn1` and before `attn2`.
public struct BasicTransformerBlock: Sendable {
    let norm1: LayerNorm
    let attn1: Attention
    let norm2: LayerNorm?
    let attn2: Attention?
    let norm3: LayerNorm
    let ff: FeedForward
    let posEmbed: SinusoidalPositionalEmbedding?
    let onlyCrossAttention: Bool

    /// Reads `norm1`, `attn1`, `norm2`, `attn2`, `norm3`, `ff` from `w`, as
    /// `BasicTransformerBlock(dim, num_attention_heads, attention_head_dim, cross_attention_dim,
    /// activation_fn, attention_bias, only_cross_attention, double_self_attention,
    /// upcast_attention, norm_elementwise_affine, norm_eps, ff_inner_dim, ff_bias, attention_out_bias)`;
    /// `positionalEmbeddings` is `num_positional_embeddings` of `positional_embeddings="sinusoidal"`.
    public init(_ w: WeightScope, dim: Int, heads: Int, headDim: Int, crossAttentionDim: Int? = nil,
                activation: FeedForward.ActivationFunction = .geglu, attentionBias: Bool = false,
                onlyCrossAttention: Bool = false, doubleSelfAttention: Bool = false, upcastAttention: Bool = false,
                normElementwiseAffine: Bool = true, normEps: Float = 1e-5, ffInnerDim: Int? = nil, ffBias: Bool = true,
                attentionOutBias: Bool = true, positionalEmbeddings: Int? = nil) throws {
        posEmbed = try positionalEmbeddings.map { try SinusoidalPositionalEmbedding(w["pos_embed"], dim: dim, maxSeqLength: $0) }
        norm1 = try LayerNorm(w["norm1"], dim: dim, eps: normEps, elementwiseAffine: normElementwiseAffine)
        attn1 = try Attention(w["attn1"], queryDim: dim, crossAttentionDim: onlyCrossAttention ? crossAttentionDim : nil,
                              heads: heads, dimHead: headDim, bias: attentionBias, upcastAttention: upcastAttention,
                              outBias: attentionOutBias)
        if crossAttentionDim != nil || doubleSelfAttention {
            norm2 = try LayerNorm(w["norm2"], dim: dim, eps: normEps, elementwiseAffine: normElementwiseAffine)
            attn2 = try Attention(w["attn2"], queryDim: dim, crossAttentionDim: doubleSelfAttention ? nil : crossAttentionDim,
                                  heads: heads, dimHead: headDim, bias: attentionBias, upcastAttention: upcastAttention,
                                  outBias: attentionOutBias)
        } else {
            norm2 = nil
            attn2 = nil
        }
        norm3 = try LayerNorm(w["norm3"], dim: dim, eps: normEps, elementwiseAffine: normElementwiseAffine)
        ff = try FeedForward(w["ff"], dim: dim, activation: activation, innerDim: ffInnerDim, bias: ffBias)
        self.onlyCrossAttention = onlyCrossAttention
    }

    /// hidden states [B, L, dim], context [B, Lk, cross_attention_dim] or nil → [B, L, dim].
    /// The masks are diffusers' prepared additive masks, broadcastable to `[B, heads, L, Lk]`.
    public func callAsFunction(_ x: Tensor, encoderHiddenStates: Tensor? = nil, attentionMask: AttentionMask? = nil,
                               encoderAttentionMask: AttentionMask? = nil) -> Tensor {
        var h = x                                                                        // [B, L, dim]
        h += attn1(positioned(norm1(h)), encoderHiddenStates: onlyCrossAttention ? encoderHiddenStates : nil,
                   mask: attentionMask)
        if let attn2, let norm2 {
            h += attn2(positioned(norm2(h)), encoderHiddenStates: encoderHiddenStates, mask: encoderAttentionMask)
        }
        h += ff(norm3(h))
        return h
    }

    private func positioned(_ x: Tensor) -> Tensor { posEmbed.map { $0(x) } ?? x }
}
