import Foundation

/// The config of diffusers' `AutoencoderKL` (`diffusers/models/autoencoders/autoencoder_kl.py`),
/// the VAE of Stable Diffusion and AudioLDM, decoded from `vae/config.json`.
///
/// Absent keys take the `__init__` defaults of diffusers 0.42.
public struct AutoencoderKLConfig: DiffusersConfig, Equatable {
    /// `_class_name` ("AutoencoderKL").
    public var className: String?
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// `in_channels`: image channels (default 3; 1 for AudioLDM's mel spectrograms).
    public var inChannels: Int
    /// `out_channels` (default 3).
    public var outChannels: Int
    /// `down_block_types` (default ["DownEncoderBlock2D"]).
    public var downBlockTypes: [String]
    /// `up_block_types` (default ["UpDecoderBlock2D"]).
    public var upBlockTypes: [String]
    /// `block_out_channels` (default [64]).
    public var blockOutChannels: [Int]
    /// `layers_per_block`: ResNets per encoder block; decoder blocks have one more (default 1).
    public var layersPerBlock: Int
    /// `act_fn` (default "silu").
    public var actFn: String
    /// `latent_channels` (default 4).
    public var latentChannels: Int
    /// `norm_num_groups` (default 32).
    public var normNumGroups: Int
    /// `sample_size`: the training image size (default 32).
    public var sampleSize: IntOrList
    /// `scaling_factor`: latents are multiplied by it after encoding (default 0.18215).
    public var scalingFactor: Double
    /// `shift_factor`: subtracted before scaling (SD3, FLUX), if any.
    public var shiftFactor: Double?
    /// `latents_mean`: per-channel latent means, if any.
    public var latentsMean: [Double]?
    /// `latents_std`: per-channel latent deviations, if any.
    public var latentsStd: [Double]?
    /// `force_upcast`: the VAE needs float32 (default true).
    public var forceUpcast: Bool
    /// `use_quant_conv` (default true).
    public var useQuantConv: Bool
    /// `use_post_quant_conv` (default true).
    public var usePostQuantConv: Bool
    /// `mid_block_add_attention` (default true).
    public var midBlockAddAttention: Bool

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case diffusersVersion = "_diffusers_version"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case actFn = "act_fn"
        case latentChannels = "latent_channels"
        case normNumGroups = "norm_num_groups"
        case sampleSize = "sample_size"
        case scalingFactor = "scaling_factor"
        case shiftFactor = "shift_factor"
        case latentsMean = "latents_mean"
        case latentsStd = "latents_std"
        case forceUpcast = "force_upcast"
        case useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.optional(.className)
        diffusersVersion = try c.optional(.diffusersVersion)
        inChannels = try c.value(.inChannels, default: 3)
        outChannels = try c.value(.outChannels, default: 3)
        downBlockTypes = try c.value(.downBlockTypes, default: ["DownEncoderBlock2D"])
        upBlockTypes = try c.value(.upBlockTypes, default: ["UpDecoderBlock2D"])
        blockOutChannels = try c.value(.blockOutChannels, default: [64])
        layersPerBlock = try c.value(.layersPerBlock, default: 1)
        actFn = try c.value(.actFn, default: "silu")
        latentChannels = try c.value(.latentChannels, default: 4)
        normNumGroups = try c.value(.normNumGroups, default: 32)
        sampleSize = try c.value(.sampleSize, default: .int(32))
        scalingFactor = try c.value(.scalingFactor, default: 0.18215)
        shiftFactor = try c.optional(.shiftFactor)
        latentsMean = try c.optional(.latentsMean)
        latentsStd = try c.optional(.latentsStd)
        forceUpcast = try c.value(.forceUpcast, default: true)
        useQuantConv = try c.value(.useQuantConv, default: true)
        usePostQuantConv = try c.value(.usePostQuantConv, default: true)
        midBlockAddAttention = try c.value(.midBlockAddAttention, default: true)
    }

    /// Spatial downsampling factor between image and latent (2^(blocks − 1); diffusers'
    /// `vae_scale_factor`). Meaningful once `validate()` has passed.
    public var downsamplingFactor: Int { 1 << max(blockOutChannels.count - 1, 0) }

    /// Checks positive sizes, one block name per level, GroupNorm divisibility and names, as
    /// `Encoder`/`Decoder` in `diffusers/models/autoencoders/vae.py` require.
    public func validate() throws {
        try Check.positive(inChannels, CodingKeys.inChannels.stringValue)
        try Check.positive(outChannels, CodingKeys.outChannels.stringValue)
        try Check.positive(blockOutChannels, CodingKeys.blockOutChannels.stringValue)
        try Check.positive(layersPerBlock, CodingKeys.layersPerBlock.stringValue)
        try Check.positive(latentChannels, CodingKeys.latentChannels.stringValue)
        try Check.positive(normNumGroups, CodingKeys.normNumGroups.stringValue)
        try Check.positive(sampleSize, CodingKeys.sampleSize.stringValue)
        try Check.positive(scalingFactor, CodingKeys.scalingFactor.stringValue)
        let blocks = blockOutChannels.count, channelsKey = CodingKeys.blockOutChannels.stringValue
        guard blocks <= 32 else { throw ConfigError(field: channelsKey, "has \(blocks) levels, more than 32") }
        try Check.count(downBlockTypes.count, CodingKeys.downBlockTypes.stringValue, matches: blocks, of: channelsKey)
        try Check.count(upBlockTypes.count, CodingKeys.upBlockTypes.stringValue, matches: blocks, of: channelsKey)
        for (i, name) in downBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.downBlockTypes.stringValue)[\(i)]", ["DownEncoderBlock2D"])
        }
        for (i, name) in upBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.upBlockTypes.stringValue)[\(i)]", ["UpDecoderBlock2D"])
        }
        try Check.oneOf(actFn, CodingKeys.actFn.stringValue, diffusersActivations)
        for (i, channels) in blockOutChannels.enumerated() {
            try Check.divisible(channels, "\(channelsKey)[\(i)]", byGroups: normNumGroups, CodingKeys.normNumGroups.stringValue)
        }
        for (key, values) in [(CodingKeys.latentsMean, latentsMean), (.latentsStd, latentsStd)] {
            if let values {
                try Check.count(values.count, key.stringValue, matches: latentChannels, of: "latent_channels")
            }
        }
    }

    /// The exact parameter count of diffusers' `AutoencoderKL` built from this config.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let n = blockOutChannels.count, channels = blockOutChannels, last = channels[n - 1]

        func midBlock() {                                  // UNetMidBlock2D, one attention
            t.resnet(last, last, timeEmbedding: nil)
            if midBlockAddAttention {
                t.norm(last)
                for _ in 0..<4 { t.linear(last, last) }    // to_q, to_k, to_v, to_out[0], with bias
            }
            t.resnet(last, last, timeEmbedding: nil)
        }

        // Encoder
        t.conv(inChannels, channels[0], kernel: 3)
        var output = channels[0]
        for i in 0..<n {
            let input = output
            output = channels[i]
            let width = output
            t.resnet(input, width, timeEmbedding: nil)
            t.repeated(layersPerBlock - 1) { $0.resnet(width, width, timeEmbedding: nil) }
            if i < n - 1 { t.conv(output, output, kernel: 3) }
        }
        midBlock()
        let moments = t.product(2, latentChannels)
        t.norm(last)
        t.conv(last, moments, kernel: 3)

        // Decoder
        t.conv(latentChannels, last, kernel: 3)
        midBlock()
        output = last
        for i in 0..<n {
            let previous = output
            output = channels[n - 1 - i]
            let width = output
            t.resnet(previous, width, timeEmbedding: nil)
            t.repeated(layersPerBlock) { $0.resnet(width, width, timeEmbedding: nil) }   // layers_per_block + 1 in all
            if i < n - 1 { t.conv(output, output, kernel: 3) }
        }
        t.norm(channels[0])
        t.conv(channels[0], outChannels, kernel: 3)

        if useQuantConv { t.conv(moments, moments, kernel: 1) }
        if usePostQuantConv { t.conv(latentChannels, latentChannels, kernel: 1) }
        return try t.total()
    }
}
