import SafeTensors
import Tensors

// Reference: diffusers/models/transformers/transformer_temporal.py, `TransformerTemporalModel`
// (diffusers 0.42): GroupNorm over each video, proj_in, BasicTransformerBlocks over the frames
// of each pixel, proj_out, residual; with sinusoidal positional embeddings it is
// diffusers/models/unets/unet_motion_model.py, `AnimateDiffTransformer3D` (a motion module).

/// diffusers' `TransformerTemporalModel` (`diffusers/models/transformers/transformer_temporal.py`):
/// attention across frames. `norm` (GroupNorm, eps 1e-6, statistics over all frames of a video),
/// `proj_in` (Linear `C → heads·head_dim`), `transformer_blocks` over one sequence of `F` tokens
/// per pixel (`[B·H·W, F, inner]`), `proj_out` (Linear back to `C`), plus the input as residual.
///
/// The blocks are `BasicTransformerBlock`s with `double_self_attention` (the default, so `attn2`
/// also attends across frames and `cross_attention_dim` is ignored), GEGLU feed-forward.
/// Activations stay frame-major `[B·F, C, H, W]` outside: the norm and the move to sequences are one
/// pass (`temporalGroupNormTokens`), the move back and the residual another.
/// With `positionalEmbeddings` (`positional_embeddings="sinusoidal"`, `num_positional_embeddings`)
/// it is also diffusers' `AnimateDiffTransformer3D`, the motion module of `UNetMotionModel`: the
/// same layers and forward, with frame positions added in every block. Not built: discrete inputs.
public struct TransformerTemporalModel: Sendable {
    let norm: GroupNorm
    let projIn: Linear
    let blocks: [BasicTransformerBlock]
    let projOut: Linear

    /// Reads `norm`, `proj_in`, `transformer_blocks.*`, `proj_out` from `w`, as
    /// `TransformerTemporalModel(num_attention_heads, attention_head_dim, in_channels, num_layers,
    /// norm_num_groups, cross_attention_dim, attention_bias, activation_fn, norm_elementwise_affine,
    /// double_self_attention, positional_embeddings="sinusoidal" when `positionalEmbeddings`,
    /// num_positional_embeddings)`.
    public init(_ w: WeightScope, heads: Int, headDim: Int, inChannels: Int, layers: Int = 1, normNumGroups: Int = 32,
                crossAttentionDim: Int? = nil, attentionBias: Bool = false,
                activation: FeedForward.ActivationFunction = .geglu, normElementwiseAffine: Bool = true,
                doubleSelfAttention: Bool = true, positionalEmbeddings: Int? = nil) throws {
        try LayerError.checkPositive("TransformerTemporalModel", ["num_attention_heads": heads, "attention_head_dim": headDim,
                                                                   "in_channels": inChannels, "num_layers": layers])
        let inner = heads * headDim
        norm = try GroupNorm(w["norm"], groups: normNumGroups, channels: inChannels, eps: 1e-6)
        projIn = try Linear(w["proj_in"], in: inChannels, out: inner)
        blocks = try (0..<layers).map { i in
            try BasicTransformerBlock(w["transformer_blocks"][i], dim: inner, heads: heads, headDim: headDim,
                                      crossAttentionDim: crossAttentionDim, activation: activation,
                                      attentionBias: attentionBias, doubleSelfAttention: doubleSelfAttention,
                                      normElementwiseAffine: normElementwiseAffine,
                                      positionalEmbeddings: positionalEmbeddings)
        }
        projOut = try Linear(w["proj_out"], in: inner, out: inChannels)
    }

    /// hidden states `[B·F, C, H, W]` with `frames` frames per video (with positional embeddings, at most
    /// `num_positional_embeddings`) → `[B·F, C, H, W]`.
    /// `encoderHiddenStates` (`[B·H·W, L, D]`) reaches the blocks' `attn2` only without
    /// `double_self_attention`; diffusers' UNet3DConditionModel never passes one.
    public func callAsFunction(_ x: Tensor, frames: Int, encoderHiddenStates: Tensor? = nil) -> Tensor {
        let tokens = temporalGroupNormTokens(x, frames: frames, groups: norm.groups, weight: norm.weight,
                                             bias: norm.bias, eps: norm.eps)             // [B·H·W, F, C]
        var h = projIn(tokens)                                                          // [B·H·W, F, inner]
        for block in blocks { h = block(h, encoderHiddenStates: encoderHiddenStates) }
        return temporalTokensToFrames(projOut(h), adding: x)                            // [B·F, C, H, W]
    }
}
