import NN
import SafeTensors
import Tensors

// The arguments that UNet3DConditionModel.__init__ passes alike to every block it builds
// (diffusers/models/unets/unet_3d_condition.py → get_down_block / get_up_block and
// UNetMidBlock3DCrossAttn in unet_3d_blocks.py), resolved once from the config.

/// Settings shared by the blocks of one `UNet3DConditionModel`: the ResNets' norm, activation and
/// time-embedding width, the attention width, and how each kind of layer is built from them.
///
/// In the 3-D blocks `attention_head_dim` is the width of a head: they build
/// `Transformer2DModel(out_channels // attention_head_dim, attention_head_dim, …)` (heads first),
/// always with linear projections (`get_down_block`/`get_up_block` default
/// `use_linear_projection=True`, as does `UNetMidBlock3DCrossAttn`), and the temporal
/// transformers alike.
struct UNet3DBlockSettings: Sendable {
    /// `temb_channels` of every ResNet (`block_out_channels[0] · 4`).
    let tembChannels: Int
    /// `resnet_eps` = `norm_eps`.
    let eps: Float
    /// `resnet_groups` = `norm_num_groups` (also every norm of the temporal layers and transformers).
    let groups: Int
    /// `resnet_act_fn` = `act_fn`.
    let activation: Activation
    /// `attention_head_dim`.
    let headDim: Int
    /// `cross_attention_dim`.
    let crossAttentionDim: Int
    /// `downsample_padding`.
    let downsamplePadding: Int

    init(_ config: UNet3DConditionModelConfig, tembChannels: Int) throws {
        self.tembChannels = tembChannels
        eps = Float(config.normEps)
        groups = config.normNumGroups
        activation = try Activation(diffusersName: config.actFn)
        headDim = config.attentionHeadDim
        crossAttentionDim = config.crossAttentionDim
        downsamplePadding = config.downsamplePadding
    }

    /// `ResnetBlock2D(in_channels, out_channels, temb_channels, eps, groups, non_linearity,
    /// output_scale_factor)` as the 3-D blocks build it.
    func resnet(_ w: WeightScope, in inChannels: Int, out outChannels: Int, outputScaleFactor: Float = 1) throws -> ResnetBlock2D {
        try ResnetBlock2D(w, inChannels: inChannels, outChannels: outChannels, tembChannels: tembChannels, groups: groups,
                          eps: eps, activation: activation, outputScaleFactor: outputScaleFactor)
    }

    /// `TemporalConvLayer(channels, channels, dropout=0.1, norm_num_groups=resnet_groups)`.
    func temporalConv(_ w: WeightScope, channels: Int) throws -> TemporalConvLayer {
        try TemporalConvLayer(w, inDim: channels, outDim: channels, normNumGroups: groups)
    }

    /// `Transformer2DModel(channels // attention_head_dim, attention_head_dim, in_channels=channels,
    /// num_layers=1, cross_attention_dim, norm_num_groups, use_linear_projection=True)`.
    func transformer(_ w: WeightScope, channels: Int) throws -> Transformer2DModel {
        try Transformer2DModel(w, heads: try heads(channels), headDim: headDim, inChannels: channels, layers: 1,
                               crossAttentionDim: crossAttentionDim, normNumGroups: groups, useLinearProjection: true)
    }

    /// `TransformerTemporalModel(channels // attention_head_dim, attention_head_dim,
    /// in_channels=channels, num_layers=1, cross_attention_dim, norm_num_groups)`.
    func temporalTransformer(_ w: WeightScope, channels: Int) throws -> TransformerTemporalModel {
        try TransformerTemporalModel(w, heads: try heads(channels), headDim: headDim, inChannels: channels, layers: 1,
                                     normNumGroups: groups, crossAttentionDim: crossAttentionDim)
    }

    private func heads(_ channels: Int) throws -> Int {
        guard channels % headDim == 0 else {
            throw ConfigError(field: "attention_head_dim", "\(channels) channels are not divisible by heads of width \(headDim)")
        }
        return channels / headDim
    }
}

/// One layer of a 3-D block: `resnets.i` then `temp_convs.i`, and in the cross-attention blocks
/// `attentions.i` (spatial, over each frame and the context) then `temp_attentions.i` (across frames).
struct UNet3DLayer: Sendable {
    let resnet: ResnetBlock2D
    let temporalConv: TemporalConvLayer
    let attention: Transformer2DModel?
    let temporalAttention: TransformerTemporalModel?

    /// Reads layer `index` of the block scope `w`.
    init(_ w: WeightScope, index i: Int, in inChannels: Int, out outChannels: Int, crossAttention: Bool,
         settings: UNet3DBlockSettings) throws {
        resnet = try settings.resnet(w["resnets"][i], in: inChannels, out: outChannels)
        temporalConv = try settings.temporalConv(w["temp_convs"][i], channels: outChannels)
        attention = crossAttention ? try settings.transformer(w["attentions"][i], channels: outChannels) : nil
        temporalAttention = crossAttention ? try settings.temporalTransformer(w["temp_attentions"][i], channels: outChannels) : nil
    }

    /// x `[B·F, in, H, W]`, temb `[B·F, T]`, context `[B·F, L, D]` → `[B·F, out, H, W]`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int) -> Tensor {
        var h = resnet(x, temb: temb)                                           // [B·F, out, H, W]
        h = temporalConv(h, frames: frames)
        if let attention { h = attention(h, encoderHiddenStates: context) }
        if let temporalAttention { h = temporalAttention(h, frames: frames) }
        return h
    }
}
