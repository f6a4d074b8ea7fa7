import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/autoencoders/vae.py (0.42): Encoder, Decoder with
// DownEncoderBlock2D / UpDecoderBlock2D / UNetMidBlock2D from unets/unet_2d_blocks.py, built
// from the shared NN layers. ResNet eps 1e-6.

/// A VAE ResNet: diffusers `ResnetBlock2D` with `temb_channels=None`, eps 1e-6.
private func vaeResnet(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, groups: Int,
                       activation: Activation) throws -> ResnetBlock2D {
    try ResnetBlock2D(scope, inChannels: inChannels, outChannels: outChannels, tembChannels: nil, groups: groups,
                      eps: VAEEncoder.eps, activation: activation)
}

/// diffusers `UNetMidBlock2D` (unets/unet_2d_blocks.py) without time embedding, one layer:
/// `resnets.0`, `attentions.0` (when `mid_block_add_attention`), `resnets.1`.
struct VAEMidBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let attention: Attention?

    init(_ scope: WeightScope, channels: Int, groups: Int, activation: Activation, addAttention: Bool) throws {
        resnets = try (0..<2).map {
            try vaeResnet(scope["resnets"][$0], in: channels, out: channels, groups: groups, activation: activation)
        }
        attention = addAttention ? try Self.attention(scope["attentions"][0], channels: channels, groups: groups) : nil
    }

    /// diffusers `Attention` as `UNetMidBlock2D` builds it for the VAE (attention_processor.py):
    /// `group_norm` over channels, one head of width C over the H·W positions, biased
    /// projections, residual added, `rescale_output_factor` 1.
    ///
    /// Checkpoints saved before diffusers 0.14 name the projections `query`, `key`, `value`,
    /// `proj_attn`; they are read under those names when `to_q` is absent, as
    /// `ModelMixin._convert_deprecated_attention_blocks` (models/modeling_utils.py) renames them.
    static func attention(_ scope: WeightScope, channels c: Int, groups: Int) throws -> Attention {
        guard !scope["to_q"].exists && scope["query"].exists else {
            return try Attention(scope, queryDim: c, heads: 1, dimHead: c, bias: true, normNumGroups: groups,
                                 eps: VAEEncoder.eps, residualConnection: true)
        }
        let linear = { (name: String) in try Linear(scope[name], in: c, out: c) }
        let norm = try GroupNorm(scope["group_norm"], groups: groups, channels: c, eps: VAEEncoder.eps)
        return try Attention(toQ: linear("query"), toK: linear("key"), toV: linear("value"), toOut: linear("proj_attn"),
                             heads: 1, groupNorm: norm, residualConnection: true)
    }

    /// [N, C, H, W] → [N, C, H, W].
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = resnets[0](x, temb: nil)
        if let attention { h = attention(h) }
        return resnets[1](h, temb: nil)
    }
}

/// diffusers `DownEncoderBlock2D`: `layers_per_block` ResNets, then `downsamplers.0` except in
/// the last block.
struct VAEDownEncoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let downsampler: Downsample2D?

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, addDownsample: Bool,
         groups: Int, activation: Activation) throws {
        resnets = try (0..<layers).map { i in
            try vaeResnet(scope["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels,
                          groups: groups, activation: activation)
        }
        // padding=0: zero padding (0, 1, 0, 1), then the stride-2 3×3 `conv`.
        downsampler = addDownsample
            ? try Downsample2D(scope["downsamplers"][0], channels: outChannels, useConv: true, padding: 0) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h, temb: nil) }
        return downsampler.map { $0(h) } ?? h
    }
}

/// diffusers `UpDecoderBlock2D`: `layers_per_block + 1` ResNets, then `upsamplers.0` except in
/// the last block.
struct VAEUpDecoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let upsampler: Upsample2D?

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, addUpsample: Bool,
         groups: Int, activation: Activation) throws {
        resnets = try (0..<layers).map { i in
            try vaeResnet(scope["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels,
                          groups: groups, activation: activation)
        }
        upsampler = addUpsample ? try Upsample2D(scope["upsamplers"][0], channels: outChannels, useConv: true) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h, temb: nil) }
        return upsampler.map { $0(h) } ?? h
    }
}

/// diffusers `Encoder` (autoencoders/vae.py) with `double_z=True`: image [N, in, H, W] →
/// moments [N, 2·latent, H/f, W/f] (before `quant_conv`).
struct VAEEncoder: Sendable {
    /// The GroupNorm eps diffusers' Encoder and Decoder use everywhere.
    static let eps: Float = 1e-6

    let convIn: Conv2d
    let downBlocks: [VAEDownEncoderBlock2D]
    let midBlock: VAEMidBlock2D
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ scope: WeightScope, config: AutoencoderKLConfig) throws {
        let channels = config.blockOutChannels, groups = config.normNumGroups
        let activation = try Activation(diffusersName: config.actFn)
        convIn = try Conv2d(scope["conv_in"], in: config.inChannels, out: channels[0], kernel: 3, padding: 1)
        var output = channels[0]
        var blocks: [VAEDownEncoderBlock2D] = []
        for i in channels.indices {
            let input = output
            output = channels[i]
            blocks.append(try VAEDownEncoderBlock2D(scope["down_blocks"][i], in: input, out: output,
                                                    layers: config.layersPerBlock, addDownsample: i < channels.count - 1,
                                                    groups: groups, activation: activation))
        }
        downBlocks = blocks
        let last = channels[channels.count - 1]
        midBlock = try VAEMidBlock2D(scope["mid_block"], channels: last, groups: groups, activation: activation,
                                     addAttention: config.midBlockAddAttention)
        convNormOut = try GroupNorm(scope["conv_norm_out"], groups: groups, channels: last, eps: Self.eps)
        convOut = try Conv2d(scope["conv_out"], in: last, out: 2 * config.latentChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = convIn(x)                                                  // [N, C0, H, W]
        for block in downBlocks { h = block(h) }                           // [N, Clast, H/f, W/f]
        h = midBlock(h)
        return convOut(convNormOut(h, applyingSiLU: true))                         // conv_act is always SiLU
    }
}

/// diffusers `Decoder` (autoencoders/vae.py) with `norm_type="group"`: latents
/// [N, latent, h, w] (after `post_quant_conv`) → image [N, out, h·f, w·f].
struct VAEDecoder: Sendable {
    let convIn: Conv2d
    let midBlock: VAEMidBlock2D
    let upBlocks: [VAEUpDecoderBlock2D]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ scope: WeightScope, config: AutoencoderKLConfig) throws {
        let channels = config.blockOutChannels, groups = config.normNumGroups, eps = VAEEncoder.eps
        let activation = try Activation(diffusersName: config.actFn)
        let reversed = Array(channels.reversed())
        convIn = try Conv2d(scope["conv_in"], in: config.latentChannels, out: reversed[0], kernel: 3, padding: 1)
        midBlock = try VAEMidBlock2D(scope["mid_block"], channels: reversed[0], groups: groups, activation: activation,
                                     addAttention: config.midBlockAddAttention)
        var output = reversed[0]
        var blocks: [VAEUpDecoderBlock2D] = []
        for i in reversed.indices {
            let previous = output
            output = reversed[i]
            blocks.append(try VAEUpDecoderBlock2D(scope["up_blocks"][i], in: previous, out: output,
                                                  layers: config.layersPerBlock + 1, addUpsample: i < reversed.count - 1,
                                                  groups: groups, activation: activation))
        }
        upBlocks = blocks
        convNormOut = try GroupNorm(scope["conv_norm_out"], groups: groups, channels: channels[0], eps: eps)
        convOut = try Conv2d(scope["conv_out"], in: channels[0], out: config.outChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ z: Tensor) -> Tensor {
        var h = convIn(z)                                                  // [N, Clast, h, w]
        h = midBlock(h)
        for block in upBlocks { h = block(h) }                             // [N, C0, h·f, w·f]
        return convOut(convNormOut(h, applyingSiLU: true))
    }
}
