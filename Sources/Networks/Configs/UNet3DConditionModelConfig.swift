import Foundation

/// The config of diffusers' `UNet3DConditionModel` (`diffusers/models/unets/unet_3d_condition.py`),
/// the video denoiser of ModelScope text-to-video, decoded from `unet/config.json`.
///
/// Absent keys take the `__init__` defaults of diffusers 0.42. The reference takes the number
/// of heads from `attention_head_dim` and rejects `num_attention_heads`; so does `validate()`.
public struct UNet3DConditionModelConfig: DiffusersConfig, Equatable {
    /// `_class_name` ("UNet3DConditionModel").
    public var className: String?
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// `sample_size`: default latent height/width.
    public var sampleSize: IntOrList?
    /// `in_channels` (default 4).
    public var inChannels: Int
    /// `out_channels` (default 4).
    public var outChannels: Int
    /// `down_block_types` (default 3 × "CrossAttnDownBlock3D", "DownBlock3D").
    public var downBlockTypes: [String]
    /// `up_block_types` (default "UpBlock3D", 3 × "CrossAttnUpBlock3D").
    public var upBlockTypes: [String]
    /// `block_out_channels` (default [320, 640, 1280, 1280]).
    public var blockOutChannels: [Int]
    /// `layers_per_block` (default 2).
    public var layersPerBlock: Int
    /// `downsample_padding` (default 1).
    public var downsamplePadding: Int
    /// `mid_block_scale_factor` (default 1).
    public var midBlockScaleFactor: Double
    /// `act_fn` (default "silu").
    public var actFn: String
    /// `norm_num_groups` (default 32).
    public var normNumGroups: Int
    /// `norm_eps` (default 1e-5).
    public var normEps: Double
    /// `cross_attention_dim`: context width (default 1024).
    public var crossAttentionDim: Int
    /// `attention_head_dim`: the number of spatial attention heads per block (default 64), and
    /// the head width of `transformer_in` (8 heads).
    public var attentionHeadDim: Int
    /// `num_attention_heads`: must be null (the reference raises otherwise).
    public var numAttentionHeads: IntOrList?
    /// `time_cond_proj_dim`, if any.
    public var timeCondProjDim: Int?
    /// `input_coordinates` (Diffuse's key; diffusers ignores it, default none): coordinate channels the
    /// pipeline appends to the latents, in this order, before the UNet sees them: "x" (the column),
    /// "y" (the row), "frame" (see `InputCoordinates` in the video modality). The latents then have
    /// `in_channels` minus their count channels (`latentChannels`).
    public var inputCoordinates: [String]

    /// The names `input_coordinates` may list.
    public static let inputCoordinateNames = ["x", "y", "frame"]

    /// Channels of the latents the pipeline denoises: `in_channels` less the appended coordinates.
    public var latentChannels: Int { inChannels - inputCoordinates.count }

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case diffusersVersion = "_diffusers_version"
        case sampleSize = "sample_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor"
        case actFn = "act_fn"
        case normNumGroups = "norm_num_groups"
        case normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim"
        case attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads"
        case timeCondProjDim = "time_cond_proj_dim"
        case inputCoordinates = "input_coordinates"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.optional(.className)
        diffusersVersion = try c.optional(.diffusersVersion)
        sampleSize = try c.optional(.sampleSize)
        inChannels = try c.value(.inChannels, default: 4)
        outChannels = try c.value(.outChannels, default: 4)
        downBlockTypes = try c.value(.downBlockTypes, default: ["CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"])
        upBlockTypes = try c.value(.upBlockTypes, default: ["UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"])
        blockOutChannels = try c.value(.blockOutChannels, default: [320, 640, 1280, 1280])
        layersPerBlock = try c.value(.layersPerBlock, default: 2)
        downsamplePadding = try c.value(.downsamplePadding, default: 1)
        midBlockScaleFactor = try c.value(.midBlockScaleFactor, default: 1)
        actFn = try c.value(.actFn, default: "silu")
        normNumGroups = try c.value(.normNumGroups, default: 32)
        normEps = try c.value(.normEps, default: 1e-5)
        crossAttentionDim = try c.value(.crossAttentionDim, default: 1024)
        attentionHeadDim = try c.value(.attentionHeadDim, default: 64)
        numAttentionHeads = try c.optional(.numAttentionHeads)
        timeCondProjDim = try c.optional(.timeCondProjDim)
        inputCoordinates = try c.value(.inputCoordinates, default: [])
    }

    /// Down block types this engine builds (diffusers' names).
    public static let downBlockNames = ["CrossAttnDownBlock3D", "DownBlock3D"]
    /// Up block types this engine builds.
    public static let upBlockNames = ["CrossAttnUpBlock3D", "UpBlock3D"]

    /// Checks positive sizes, one entry per block, divisibility by GroupNorm groups and heads,
    /// and block names, as `UNet3DConditionModel.__init__` requires.
    public func validate() throws {
        try Check.positive(inChannels, CodingKeys.inChannels.stringValue)
        try Check.positive(outChannels, CodingKeys.outChannels.stringValue)
        try Check.positive(blockOutChannels, CodingKeys.blockOutChannels.stringValue)
        try Check.positive(layersPerBlock, CodingKeys.layersPerBlock.stringValue)
        try Check.positive(normNumGroups, CodingKeys.normNumGroups.stringValue)
        try Check.positive(normEps, CodingKeys.normEps.stringValue)
        try Check.positive(crossAttentionDim, CodingKeys.crossAttentionDim.stringValue)
        try Check.positive(attentionHeadDim, CodingKeys.attentionHeadDim.stringValue)
        try Check.nonNegative(downsamplePadding, CodingKeys.downsamplePadding.stringValue)
        if let sampleSize { try Check.positive(sampleSize, CodingKeys.sampleSize.stringValue) }
        if let timeCondProjDim { try Check.positive(timeCondProjDim, CodingKeys.timeCondProjDim.stringValue) }
        let coordinatesKey = CodingKeys.inputCoordinates.stringValue
        for (i, name) in inputCoordinates.enumerated() {
            try Check.oneOf(name, "\(coordinatesKey)[\(i)]", Self.inputCoordinateNames)
        }
        guard Set(inputCoordinates).count == inputCoordinates.count else {
            throw ConfigError(field: coordinatesKey, "\(inputCoordinates) names a coordinate twice")
        }
        guard latentChannels > 0 else {
            throw ConfigError(field: coordinatesKey, "\(inputCoordinates.count) coordinates leave no latent channels "
                              + "of in_channels \(inChannels)")
        }
        guard numAttentionHeads == nil else {
            throw ConfigError(field: CodingKeys.numAttentionHeads.stringValue,
                              "must be null for UNet3DConditionModel (attention_head_dim gives the heads)")
        }
        let blocks = blockOutChannels.count, channelsKey = CodingKeys.blockOutChannels.stringValue
        try Check.count(downBlockTypes.count, CodingKeys.downBlockTypes.stringValue, matches: blocks, of: channelsKey)
        try Check.count(upBlockTypes.count, CodingKeys.upBlockTypes.stringValue, matches: blocks, of: channelsKey)
        for (i, name) in downBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.downBlockTypes.stringValue)[\(i)]", Self.downBlockNames)
        }
        for (i, name) in upBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.upBlockTypes.stringValue)[\(i)]", Self.upBlockNames)
        }
        try Check.oneOf(actFn, CodingKeys.actFn.stringValue, diffusersActivations)
        for (i, channels) in blockOutChannels.enumerated() {
            try Check.divisible(channels, "\(channelsKey)[\(i)]", byGroups: normNumGroups, CodingKeys.normNumGroups.stringValue)
            try Check.divisible(channels, "\(channelsKey)[\(i)]", byHeads: attentionHeadDim, CodingKeys.attentionHeadDim.stringValue)
        }
    }

    /// The exact parameter count of diffusers' `UNet3DConditionModel` built from this config.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let n = blockOutChannels.count, channels = blockOutChannels, first = channels[0]
        let timeWidth = t.product(first, 4)

        t.conv(inChannels, first, kernel: 3)
        t.timestepEmbedding(first, timeWidth, conditionProjection: timeCondProjDim)
        t.transformerTemporal(first, inner: t.product(8, attentionHeadDim))   // transformer_in

        let cross = crossAttentionDim
        func layer(_ t: inout ParameterTally, _ input: Int, _ output: Int, attention: Bool) {
            t.resnet(input, output, timeEmbedding: timeWidth)
            t.temporalConv(output, output)
            if attention {
                t.transformer2D(output, layers: 1, crossAttention: cross)
                t.transformerTemporal(output, inner: output)
            }
        }

        var output = first
        for i in 0..<n {
            let input = output, width = channels[i], attention = downBlockTypes[i].hasPrefix("CrossAttn")
            output = width
            layer(&t, input, width, attention: attention)
            t.repeated(layersPerBlock - 1) { layer(&$0, width, width, attention: attention) }
            if i < n - 1 { t.conv(width, width, kernel: 3) }   // Downsample2D
        }

        let last = channels[n - 1]                               // UNetMidBlock3DCrossAttn
        t.resnet(last, last, timeEmbedding: timeWidth)
        t.temporalConv(last, last)
        layer(&t, last, last, attention: true)

        output = last
        for i in 0..<n {
            let level = n - 1 - i
            let previous = output, width = channels[level], attention = upBlockTypes[i].hasPrefix("CrossAttn")
            output = width
            let input = channels[max(level - 1, 0)]
            let count = t.sum(layersPerBlock, 1)                 // ≥ 2: layers_per_block > 0
            layer(&t, t.sum(previous, width), width, attention: attention)
            t.repeated(count - 2) { layer(&$0, $0.sum(width, width), width, attention: attention) }
            layer(&t, t.sum(width, input), width, attention: attention)
            if i < n - 1 { t.conv(width, width, kernel: 3) }     // Upsample2D
        }

        t.norm(first)
        t.conv(first, outChannels, kernel: 3)
        return try t.total()
    }
}
