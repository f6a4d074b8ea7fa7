import NN
import SafeTensors
import Tensors

// The arguments that UNet2DConditionModel.__init__ passes alike to every block it builds
// (diffusers/models/unets/unet_2d_condition.py → get_down_block / get_mid_block / get_up_block
// in unet_2d_blocks.py), resolved once from the config.

/// Settings shared by the blocks of one `UNet2DConditionModel`: the ResNets' norm, activation
/// and time-embedding width, and the spatial transformers' projection and attention flags.
struct UNetBlockSettings: Sendable {
    /// `temb_channels` of every ResNet (twice the time embedding with `class_embeddings_concat`).
    let tembChannels: Int
    /// `resnet_eps` = `norm_eps`.
    let eps: Float
    /// `resnet_groups` = `norm_num_groups` (also the transformers' `norm_num_groups`).
    let groups: Int
    /// `resnet_act_fn` = `act_fn`.
    let activation: Activation
    /// `resnet_time_scale_shift`.
    let timeEmbeddingNorm: ResnetBlock2D.TimeEmbeddingNorm
    /// `downsample_padding`.
    let downsamplePadding: Int
    /// `use_linear_projection`.
    let useLinearProjection: Bool
    /// `upcast_attention` (no effect in Float32).
    let upcastAttention: Bool

    init(_ config: UNet2DConditionModelConfig, tembChannels: Int) throws {
        self.tembChannels = tembChannels
        eps = Float(config.normEps)
        groups = config.normNumGroups
        activation = try Activation(diffusersName: config.actFn)
        guard let norm = ResnetBlock2D.TimeEmbeddingNorm(rawValue: config.resnetTimeScaleShift) else {
            throw ConfigError(field: "resnet_time_scale_shift", "\"\(config.resnetTimeScaleShift)\" is not default or scale_shift")
        }
        timeEmbeddingNorm = norm
        downsamplePadding = config.downsamplePadding
        useLinearProjection = config.useLinearProjection
        upcastAttention = config.upcastAttention
    }

    /// `ResnetBlock2D(in_channels, out_channels, temb_channels, eps, groups, time_embedding_norm,
    /// non_linearity, output_scale_factor)` as the blocks build it.
    func resnet(_ w: WeightScope, in inChannels: Int, out outChannels: Int, outputScaleFactor: Float = 1) throws -> ResnetBlock2D {
        try ResnetBlock2D(w, inChannels: inChannels, outChannels: outChannels, tembChannels: tembChannels, groups: groups,
                          eps: eps, activation: activation, timeEmbeddingNorm: timeEmbeddingNorm,
                          outputScaleFactor: outputScaleFactor)
    }

    /// `Transformer2DModel(num_attention_heads, channels // num_attention_heads, in_channels=channels,
    /// num_layers, cross_attention_dim, norm_num_groups, use_linear_projection, only_cross_attention,
    /// upcast_attention)` as the cross-attention blocks build it.
    func transformer(_ w: WeightScope, channels: Int, attention: UNetAttentionSettings, layers: Int) throws -> Transformer2DModel {
        guard channels % attention.heads == 0 else {
            throw ConfigError(field: "attention_head_dim", "\(channels) channels are not divisible by \(attention.heads) heads")
        }
        return try Transformer2DModel(w, heads: attention.heads, headDim: channels / attention.heads, inChannels: channels,
                                      layers: layers, crossAttentionDim: attention.crossAttentionDim, normNumGroups: groups,
                                      useLinearProjection: useLinearProjection,
                                      onlyCrossAttention: attention.onlyCrossAttention, upcastAttention: upcastAttention)
    }
}

/// The attention arguments of one block: heads (diffusers' `num_attention_heads`, which
/// `UNet2DConditionModel` takes from `attention_head_dim` when `num_attention_heads` is absent),
/// the context width and `only_cross_attention`.
struct UNetAttentionSettings: Sendable {
    let heads: Int
    let crossAttentionDim: Int
    let onlyCrossAttention: Bool
}
