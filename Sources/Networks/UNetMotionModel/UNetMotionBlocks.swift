import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_motion_model.py (diffusers 0.42): `DownBlockMotion`,
// `CrossAttnDownBlockMotion`, `UNetMidBlockCrossAttnMotion`, `CrossAttnUpBlockMotion`, `UpBlockMotion`
// as `UNetMotionModel.__init__` builds them (FreeU off, no gradient checkpointing).

/// Settings shared by the blocks of one `UNetMotionModel`, resolved once from the config.
struct UNetMotionBlockSettings: Sendable {
    /// `temb_channels` of every ResNet (`block_out_channels[0] · 4`).
    let tembChannels: Int
    /// `resnet_eps` = `norm_eps`.
    let eps: Float
    /// `resnet_groups` = `norm_num_groups` (also the spatial transformers' and motion modules' norms).
    let groups: Int
    /// `resnet_act_fn` = `act_fn`.
    let activation: Activation
    /// `cross_attention_dim`.
    let crossAttentionDim: Int
    /// `use_linear_projection`.
    let useLinearProjection: Bool
    /// `motion_max_seq_length`.
    let maxFrames: Int
    /// `downsample_padding`.
    let downsamplePadding: Int

    init(_ config: UNetMotionModelConfig, tembChannels: Int) throws {
        self.tembChannels = tembChannels
        eps = Float(config.normEps)
        groups = config.normNumGroups
        activation = try Activation(diffusersName: config.actFn)
        crossAttentionDim = config.crossAttentionDim
        useLinearProjection = config.useLinearProjection
        maxFrames = config.motionMaxSeqLength
        downsamplePadding = config.downsamplePadding
    }

    /// `ResnetBlock2D(in_channels, out_channels, temb_channels, eps, groups, non_linearity, output_scale_factor)`.
    func resnet(_ w: WeightScope, in inChannels: Int, out outChannels: Int, outputScaleFactor: Float = 1) throws -> ResnetBlock2D {
        try ResnetBlock2D(w, inChannels: inChannels, outChannels: outChannels, tembChannels: tembChannels, groups: groups,
                          eps: eps, activation: activation, outputScaleFactor: outputScaleFactor)
    }

    /// `Transformer2DModel(heads, channels // heads, in_channels=channels, num_layers, cross_attention_dim,
    /// norm_num_groups, use_linear_projection)`.
    func transformer(_ w: WeightScope, channels: Int, heads: Int, layers: Int) throws -> Transformer2DModel {
        try Transformer2DModel(w, heads: heads, headDim: channels / heads, inChannels: channels, layers: layers,
                               crossAttentionDim: crossAttentionDim, normNumGroups: groups,
                               useLinearProjection: useLinearProjection)
    }

    /// `AnimateDiffTransformer3D(heads, channels // heads, in_channels=channels, num_layers,
    /// norm_num_groups, positional_embeddings="sinusoidal", num_positional_embeddings=motion_max_seq_length)`.
    func motionModule(_ w: WeightScope, channels: Int, heads: Int, layers: Int) throws -> TransformerTemporalModel {
        try TransformerTemporalModel(w, heads: heads, headDim: channels / heads, inChannels: channels, layers: layers,
                                     normNumGroups: groups, positionalEmbeddings: maxFrames)
    }
}

/// What one block level of the UNet reads from the config.
struct UNetMotionLevel: Sendable {
    /// Spatial heads (`num_attention_heads[i]`).
    let heads: Int
    /// Motion-module heads (`motion_num_attention_heads[i]`).
    let motionHeads: Int
    /// `transformer_layers_per_block`.
    let transformerLayers: Int
    /// `temporal_transformer_layers_per_block`.
    let temporalLayers: Int
    /// Whether the block has spatial cross-attention (`CrossAttn…BlockMotion`).
    let crossAttention: Bool
}

/// One layer of a motion block: `resnets.i`, then (with cross-attention) `attentions.i` over each frame
/// and the context, then `motion_modules.i` across frames.
struct UNetMotionLayer: Sendable {
    let resnet: ResnetBlock2D
    let attention: Transformer2DModel?
    let motionModule: TransformerTemporalModel

    /// Reads layer `index` of the block scope `w`.
    init(_ w: WeightScope, index i: Int, in inChannels: Int, out outChannels: Int, level: UNetMotionLevel,
         settings: UNetMotionBlockSettings) throws {
        resnet = try settings.resnet(w["resnets"][i], in: inChannels, out: outChannels)
        attention = level.crossAttention
            ? try settings.transformer(w["attentions"][i], channels: outChannels, heads: level.heads,
                                       layers: level.transformerLayers)
            : nil
        motionModule = try settings.motionModule(w["motion_modules"][i], channels: outChannels, heads: level.motionHeads,
                                                 layers: level.temporalLayers)
    }

    /// x `[B·F, in, H, W]`, temb `[B·F, T]`, context `[B·F, L, D]` → `[B·F, out, H, W]`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int) -> Tensor {
        var h = resnet(x, temb: temb)
        if let attention { h = attention(h, encoderHiddenStates: context) }
        return motionModule(h, frames: frames)
    }
}

/// diffusers' `CrossAttnDownBlockMotion` and `DownBlockMotion`: `UNetMotionLayer`s, then
/// `downsamplers.0` (a stride-2 conv) except in the last block; every layer's output and the
/// downsampled output are skip connections for the up path.
struct UNetMotionDownBlock: Sendable {
    let layers: [UNetMotionLayer]
    let downsampler: Downsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, layers count: Int, level: UNetMotionLevel,
         addDownsample: Bool, settings: UNetMotionBlockSettings) throws {
        layers = try (0..<count).map { i in
            try UNetMotionLayer(w, index: i, in: i == 0 ? inChannels : outChannels, out: outChannels, level: level,
                                settings: settings)
        }
        downsampler = addDownsample ? try Downsample2D(w["downsamplers"][0], channels: outChannels, useConv: true,
                                                       padding: settings.downsamplePadding) : nil
    }

    /// x `[B·F, in, H, W]` → `[B·F, out, H', W']`; appends the skip connections to `skips`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int, skips: inout [Tensor]) -> Tensor {
        var h = x
        for layer in layers {
            h = layer(h, temb: temb, context: context, frames: frames)
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            skips.append(h)
        }
        return h
    }
}

/// diffusers' `UNetMidBlockCrossAttnMotion`: `resnets.0`, then per layer `attentions.i`,
/// `motion_modules.i` (when `use_motion_mid_block`; without it the block is `UNetMidBlock2DCrossAttn`)
/// and `resnets.i+1`, whose ResNets use `output_scale_factor = mid_block_scale_factor`.
struct UNetMidBlockCrossAttnMotion: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let motionModules: [TransformerTemporalModel]

    init(_ w: WeightScope, channels: Int, layers: Int, level: UNetMotionLevel, motion: Bool, outputScaleFactor: Float,
         settings: UNetMotionBlockSettings) throws {
        resnets = try (0...layers).map { i in
            try settings.resnet(w["resnets"][i], in: channels, out: channels, outputScaleFactor: outputScaleFactor)
        }
        attentions = try (0..<layers).map { i in
            try settings.transformer(w["attentions"][i], channels: channels, heads: level.heads, layers: level.transformerLayers)
        }
        motionModules = motion ? try (0..<layers).map { i in
            try settings.motionModule(w["motion_modules"][i], channels: channels, heads: level.motionHeads,
                                      layers: level.temporalLayers)
        } : []
    }

    /// x `[B·F, C, H, W]` → `[B·F, C, H, W]`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int) -> Tensor {
        var h = resnets[0](x, temb: temb)
        for i in attentions.indices {
            h = attentions[i](h, encoderHiddenStates: context)
            if !motionModules.isEmpty { h = motionModules[i](h, frames: frames) }
            h = resnets[i + 1](h, temb: temb)
        }
        return h
    }
}

/// diffusers' `CrossAttnUpBlockMotion` and `UpBlockMotion`: layers whose ResNet takes the previous output
/// concatenated (channels) with the skip connection popped last from the down path, then
/// `upsamplers.0` (nearest ×2 and a 3×3 conv) except in the last block.
struct UNetMotionUpBlock: Sendable {
    let layers: [UNetMotionLayer]
    let upsampler: Upsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, previous: Int, layers count: Int,
         level: UNetMotionLevel, addUpsample: Bool, settings: UNetMotionBlockSettings) throws {
        layers = try (0..<count).map { i in
            let skipChannels = i == count - 1 ? inChannels : outChannels      // res_skip_channels
            let resnetIn = i == 0 ? previous : outChannels                    // resnet_in_channels
            return try UNetMotionLayer(w, index: i, in: resnetIn + skipChannels, out: outChannels, level: level,
                                       settings: settings)
        }
        upsampler = addUpsample ? try Upsample2D(w["upsamplers"][0], channels: outChannels, useConv: true) : nil
    }

    /// The number of skip connections the block consumes (`len(upsample_block.resnets)`).
    var skipCount: Int { layers.count }

    /// x `[B·F, prev, H, W]` → `[B·F, out, 2H, 2W]` (or `upsampleSize`), consuming one skip per layer.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int, skips: inout [Tensor],
                        upsampleSize: [Int]?) -> Tensor {
        var h = x
        for layer in layers {
            let skip = skips.removeLast()
            h = layer(concat([h, skip], axis: 1), temb: temb, context: context, frames: frames)
        }
        return upsampler.map { $0(h, outputSize: upsampleSize) } ?? h
    }
}
