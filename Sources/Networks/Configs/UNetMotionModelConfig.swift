import Foundation

/// The config of diffusers' `UNetMotionModel` (`diffusers/models/unets/unet_motion_model.py`), the
/// denoiser of `AnimateDiffPipeline`: a Stable Diffusion UNet with a motion module after every
/// ResNet/attention pair, decoded from `unet/config.json`.
///
/// Absent keys take the `__init__` defaults of diffusers 0.42. Unlike the 2-D and 3-D UNets,
/// `num_attention_heads` is the number of spatial heads (a head is `channels / heads` wide) and
/// `motion_num_attention_heads` that of the motion modules.
public struct UNetMotionModelConfig: DiffusersConfig, Equatable {
    /// `_class_name` ("UNetMotionModel").
    public var className: String?
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// `sample_size`: default latent height/width.
    public var sampleSize: IntOrList?
    /// `in_channels` (default 4).
    public var inChannels: Int
    /// `out_channels` (default 4).
    public var outChannels: Int
    /// `down_block_types` (default 3 × "CrossAttnDownBlockMotion", "DownBlockMotion").
    public var downBlockTypes: [String]
    /// `up_block_types` (default "UpBlockMotion", 3 × "CrossAttnUpBlockMotion").
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
    /// `norm_num_groups` (default 32): every ResNet, spatial transformer and motion module.
    public var normNumGroups: Int
    /// `norm_eps` (default 1e-5).
    public var normEps: Double
    /// `cross_attention_dim`: context width (default 1280).
    public var crossAttentionDim: Int
    /// `transformer_layers_per_block` (default 1).
    public var transformerLayersPerBlock: Int
    /// `temporal_transformer_layers_per_block` (default 1).
    public var temporalTransformerLayersPerBlock: Int
    /// `transformer_layers_per_mid_block` (default null: `transformer_layers_per_block`).
    public var transformerLayersPerMidBlock: Int?
    /// `temporal_transformer_layers_per_mid_block` (default 1).
    public var temporalTransformerLayersPerMidBlock: Int
    /// `use_linear_projection` of the spatial transformers (default false: 1×1 convolutions).
    public var useLinearProjection: Bool
    /// `num_attention_heads`: spatial heads, one or one per block (default 8).
    public var numAttentionHeads: IntOrList
    /// `motion_max_seq_length`: the most frames the motion modules' positions cover (default 32).
    public var motionMaxSeqLength: Int
    /// `motion_num_attention_heads`: motion-module heads, one or one per block (default 8).
    public var motionNumAttentionHeads: IntOrList
    /// `use_motion_mid_block` (default true; false gives the mid block no motion module).
    public var useMotionMidBlock: Bool
    /// `mid_block_layers` (default 1).
    public var midBlockLayers: Int
    /// `time_cond_proj_dim`, if any.
    public var timeCondProjDim: Int?
    /// Options Diffuse does not build; each must be null: `reverse_transformer_layers_per_block`,
    /// `reverse_temporal_transformer_layers_per_block`, `reverse_motion_num_attention_heads`,
    /// `encoder_hid_dim`, `encoder_hid_dim_type`, `addition_embed_type`, `addition_time_embed_dim`,
    /// `projection_class_embeddings_input_dim`; and Diffuse's own `input_coordinates`, which only its
    /// UNet3DConditionModel folders take.
    public var unsupportedOptions: [String]

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
        case transformerLayersPerBlock = "transformer_layers_per_block"
        case temporalTransformerLayersPerBlock = "temporal_transformer_layers_per_block"
        case transformerLayersPerMidBlock = "transformer_layers_per_mid_block"
        case temporalTransformerLayersPerMidBlock = "temporal_transformer_layers_per_mid_block"
        case useLinearProjection = "use_linear_projection"
        case numAttentionHeads = "num_attention_heads"
        case motionMaxSeqLength = "motion_max_seq_length"
        case motionNumAttentionHeads = "motion_num_attention_heads"
        case useMotionMidBlock = "use_motion_mid_block"
        case midBlockLayers = "mid_block_layers"
        case timeCondProjDim = "time_cond_proj_dim"
        case reverseTransformerLayersPerBlock = "reverse_transformer_layers_per_block"
        case reverseTemporalTransformerLayersPerBlock = "reverse_temporal_transformer_layers_per_block"
        case reverseMotionNumAttentionHeads = "reverse_motion_num_attention_heads"
        case inputCoordinates = "input_coordinates"
        case encoderHidDim = "encoder_hid_dim"
        case encoderHidDimType = "encoder_hid_dim_type"
        case additionEmbedType = "addition_embed_type"
        case additionTimeEmbedDim = "addition_time_embed_dim"
        case projectionClassEmbeddingsInputDim = "projection_class_embeddings_input_dim"
    }

    private static let unsupportedKeys: [CodingKeys] = [
        .reverseTransformerLayersPerBlock, .reverseTemporalTransformerLayersPerBlock, .reverseMotionNumAttentionHeads,
        .encoderHidDim, .encoderHidDimType, .additionEmbedType, .additionTimeEmbedDim, .projectionClassEmbeddingsInputDim,
        .inputCoordinates,
    ]

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.optional(.className)
        diffusersVersion = try c.optional(.diffusersVersion)
        sampleSize = try c.optional(.sampleSize)
        inChannels = try c.value(.inChannels, default: 4)
        outChannels = try c.value(.outChannels, default: 4)
        downBlockTypes = try c.value(.downBlockTypes, default: ["CrossAttnDownBlockMotion", "CrossAttnDownBlockMotion",
                                                                "CrossAttnDownBlockMotion", "DownBlockMotion"])
        upBlockTypes = try c.value(.upBlockTypes, default: ["UpBlockMotion", "CrossAttnUpBlockMotion",
                                                            "CrossAttnUpBlockMotion", "CrossAttnUpBlockMotion"])
        blockOutChannels = try c.value(.blockOutChannels, default: [320, 640, 1280, 1280])
        layersPerBlock = try c.value(.layersPerBlock, default: 2)
        downsamplePadding = try c.value(.downsamplePadding, default: 1)
        midBlockScaleFactor = try c.value(.midBlockScaleFactor, default: 1)
        actFn = try c.value(.actFn, default: "silu")
        normNumGroups = try c.value(.normNumGroups, default: 32)
        normEps = try c.value(.normEps, default: 1e-5)
        crossAttentionDim = try c.value(.crossAttentionDim, default: 1280)
        transformerLayersPerBlock = try c.value(.transformerLayersPerBlock, default: 1)
        temporalTransformerLayersPerBlock = try c.value(.temporalTransformerLayersPerBlock, default: 1)
        transformerLayersPerMidBlock = try c.optional(.transformerLayersPerMidBlock)
        temporalTransformerLayersPerMidBlock = try c.value(.temporalTransformerLayersPerMidBlock, default: 1)
        useLinearProjection = try c.value(.useLinearProjection, default: false)
        numAttentionHeads = try c.value(.numAttentionHeads, default: .int(8))
        motionMaxSeqLength = try c.value(.motionMaxSeqLength, default: 32)
        motionNumAttentionHeads = try c.value(.motionNumAttentionHeads, default: .int(8))
        useMotionMidBlock = try c.value(.useMotionMidBlock, default: true)
        midBlockLayers = try c.value(.midBlockLayers, default: 1)
        timeCondProjDim = try c.optional(.timeCondProjDim)
        unsupportedOptions = try Self.unsupportedKeys.filter { c.contains($0) ? try !c.decodeNil(forKey: $0) : false }
            .map(\.stringValue)
    }

    /// Writes the fields Diffuse reads (the unsupported options, which must be null, are left out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(className, forKey: .className)
        try c.encodeIfPresent(diffusersVersion, forKey: .diffusersVersion)
        try c.encodeIfPresent(sampleSize, forKey: .sampleSize)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(outChannels, forKey: .outChannels)
        try c.encode(downBlockTypes, forKey: .downBlockTypes)
        try c.encode(upBlockTypes, forKey: .upBlockTypes)
        try c.encode(blockOutChannels, forKey: .blockOutChannels)
        try c.encode(layersPerBlock, forKey: .layersPerBlock)
        try c.encode(downsamplePadding, forKey: .downsamplePadding)
        try c.encode(midBlockScaleFactor, forKey: .midBlockScaleFactor)
        try c.encode(actFn, forKey: .actFn)
        try c.encode(normNumGroups, forKey: .normNumGroups)
        try c.encode(normEps, forKey: .normEps)
        try c.encode(crossAttentionDim, forKey: .crossAttentionDim)
        try c.encode(transformerLayersPerBlock, forKey: .transformerLayersPerBlock)
        try c.encode(temporalTransformerLayersPerBlock, forKey: .temporalTransformerLayersPerBlock)
        try c.encodeIfPresent(transformerLayersPerMidBlock, forKey: .transformerLayersPerMidBlock)
        try c.encode(temporalTransformerLayersPerMidBlock, forKey: .temporalTransformerLayersPerMidBlock)
        try c.encode(useLinearProjection, forKey: .useLinearProjection)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(motionMaxSeqLength, forKey: .motionMaxSeqLength)
        try c.encode(motionNumAttentionHeads, forKey: .motionNumAttentionHeads)
        try c.encode(useMotionMidBlock, forKey: .useMotionMidBlock)
        try c.encode(midBlockLayers, forKey: .midBlockLayers)
        try c.encodeIfPresent(timeCondProjDim, forKey: .timeCondProjDim)
    }

    /// Down block types this engine builds (diffusers' names).
    public static let downBlockNames = ["CrossAttnDownBlockMotion", "DownBlockMotion"]
    /// Up block types this engine builds.
    public static let upBlockNames = ["CrossAttnUpBlockMotion", "UpBlockMotion"]

    /// Spatial heads per block.
    public var headsPerBlock: [Int] { numAttentionHeads.perBlock(blockOutChannels.count) }
    /// Motion-module heads per block.
    public var motionHeadsPerBlock: [Int] { motionNumAttentionHeads.perBlock(blockOutChannels.count) }
    /// `transformer_layers_per_mid_block` as `__init__` resolves it.
    public var midTransformerLayers: Int { transformerLayersPerMidBlock ?? transformerLayersPerBlock }

    /// Checks positive sizes, one entry per block, divisibility by GroupNorm groups and heads, and
    /// block names, as `UNetMotionModel.__init__` requires; rejects the options Diffuse does not build.
    public func validate() throws {
        if let key = unsupportedOptions.first {
            throw ConfigError(field: key, "is not supported by Diffuse's UNetMotionModel (it must be null)")
        }
        for (value, key) in [(inChannels, CodingKeys.inChannels), (outChannels, .outChannels),
                             (layersPerBlock, .layersPerBlock), (normNumGroups, .normNumGroups),
                             (crossAttentionDim, .crossAttentionDim), (transformerLayersPerBlock, .transformerLayersPerBlock),
                             (temporalTransformerLayersPerBlock, .temporalTransformerLayersPerBlock),
                             (midTransformerLayers, .transformerLayersPerMidBlock),
                             (temporalTransformerLayersPerMidBlock, .temporalTransformerLayersPerMidBlock),
                             (motionMaxSeqLength, .motionMaxSeqLength), (midBlockLayers, .midBlockLayers)] {
            try Check.positive(value, key.stringValue)
        }
        try Check.positive(blockOutChannels, CodingKeys.blockOutChannels.stringValue)
        try Check.positive(normEps, CodingKeys.normEps.stringValue)
        try Check.nonNegative(downsamplePadding, CodingKeys.downsamplePadding.stringValue)
        if let sampleSize { try Check.positive(sampleSize, CodingKeys.sampleSize.stringValue) }
        if let timeCondProjDim { try Check.positive(timeCondProjDim, CodingKeys.timeCondProjDim.stringValue) }
        let blocks = blockOutChannels.count, channelsKey = CodingKeys.blockOutChannels.stringValue
        try Check.count(downBlockTypes.count, CodingKeys.downBlockTypes.stringValue, matches: blocks, of: channelsKey)
        try Check.count(upBlockTypes.count, CodingKeys.upBlockTypes.stringValue, matches: blocks, of: channelsKey)
        try Check.perBlock(numAttentionHeads, CodingKeys.numAttentionHeads.stringValue, blocks: blocks, of: channelsKey)
        try Check.perBlock(motionNumAttentionHeads, CodingKeys.motionNumAttentionHeads.stringValue, blocks: blocks, of: channelsKey)
        try Check.positive(numAttentionHeads, CodingKeys.numAttentionHeads.stringValue)
        try Check.positive(motionNumAttentionHeads, CodingKeys.motionNumAttentionHeads.stringValue)
        for (i, name) in downBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.downBlockTypes.stringValue)[\(i)]", Self.downBlockNames)
        }
        for (i, name) in upBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.upBlockTypes.stringValue)[\(i)]", Self.upBlockNames)
        }
        try Check.oneOf(actFn, CodingKeys.actFn.stringValue, diffusersActivations)
        let heads = headsPerBlock, motionHeads = motionHeadsPerBlock
        for (i, channels) in blockOutChannels.enumerated() {
            let field = "\(channelsKey)[\(i)]"
            try Check.divisible(channels, field, byGroups: normNumGroups, CodingKeys.normNumGroups.stringValue)
            try Check.divisible(channels, field, byHeads: heads[i], CodingKeys.numAttentionHeads.stringValue)
            try Check.divisible(channels, field, byHeads: motionHeads[i], CodingKeys.motionNumAttentionHeads.stringValue)
            guard (channels / motionHeads[i]) % 2 == 0 else {   // SinusoidalPositionalEmbedding fills sin/cos pairs
                throw ConfigError(field: CodingKeys.motionNumAttentionHeads.stringValue,
                                  "gives motion-module heads of odd width \(channels / motionHeads[i]) in block \(i); the sinusoidal positions need an even width")
            }
        }
    }

    /// The exact parameter count of diffusers' `UNetMotionModel` built from this config (the
    /// positional tables are buffers, not parameters).
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let n = blockOutChannels.count, channels = blockOutChannels, first = channels[0]
        let timeWidth = t.product(first, 4), cross = crossAttentionDim

        t.conv(inChannels, first, kernel: 3)
        t.timestepEmbedding(first, timeWidth, conditionProjection: timeCondProjDim)

        func layer(_ t: inout ParameterTally, _ input: Int, _ output: Int, attention: Bool) {
            t.resnet(input, output, timeEmbedding: timeWidth)
            if attention { t.transformer2D(output, layers: transformerLayersPerBlock, crossAttention: cross) }
            t.motionModule(output, layers: temporalTransformerLayersPerBlock)
        }

        var output = first
        for i in 0..<n {
            let input = output, width = channels[i], attention = downBlockTypes[i].hasPrefix("CrossAttn")
            output = width
            layer(&t, input, width, attention: attention)
            t.repeated(layersPerBlock - 1) { layer(&$0, width, width, attention: attention) }
            if i < n - 1 { t.conv(width, width, kernel: 3) }   // Downsample2D
        }

        let last = channels[n - 1]                               // UNetMidBlockCrossAttnMotion
        t.resnet(last, last, timeEmbedding: timeWidth)
        t.repeated(midBlockLayers) {
            $0.transformer2D(last, layers: midTransformerLayers, crossAttention: cross)
            if useMotionMidBlock { $0.motionModule(last, layers: temporalTransformerLayersPerMidBlock) }
            $0.resnet(last, last, timeEmbedding: timeWidth)
        }

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
