import SafeTensors
import Tensors

// Reference: diffusers/models/autoencoders/vae.py (0.42): Encoder, Decoder with
// DownEncoderBlock2D / UpDecoderBlock2D from unets/unet_2d_blocks.py. ResNet eps 1e-6.

/// diffusers `DownEncoderBlock2D`: `layers_per_block` ResNets, then `downsamplers.0` except in
/// the last block.
struct VAEDownEncoderBlock2D: Sendable {
    let resnets: [VAEResnetBlock2D]
    let downsampler: VAEDownsample2D?

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, addDownsample: Bool,
         groups: Int, activation: VAEActivation) throws {
        resnets = try (0..<layers).map { i in
            try VAEResnetBlock2D(scope["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels,
                                 groups: groups, eps: VAEEncoder.eps, activation: activation)
        }
        downsampler = addDownsample ? try VAEDownsample2D(scope["downsamplers"][0], channels: outChannels) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h) }
        return downsampler.map { $0(h) } ?? h
    }
}

/// diffusers `UpDecoderBlock2D`: `layers_per_block + 1` ResNets, then `upsamplers.0` except in
/// the last block.
struct VAEUpDecoderBlock2D: Sendable {
    let resnets: [VAEResnetBlock2D]
    let upsampler: VAEUpsample2D?

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, addUpsample: Bool,
         groups: Int, activation: VAEActivation) throws {
        resnets = try (0..<layers).map { i in
            try VAEResnetBlock2D(scope["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels,
                                 groups: groups, eps: VAEEncoder.eps, activation: activation)
        }
        upsampler = addUpsample ? try VAEUpsample2D(scope["upsamplers"][0], channels: outChannels) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h) }
        return upsampler.map { $0(h) } ?? h
    }
}

/// diffusers `Encoder` (autoencoders/vae.py) with `double_z=True`: image [N, in, H, W] →
/// moments [N, 2·latent, H/f, W/f] (before `quant_conv`).
struct VAEEncoder: Sendable {
    /// The GroupNorm eps diffusers' Encoder and Decoder use everywhere.
    static let eps: Float = 1e-6

    let convIn: ConvLayer
    let downBlocks: [VAEDownEncoderBlock2D]
    let midBlock: VAEMidBlock2D
    let convNormOut: GroupNormLayer
    let convOut: ConvLayer

    init(_ scope: WeightScope, config: AutoencoderKLConfig) throws {
        let channels = config.blockOutChannels, groups = config.normNumGroups
        let activation = try VAEActivation(config.actFn)
        convIn = try ConvLayer(scope["conv_in"], in: config.inChannels, out: channels[0], kernel: 3, padding: 1)
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
        midBlock = try VAEMidBlock2D(scope["mid_block"], channels: last, groups: groups, eps: Self.eps,
                                     activation: activation, addAttention: config.midBlockAddAttention)
        convNormOut = try GroupNormLayer(scope["conv_norm_out"], channels: last, groups: groups, eps: Self.eps)
        convOut = try ConvLayer(scope["conv_out"], in: last, out: 2 * config.latentChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = convIn(x)                                                  // [N, C0, H, W]
        for block in downBlocks { h = block(h) }                           // [N, Clast, H/f, W/f]
        h = midBlock(h)
        return convOut(convNormOut(h, silu: true))                         // conv_act is always SiLU
    }
}

/// diffusers `Decoder` (autoencoders/vae.py) with `norm_type="group"`: latents
/// [N, latent, h, w] (after `post_quant_conv`) → image [N, out, h·f, w·f].
struct VAEDecoder: Sendable {
    let convIn: ConvLayer
    let midBlock: VAEMidBlock2D
    let upBlocks: [VAEUpDecoderBlock2D]
    let convNormOut: GroupNormLayer
    let convOut: ConvLayer

    init(_ scope: WeightScope, config: AutoencoderKLConfig) throws {
        let channels = config.blockOutChannels, groups = config.normNumGroups, eps = VAEEncoder.eps
        let activation = try VAEActivation(config.actFn)
        let reversed = Array(channels.reversed())
        convIn = try ConvLayer(scope["conv_in"], in: config.latentChannels, out: reversed[0], kernel: 3, padding: 1)
        midBlock = try VAEMidBlock2D(scope["mid_block"], channels: reversed[0], groups: groups, eps: eps,
                                     activation: activation, addAttention: config.midBlockAddAttention)
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
        convNormOut = try GroupNormLayer(scope["conv_norm_out"], channels: channels[0], groups: groups, eps: eps)
        convOut = try ConvLayer(scope["conv_out"], in: channels[0], out: config.outChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ z: Tensor) -> Tensor {
        var h = convIn(z)                                                  // [N, Clast, h, w]
        h = midBlock(h)
        for block in upBlocks { h = block(h) }                             // [N, C0, h·f, w·f]
        return convOut(convNormOut(h, silu: true))
    }
}
