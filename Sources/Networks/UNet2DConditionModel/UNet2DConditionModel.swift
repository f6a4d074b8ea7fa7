import Foundation
import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_condition.py (diffusers 0.42), UNet2DConditionModel
// `__init__` and `forward`, for the blocks of Stable Diffusion 1.x/2.x, SDXL and AudioLDM.

/// diffusers' `UNet2DConditionModel` (`diffusers/models/unets/unet_2d_condition.py`), the
/// noise-prediction network of Stable Diffusion 1.x/2.x and AudioLDM (and SDXL's layout).
///
/// Built from a `UNet2DConditionModelConfig` and a weight scope whose keys are exactly
/// diffusers' `state_dict` keys (`conv_in.weight`, `down_blocks.0.attentions.1.proj_in.weight`, …).
///
/// Covered: `CrossAttnDownBlock2D`, `DownBlock2D`, `UNetMidBlock2DCrossAttn` (or no mid block),
/// `CrossAttnUpBlock2D`, `UpBlock2D`; heads per block from `attention_head_dim` (which, as in
/// diffusers, is the number of heads) or `num_attention_heads`; `cross_attention_dim`,
/// `only_cross_attention`, `layers_per_block`, `transformer_layers_per_block` as one value or per
/// block, `reverse_transformer_layers_per_block`; `use_linear_projection`; `upcast_attention`
/// (no effect: attention already runs in Float32); `"positional"` and `"fourier"` time
/// embeddings with `flip_sin_to_cos`, `freq_shift`, `time_embedding_dim`, `time_cond_proj_dim`,
/// `timestep_post_act`, `time_embedding_act_fn`; every `class_embed_type` (and
/// `num_class_embeds`) with `class_embeddings_concat`; `addition_embed_type "text_time"`;
/// `encoder_hid_dim_type "text_proj"`; `resnet_time_scale_shift`; `center_input_sample`;
/// `conv_in_kernel` / `conv_out_kernel`; the upsample sizes forwarded for inputs that are not a
/// multiple of the overall downsampling factor. Not covered: attention masks, ControlNet /
/// T2I-adapter residuals, GLIGEN, FreeU, and the other block types (the config rejects them).
public struct UNet2DConditionModel: Sendable {
    /// The config the model was built from.
    public let config: UNet2DConditionModelConfig
    let timeProjection: TimeProjection
    let timeEmbedding: TimestepEmbedding
    let classEmbedding: UNetClassEmbedding?
    let additionEmbedding: UNetTextTimeEmbedding?
    let timeEmbedActivation: Activation?
    let encoderHidProj: Linear?
    let convIn: Conv2d
    let downBlocks: [UNetDownBlock]
    let midBlock: UNetMidBlock2DCrossAttn?
    let upBlocks: [UNetUpBlock]
    let convNormOut: GroupNorm
    let convActivation: Activation
    let convOut: Conv2d
    /// Every transformer's (`key`, channels, context width), to check `encoder_hidden_states`.
    let contexts: [(key: String, channels: Int, width: Int)]

    /// `time_proj`: sinusoidal `Timesteps` or `GaussianFourierProjection`.
    enum TimeProjection: Sendable {
        case positional(Timesteps)
        case fourier(GaussianFourierProjection)

        func callAsFunction(_ t: Tensor) -> Tensor {
            switch self {
            case let .positional(p): p(t)
            case let .fourier(p): p(t)
            }
        }
    }

    /// Builds the model from `w`, the scope of the UNet checkpoint. Validates the config
    /// first; throws naming the full key for a missing or misshapen weight. Call
    /// `WeightStore.finish()` afterwards to reject weights the model did not read.
    public init(config: UNet2DConditionModelConfig, weights w: WeightScope) throws {
        try config.validate()
        self.config = config
        let channels = config.blockOutChannels, n = channels.count
        let activation = try Activation(diffusersName: config.actFn)
        let timeEmbedDim = config.timeEmbeddingWidth

        // Time embedding: `_set_time_proj`, `time_embedding`.
        let timestepInputDim: Int
        switch config.timeEmbeddingType {
        case "fourier":
            timeProjection = .fourier(try GaussianFourierProjection(w["time_proj"], embeddingSize: timeEmbedDim / 2,
                                                                    flipSinToCos: config.flipSinToCos))
            timestepInputDim = timeEmbedDim
        default:
            timeProjection = .positional(Timesteps(numChannels: channels[0], flipSinToCos: config.flipSinToCos,
                                                   downscaleFreqShift: Double(config.freqShift)))
            timestepInputDim = channels[0]
        }
        timeEmbedding = try TimestepEmbedding(w["time_embedding"], inChannels: timestepInputDim, timeEmbedDim: timeEmbedDim,
                                              activation: activation,
                                              postActivation: try config.timestepPostAct.map(Activation.init(diffusersName:)),
                                              condProjDim: config.timeCondProjDim)
        classEmbedding = try UNetClassEmbedding(w["class_embedding"], config: config, timeEmbedDim: timeEmbedDim,
                                                timestepInputDim: timestepInputDim, timeProjection: timeProjection,
                                                activation: activation)
        additionEmbedding = config.additionEmbedType == "text_time"
            ? try UNetTextTimeEmbedding(w["add_embedding"], config: config, timeEmbedDim: timeEmbedDim) : nil
        timeEmbedActivation = try config.timeEmbeddingActFn.map(Activation.init(diffusersName:))
        encoderHidProj = try Self.encoderHidProjection(w["encoder_hid_proj"], config: config)

        convIn = try Conv2d(w["conv_in"], in: config.inChannels, out: channels[0], kernel: config.convInKernel,
                            padding: (config.convInKernel - 1) / 2)
        let settings = try UNetBlockSettings(config, tembChannels: config.classEmbeddingsConcat && classEmbedding != nil
                                             ? 2 * timeEmbedDim : timeEmbedDim)
        let heads = config.headsPerBlock, cross = config.crossAttentionDims, onlyCross = config.onlyCrossAttentionPerBlock
        let layers = config.layersPerDownBlock, transformerLayers = config.transformerLayersPerDownBlock
        var contexts: [(key: String, channels: Int, width: Int)] = []

        var downBlocks: [UNetDownBlock] = []
        for i in 0..<n {
            let scope = w["down_blocks"][i], input = i == 0 ? channels[0] : channels[i - 1]
            if config.downBlockTypes[i] == "CrossAttnDownBlock2D" {
                let attention = UNetAttentionSettings(heads: heads[i], crossAttentionDim: cross[i], onlyCrossAttention: onlyCross[i])
                downBlocks.append(.crossAttention(try CrossAttnDownBlock2D(
                    scope, in: input, out: channels[i], layers: layers[i], transformerLayers: transformerLayers[i],
                    addDownsample: i < n - 1, attention: attention, settings: settings)))
                contexts.append((scope.path, channels[i], cross[i]))
            } else {
                downBlocks.append(.plain(try DownBlock2D(scope, in: input, out: channels[i], layers: layers[i],
                                                         addDownsample: i < n - 1, settings: settings)))
            }
        }
        self.downBlocks = downBlocks

        if config.midBlockType != nil {
            let attention = UNetAttentionSettings(heads: heads[n - 1], crossAttentionDim: cross[n - 1], onlyCrossAttention: false)
            midBlock = try UNetMidBlock2DCrossAttn(w["mid_block"], channels: channels[n - 1],
                                                   transformerLayers: transformerLayers[n - 1],
                                                   outputScaleFactor: Float(config.midBlockScaleFactor),
                                                   attention: attention, settings: settings)
            contexts.append((w["mid_block"].path, channels[n - 1], cross[n - 1]))
        } else {
            midBlock = nil
        }

        var upBlocks: [UNetUpBlock] = []
        var output = channels[n - 1]
        for i in 0..<n {
            let level = n - 1 - i                                   // reversed(...)[i]
            let previous = output
            output = channels[level]
            let input = channels[max(level - 1, 0)]                 // reversed[min(i + 1, n − 1)]
            let count = layers[level] + 1, scope = w["up_blocks"][i]
            if config.upBlockTypes[i] == "CrossAttnUpBlock2D" {
                let depths = config.reverseTransformerLayersPerBlock?[i]
                    ?? [Int](repeating: transformerLayers[level], count: count)
                let attention = UNetAttentionSettings(heads: heads[level], crossAttentionDim: cross[level],
                                                      onlyCrossAttention: onlyCross[level])
                upBlocks.append(.crossAttention(try CrossAttnUpBlock2D(
                    scope, in: input, out: output, previous: previous, layers: count, transformerLayers: depths,
                    addUpsample: i < n - 1, attention: attention, settings: settings)))
                contexts.append((scope.path, output, cross[level]))
            } else {
                upBlocks.append(.plain(try UpBlock2D(scope, in: input, out: output, previous: previous, layers: count,
                                                     addUpsample: i < n - 1, settings: settings)))
            }
        }
        self.upBlocks = upBlocks
        self.contexts = contexts

        convNormOut = try GroupNorm(w["conv_norm_out"], groups: config.normNumGroups, channels: channels[0],
                                    eps: Float(config.normEps))
        convActivation = activation
        convOut = try Conv2d(w["conv_out"], in: channels[0], out: config.outChannels, kernel: config.convOutKernel,
                             padding: (config.convOutKernel - 1) / 2)
    }

    /// Loads a `unet/` folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant, e.g. `diffusion_pytorch_model.fp16.safetensors`, and how half-precision weights are
    /// held). Strict: a missing, misshapen or unused weight is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try UNet2DConditionModelConfig.load(contentsOf: folder.appendingPathComponent(UNet2DConditionModelConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish()
    }

    /// `encoder_hid_proj` for `encoder_hid_dim_type "text_proj"` (or `encoder_hid_dim` alone).
    private static func encoderHidProjection(_ w: WeightScope, config: UNet2DConditionModelConfig) throws -> Linear? {
        guard let width = config.encoderHidDim else { return nil }
        guard case let .int(crossWidth) = config.crossAttentionDim else {
            throw ConfigError(field: "cross_attention_dim", "must be one integer with encoder_hid_dim (text_proj)")
        }
        return try Linear(w, in: width, out: crossWidth)
    }

    /// `UNet2DConditionModel.forward(sample, timestep, encoder_hidden_states, class_labels,
    /// timestep_cond, added_cond_kwargs).sample` with one timestep for the whole batch.
    public func callAsFunction(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor?, classLabels: Tensor? = nil,
                               timestepCond: Tensor? = nil, addedConditions: UNetAddedConditions? = nil) throws -> Tensor {
        try self(sample, timesteps: [timestep], encoderHiddenStates: encoderHiddenStates, classLabels: classLabels,
                 timestepCond: timestepCond, addedConditions: addedConditions)
    }

    /// `UNet2DConditionModel.forward(...).sample`.
    ///
    /// - Parameters:
    ///   - sample: the noisy latents [B, in_channels, H, W].
    ///   - timesteps: one timestep for the batch or one per sample (diffusers expands a scalar);
    ///     fractional values are allowed (taken as Float32, as diffusers does).
    ///   - encoderHiddenStates: the context [B, L, cross_attention_dim] (or [B, L, encoder_hid_dim]
    ///     with `encoder_hid_proj`); nil runs every `attn2` as self-attention, which needs each
    ///     block's `cross_attention_dim` to equal its width (AudioLDM).
    ///   - classLabels: [B, K] for projection class embeddings (AudioLDM: the CLAP text
    ///     embeddings), [B] for `"timestep"` and `num_class_embeds`; required when the config has
    ///     a class embedding.
    ///   - timestepCond: [B, time_cond_proj_dim] when the config has `time_cond_proj_dim`.
    ///   - addedConditions: `text_embeds` and `time_ids` for `addition_embed_type "text_time"`.
    /// - Returns: the prediction [B, out_channels, H, W].
    /// - Throws: `ModelInputError` for inputs of the wrong shape or missing conditions.
    public func callAsFunction(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor?, classLabels: Tensor? = nil,
                               timestepCond: Tensor? = nil, addedConditions: UNetAddedConditions? = nil) throws -> Tensor {
        try checkInputs(sample, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond)
        let b = sample.shape[0]
        let x = config.centerInputSample ? 2 * sample - 1 : sample                          // [B, C, H, W]

        let t = timesteps.count == 1 ? [Float](repeating: Float(timesteps[0]), count: b) : timesteps.map { Float($0) }
        var emb = timeEmbedding(timeProjection(Tensor(shape: [b], scalars: t)), condition: timestepCond)  // [B, T]
        if let classEmbedding {
            guard let classLabels else {
                throw ModelInputError("UNet2DConditionModel", "class_labels should be provided when the config has a class embedding")
            }
            let classEmb = try classEmbedding(classLabels, batch: b)                         // [B, T]
            if config.classEmbeddingsConcat { emb = concat([emb, classEmb], axis: 1) } else { emb += classEmb }
        }
        if let additionEmbedding { emb += try additionEmbedding(addedConditions, batch: b) }
        if let timeEmbedActivation { emb = timeEmbedActivation(emb) }                        // [B, T or 2T]
        let context = encoderHiddenStates.map { states in encoderHidProj.map { $0(states) } ?? states }  // [B, L, D]

        var h = convIn(x)                                                                   // [B, C0, H, W]
        var skips = [h]
        for block in downBlocks { h = block(h, temb: emb, context: context, skips: &skips) }
        if let midBlock { h = midBlock(h, temb: emb, context: context) }                     // [B, Cn, H/f, W/f]

        let factor = 1 << (upBlocks.count - 1)                                              // 2 ** num_upsamplers
        let forwardUpsampleSize = sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0
        for (i, block) in upBlocks.enumerated() {
            var size: [Int]? = nil
            if i < upBlocks.count - 1, forwardUpsampleSize {
                let next = skips[skips.count - block.skipCount - 1]                       // the skip after this block's
                size = [next.shape[2], next.shape[3]]
            }
            h = block(h, temb: emb, context: context, skips: &skips, upsampleSize: size)
        }
        return convOut(convNormOut(h, then: convActivation))                                // [B, out, H, W]
    }

    /// Throws a `ModelInputError` naming what is wrong with the sample, timesteps or context.
    private func checkInputs(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor?, timestepCond: Tensor?) throws {
        func fail(_ reason: String) -> ModelInputError { ModelInputError("UNet2DConditionModel", reason) }
        guard sample.rank == 4, sample.shape[1] == config.inChannels, sample.shape.allSatisfy({ $0 > 0 }) else {
            throw fail("sample has shape \(sample.shape), expected [B, \(config.inChannels), H, W] with B, H, W ≥ 1")
        }
        let b = sample.shape[0]
        guard timesteps.count == 1 || timesteps.count == b else {
            throw fail("\(timesteps.count) timesteps for a batch of \(b); give one or one per sample")
        }
        guard timesteps.allSatisfy(\.isFinite) else { throw fail("timesteps \(timesteps) are not all finite") }
        if let width = config.timeCondProjDim {
            guard let timestepCond, timestepCond.shape == [b, width] else {
                throw fail("timestep_cond has shape \(timestepCond?.shape.description ?? "nil"), expected [\(b), \(width)] (time_cond_proj_dim)")
            }
        }
        guard let states = encoderHiddenStates else {
            if let block = contexts.first(where: { $0.width != $0.channels }) {
                throw fail("encoder_hidden_states is required: \(block.key) attends to a context of width \(block.width)")
            }
            return
        }
        let width = encoderHidProj?.inFeatures
        guard states.rank == 3, states.shape[0] == b, states.shape[1] > 0 else {
            throw fail("encoder_hidden_states has shape \(states.shape), expected [\(b), L, D]")
        }
        if let width, states.shape[2] != width {
            throw fail("encoder_hidden_states has width \(states.shape[2]), expected encoder_hid_dim \(width)")
        }
        if width == nil, let block = contexts.first(where: { $0.width != states.shape[2] }) {
            throw fail("encoder_hidden_states has width \(states.shape[2]), but \(block.key) expects cross_attention_dim \(block.width)")
        }
    }
}
