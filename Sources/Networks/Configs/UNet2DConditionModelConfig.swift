import Foundation

/// The config of diffusers' `UNet2DConditionModel` (`diffusers/models/unets/unet_2d_condition.py`),
/// the denoiser of Stable Diffusion 1.x/2.x, SDXL and AudioLDM, decoded from `unet/config.json`.
///
/// Absent keys take the `__init__` defaults of diffusers 0.42. As in diffusers,
/// `attention_head_dim` is the number of heads unless `num_attention_heads` is given (a naming
/// accident the reference keeps for compatibility); `headsPerBlock` resolves it.
public struct UNet2DConditionModelConfig: DiffusersConfig, Equatable {
    /// `_class_name` ("UNet2DConditionModel").
    public var className: String?
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// `sample_size`: default latent height/width (one value or [H, W]).
    public var sampleSize: IntOrList?
    /// `in_channels`: channels of the noisy latent (default 4).
    public var inChannels: Int
    /// `out_channels`: channels of the prediction (default 4).
    public var outChannels: Int
    /// `center_input_sample`: map the input to 2·x − 1 first.
    public var centerInputSample: Bool
    /// `flip_sin_to_cos`: cosine half first in the timestep embedding (default true).
    public var flipSinToCos: Bool
    /// `freq_shift`: the `downscale_freq_shift` of the timestep embedding (default 0).
    public var freqShift: Int
    /// `down_block_types`: one block name per resolution level.
    public var downBlockTypes: [String]
    /// `mid_block_type` (default "UNetMidBlock2DCrossAttn"); nil when JSON null (no mid block).
    public var midBlockType: String?
    /// `up_block_types`: one block name per resolution level, lowest resolution first.
    public var upBlockTypes: [String]
    /// `only_cross_attention`: attn1 attends to the context instead of itself.
    public var onlyCrossAttention: BoolOrList
    /// `block_out_channels`: channels per resolution level (default [320, 640, 1280, 1280]).
    public var blockOutChannels: [Int]
    /// `layers_per_block`: ResNet layers per down block (default 2).
    public var layersPerBlock: IntOrList
    /// `downsample_padding`: padding of the strided downsampling conv (default 1).
    public var downsamplePadding: Int
    /// `mid_block_scale_factor`: output scale of the mid block ResNets (default 1).
    public var midBlockScaleFactor: Double
    /// `dropout` (inference ignores it).
    public var dropout: Double
    /// `act_fn`: ResNet and time-embedding activation (default "silu").
    public var actFn: String
    /// `norm_num_groups`: GroupNorm groups (default 32).
    public var normNumGroups: Int
    /// `norm_eps`: GroupNorm epsilon (default 1e-5).
    public var normEps: Double
    /// `cross_attention_dim`: context width, one value or one per block (default 1280).
    public var crossAttentionDim: IntOrList
    /// `transformer_layers_per_block`: transformer blocks per attention layer (default 1).
    public var transformerLayersPerBlock: IntOrList
    /// `reverse_transformer_layers_per_block`: per up block and layer, when given.
    public var reverseTransformerLayersPerBlock: [[Int]]?
    /// `encoder_hid_dim`: context width before `encoder_hid_proj`, if any.
    public var encoderHidDim: Int?
    /// `encoder_hid_dim_type` ("text_proj" and others), if any.
    public var encoderHidDimType: String?
    /// `attention_head_dim`: despite the name, the number of heads when `num_attention_heads` is absent (default 8).
    public var attentionHeadDim: IntOrList?
    /// `num_attention_heads`: heads per block, when given.
    public var numAttentionHeads: IntOrList?
    /// `dual_cross_attention` (unsupported when true).
    public var dualCrossAttention: Bool
    /// `use_linear_projection`: Linear instead of 1×1 conv for proj_in/proj_out (SD 2.x).
    public var useLinearProjection: Bool
    /// `class_embed_type`: null, "timestep", "identity", "projection" or "simple_projection" (AudioLDM).
    public var classEmbedType: String?
    /// `addition_embed_type`: null or "text_time" (SDXL).
    public var additionEmbedType: String?
    /// `addition_time_embed_dim`: width of each SDXL micro-conditioning embedding.
    public var additionTimeEmbedDim: Int?
    /// `num_class_embeds`: size of a class-label embedding table, if any.
    public var numClassEmbeds: Int?
    /// `upcast_attention`: attention scores in float32 (SD 2.1).
    public var upcastAttention: Bool
    /// `resnet_time_scale_shift`: "default" or "scale_shift".
    public var resnetTimeScaleShift: String
    /// `resnet_skip_time_act`.
    public var resnetSkipTimeAct: Bool
    /// `resnet_out_scale_factor` (default 1).
    public var resnetOutScaleFactor: Double
    /// `time_embedding_type`: "positional" (default) or "fourier".
    public var timeEmbeddingType: String
    /// `time_embedding_dim`: defaults to 4 × `block_out_channels[0]`.
    public var timeEmbeddingDim: Int?
    /// `time_embedding_act_fn`, if any.
    public var timeEmbeddingActFn: String?
    /// `timestep_post_act`, if any.
    public var timestepPostAct: String?
    /// `time_cond_proj_dim`: width of a guidance-scale embedding (LCM), if any.
    public var timeCondProjDim: Int?
    /// `conv_in_kernel` (default 3).
    public var convInKernel: Int
    /// `conv_out_kernel` (default 3).
    public var convOutKernel: Int
    /// `projection_class_embeddings_input_dim`: input width of a projection class embedding (AudioLDM: 512).
    public var projectionClassEmbeddingsInputDim: Int?
    /// `attention_type` (default "default").
    public var attentionType: String
    /// `class_embeddings_concat`: concatenate the class embedding to the time embedding (AudioLDM).
    public var classEmbeddingsConcat: Bool
    /// `mid_block_only_cross_attention`, if given.
    public var midBlockOnlyCrossAttention: Bool?
    /// `cross_attention_norm`, if any.
    public var crossAttentionNorm: String?

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case diffusersVersion = "_diffusers_version"
        case sampleSize = "sample_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case centerInputSample = "center_input_sample"
        case flipSinToCos = "flip_sin_to_cos"
        case freqShift = "freq_shift"
        case downBlockTypes = "down_block_types"
        case midBlockType = "mid_block_type"
        case upBlockTypes = "up_block_types"
        case onlyCrossAttention = "only_cross_attention"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor"
        case dropout
        case actFn = "act_fn"
        case normNumGroups = "norm_num_groups"
        case normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim"
        case transformerLayersPerBlock = "transformer_layers_per_block"
        case reverseTransformerLayersPerBlock = "reverse_transformer_layers_per_block"
        case encoderHidDim = "encoder_hid_dim"
        case encoderHidDimType = "encoder_hid_dim_type"
        case attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads"
        case dualCrossAttention = "dual_cross_attention"
        case useLinearProjection = "use_linear_projection"
        case classEmbedType = "class_embed_type"
        case additionEmbedType = "addition_embed_type"
        case additionTimeEmbedDim = "addition_time_embed_dim"
        case numClassEmbeds = "num_class_embeds"
        case upcastAttention = "upcast_attention"
        case resnetTimeScaleShift = "resnet_time_scale_shift"
        case resnetSkipTimeAct = "resnet_skip_time_act"
        case resnetOutScaleFactor = "resnet_out_scale_factor"
        case timeEmbeddingType = "time_embedding_type"
        case timeEmbeddingDim = "time_embedding_dim"
        case timeEmbeddingActFn = "time_embedding_act_fn"
        case timestepPostAct = "timestep_post_act"
        case timeCondProjDim = "time_cond_proj_dim"
        case convInKernel = "conv_in_kernel"
        case convOutKernel = "conv_out_kernel"
        case projectionClassEmbeddingsInputDim = "projection_class_embeddings_input_dim"
        case attentionType = "attention_type"
        case classEmbeddingsConcat = "class_embeddings_concat"
        case midBlockOnlyCrossAttention = "mid_block_only_cross_attention"
        case crossAttentionNorm = "cross_attention_norm"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.optional(.className)
        diffusersVersion = try c.optional(.diffusersVersion)
        sampleSize = try c.optional(.sampleSize)
        inChannels = try c.value(.inChannels, default: 4)
        outChannels = try c.value(.outChannels, default: 4)
        centerInputSample = try c.value(.centerInputSample, default: false)
        flipSinToCos = try c.value(.flipSinToCos, default: true)
        freqShift = try c.value(.freqShift, default: 0)
        downBlockTypes = try c.value(.downBlockTypes, default: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"])
        midBlockType = try c.optional(.midBlockType, default: "UNetMidBlock2DCrossAttn")
        upBlockTypes = try c.value(.upBlockTypes, default: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"])
        onlyCrossAttention = try c.value(.onlyCrossAttention, default: .bool(false))
        blockOutChannels = try c.value(.blockOutChannels, default: [320, 640, 1280, 1280])
        layersPerBlock = try c.value(.layersPerBlock, default: .int(2))
        downsamplePadding = try c.value(.downsamplePadding, default: 1)
        midBlockScaleFactor = try c.value(.midBlockScaleFactor, default: 1)
        dropout = try c.value(.dropout, default: 0)
        actFn = try c.value(.actFn, default: "silu")
        normNumGroups = try c.value(.normNumGroups, default: 32)
        normEps = try c.value(.normEps, default: 1e-5)
        crossAttentionDim = try c.value(.crossAttentionDim, default: .int(1280))
        transformerLayersPerBlock = try c.value(.transformerLayersPerBlock, default: .int(1))
        reverseTransformerLayersPerBlock = try c.optional(.reverseTransformerLayersPerBlock)
        encoderHidDim = try c.optional(.encoderHidDim)
        encoderHidDimType = try c.optional(.encoderHidDimType)
        attentionHeadDim = try c.optional(.attentionHeadDim, default: .int(8))
        numAttentionHeads = try c.optional(.numAttentionHeads)
        dualCrossAttention = try c.value(.dualCrossAttention, default: false)
        useLinearProjection = try c.value(.useLinearProjection, default: false)
        classEmbedType = try c.optional(.classEmbedType)
        additionEmbedType = try c.optional(.additionEmbedType)
        additionTimeEmbedDim = try c.optional(.additionTimeEmbedDim)
        numClassEmbeds = try c.optional(.numClassEmbeds)
        upcastAttention = try c.value(.upcastAttention, default: false)
        resnetTimeScaleShift = try c.value(.resnetTimeScaleShift, default: "default")
        resnetSkipTimeAct = try c.value(.resnetSkipTimeAct, default: false)
        resnetOutScaleFactor = try c.value(.resnetOutScaleFactor, default: 1)
        timeEmbeddingType = try c.value(.timeEmbeddingType, default: "positional")
        timeEmbeddingDim = try c.optional(.timeEmbeddingDim)
        timeEmbeddingActFn = try c.optional(.timeEmbeddingActFn)
        timestepPostAct = try c.optional(.timestepPostAct)
        timeCondProjDim = try c.optional(.timeCondProjDim)
        convInKernel = try c.value(.convInKernel, default: 3)
        convOutKernel = try c.value(.convOutKernel, default: 3)
        projectionClassEmbeddingsInputDim = try c.optional(.projectionClassEmbeddingsInputDim)
        attentionType = try c.value(.attentionType, default: "default")
        classEmbeddingsConcat = try c.value(.classEmbeddingsConcat, default: false)
        midBlockOnlyCrossAttention = try c.optional(.midBlockOnlyCrossAttention)
        crossAttentionNorm = try c.optional(.crossAttentionNorm)
    }

    // MARK: Resolved per-block values (meaningful once `validate()` has passed)

    /// Number of resolution levels (`len(block_out_channels)`).
    public var blockCount: Int { blockOutChannels.count }
    /// Attention heads per down block: `num_attention_heads`, else `attention_head_dim`.
    public var headsPerBlock: [Int] { (numAttentionHeads ?? attentionHeadDim ?? .int(8)).perBlock(blockCount) }
    /// Cross-attention (context) width per down block.
    public var crossAttentionDims: [Int] { crossAttentionDim.perBlock(blockCount) }
    /// ResNet layers per down block (up blocks have one more).
    public var layersPerDownBlock: [Int] { layersPerBlock.perBlock(blockCount) }
    /// Transformer blocks per attention layer, per down block.
    public var transformerLayersPerDownBlock: [Int] { transformerLayersPerBlock.perBlock(blockCount) }
    /// `only_cross_attention` per down block.
    public var onlyCrossAttentionPerBlock: [Bool] { onlyCrossAttention.perBlock(blockCount) }
    /// Width of the timestep embedding: `time_embedding_dim`, else 4 × `block_out_channels[0]`
    /// (2 × for `"fourier"`); 0 when that overflows (which `validate()` reports).
    public var timeEmbeddingWidth: Int {
        if let timeEmbeddingDim { return timeEmbeddingDim }
        let (width, overflow) = (blockOutChannels.first ?? 0).multipliedReportingOverflow(by: timeEmbeddingType == "fourier" ? 2 : 4)
        return overflow ? 0 : width
    }

    /// Down block types this engine builds (diffusers' names).
    public static let downBlockNames = ["CrossAttnDownBlock2D", "DownBlock2D"]
    /// Up block types this engine builds.
    public static let upBlockNames = ["CrossAttnUpBlock2D", "UpBlock2D"]
    /// Mid block types this engine builds (or null for none).
    public static let midBlockNames = ["UNetMidBlock2DCrossAttn"]
}
