import Foundation
import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_motion_model.py (diffusers 0.42), UNetMotionModel `__init__`
// and `forward`: the video denoiser of AnimateDiff (`AnimateDiffPipeline`).

/// diffusers' `UNetMotionModel` (`diffusers/models/unets/unet_motion_model.py`), the noise-prediction
/// network of AnimateDiff: a Stable Diffusion UNet run on every frame as an image, with a motion module
/// (`AnimateDiffTransformer3D`: attention across the frames of each pixel, with sinusoidal frame
/// positions) after each ResNet/attention pair and in the mid block.
///
/// Built from a `UNetMotionModelConfig` and a weight scope whose keys are exactly diffusers'
/// `state_dict` keys (`conv_in.weight`, `down_blocks.0.motion_modules.0.proj_in.weight`,
/// `…transformer_blocks.0.pos_embed.pe`, …). Activations are frame-major `[B·F, C, H, W]` from
/// `conv_in` to `conv_out`, as in diffusers.
///
/// Covered: `CrossAttnDownBlockMotion`, `DownBlockMotion`, `UNetMidBlockCrossAttnMotion` (or, with
/// `use_motion_mid_block` false, the plain `UNetMidBlock2DCrossAttn`), `CrossAttnUpBlockMotion`,
/// `UpBlockMotion`; per-block spatial and motion heads, spatial and temporal transformer layers (one
/// number for every block), linear or convolutional projections, `time_cond_proj_dim`, the upsample
/// sizes forwarded for inputs that are not a multiple of the overall downsampling factor. Not covered:
/// attention masks, IP-Adapter image embeddings, SDXL's `text_time` embedding and per-block layer
/// lists, ControlNet residuals, FreeU, asymmetric (`reverse_…`) layouts.
public struct UNetMotionModel: Sendable {
    /// The config the model was built from.
    public let config: UNetMotionModelConfig
    let timeProjection: Timesteps
    let timeEmbedding: TimestepEmbedding
    let convIn: Conv2d
    let downBlocks: [UNetMotionDownBlock]
    let midBlock: UNetMidBlockCrossAttnMotion
    let upBlocks: [UNetMotionUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    /// Builds the model from `w`, the scope of the UNet checkpoint. Validates the config first;
    /// throws naming the full key for a missing or misshapen weight. Call `WeightStore.finish()`
    /// afterwards to reject weights the model did not read.
    public init(config: UNetMotionModelConfig, weights w: WeightScope) throws {
        try config.validate()
        self.config = config
        let channels = config.blockOutChannels, n = channels.count
        let timeEmbedDim = channels[0] * 4
        let heads = config.headsPerBlock, motionHeads = config.motionHeadsPerBlock
        func blockLevel(_ i: Int, crossAttention: Bool) -> UNetMotionLevel {
            UNetMotionLevel(heads: heads[i], motionHeads: motionHeads[i], transformerLayers: config.transformerLayersPerBlock,
                            temporalLayers: config.temporalTransformerLayersPerBlock, crossAttention: crossAttention)
        }

        // `time_proj = Timesteps(block_out_channels[0], True, 0)`, `time_embedding`.
        timeProjection = Timesteps(numChannels: channels[0], flipSinToCos: true, downscaleFreqShift: 0)
        timeEmbedding = try TimestepEmbedding(w["time_embedding"], inChannels: channels[0], timeEmbedDim: timeEmbedDim,
                                              activation: try Activation(diffusersName: config.actFn),
                                              condProjDim: config.timeCondProjDim)
        convIn = try Conv2d(w["conv_in"], in: config.inChannels, out: channels[0], kernel: 3, padding: 1)
        let settings = try UNetMotionBlockSettings(config, tembChannels: timeEmbedDim)

        var downBlocks: [UNetMotionDownBlock] = []
        var output = channels[0]
        for i in 0..<n {
            let input = output
            output = channels[i]
            downBlocks.append(try UNetMotionDownBlock(
                w["down_blocks"][i], in: input, out: output, layers: config.layersPerBlock,
                level: blockLevel(i, crossAttention: config.downBlockTypes[i] == "CrossAttnDownBlockMotion"),
                addDownsample: i < n - 1, settings: settings))
        }
        self.downBlocks = downBlocks

        let mid = UNetMotionLevel(heads: heads[n - 1], motionHeads: motionHeads[n - 1],
                                  transformerLayers: config.midTransformerLayers,
                                  temporalLayers: config.temporalTransformerLayersPerMidBlock, crossAttention: true)
        midBlock = try UNetMidBlockCrossAttnMotion(w["mid_block"], channels: channels[n - 1], layers: config.midBlockLayers,
                                                   level: mid, motion: config.useMotionMidBlock,
                                                   outputScaleFactor: Float(config.midBlockScaleFactor), settings: settings)

        var upBlocks: [UNetMotionUpBlock] = []
        output = channels[n - 1]
        for i in 0..<n {
            let level = n - 1 - i                                   // reversed(block_out_channels)[i]
            let previous = output
            output = channels[level]
            let input = channels[max(level - 1, 0)]                 // reversed[min(i + 1, n − 1)]
            upBlocks.append(try UNetMotionUpBlock(
                w["up_blocks"][i], in: input, out: output, previous: previous, layers: config.layersPerBlock + 1,
                level: blockLevel(level, crossAttention: config.upBlockTypes[i] == "CrossAttnUpBlockMotion"),
                addUpsample: i < n - 1, settings: settings))
        }
        self.upBlocks = upBlocks

        convNormOut = try GroupNorm(w["conv_norm_out"], groups: config.normNumGroups, channels: channels[0],
                                    eps: Float(config.normEps))
        convOut = try Conv2d(w["conv_out"], in: channels[0], out: config.outChannels, kernel: 3, padding: 1)
    }

    /// Loads a `unet/` folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant and how half-precision weights are held). Strict: a missing, misshapen or unused
    /// weight is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try UNetMotionModelConfig.load(
            contentsOf: folder.appendingPathComponent(UNetMotionModelConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish()
    }

    /// `UNetMotionModel.forward(sample, timestep, encoder_hidden_states, timestep_cond).sample` with one
    /// timestep for the whole batch.
    public func callAsFunction(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor,
                               timestepCond: Tensor? = nil) throws -> Tensor {
        try self(sample, timesteps: [timestep], encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond)
    }

    /// `UNetMotionModel.forward(...).sample`.
    ///
    /// - Parameters:
    ///   - sample: the noisy latents `[B, in_channels, F, H, W]`, `1 ≤ F ≤ motion_max_seq_length`.
    ///   - timesteps: one timestep for the batch or one per video; fractional values are allowed
    ///     (taken as Float32, as diffusers does).
    ///   - encoderHiddenStates: the context, `[B, L, cross_attention_dim]` (repeated for every frame
    ///     here) or already per frame, `[B·F, L, cross_attention_dim]`, as `AnimateDiffPipeline` passes it.
    ///   - timestepCond: `[B, time_cond_proj_dim]`, required exactly when the config has it.
    /// - Returns: the prediction `[B, out_channels, F, H, W]`.
    /// - Throws: `ModelInputError` for inputs of the wrong shape.
    public func callAsFunction(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor,
                               timestepCond: Tensor? = nil) throws -> Tensor {
        let inputs = VideoUNetInputs(model: "UNetMotionModel", inChannels: config.inChannels,
                                     crossAttentionDim: config.crossAttentionDim, timeCondProjDim: config.timeCondProjDim,
                                     acceptsContextPerFrame: true, maxFrames: config.motionMaxSeqLength)
        try inputs.check(sample, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond)
        let frames = sample.shape[2]
        let (frameEmb, context) = VideoUNetInputs.perFrame(                                 // [B·F, T], [B·F, L, D]
            sample, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond,
            projection: timeProjection, embedding: timeEmbedding)

        var h = convIn(sample.channelFirstToFrames())                                      // [B·F, C0, H, W]
        var skips = [h]
        for block in downBlocks { h = block(h, temb: frameEmb, context: context, frames: frames, skips: &skips) }
        h = midBlock(h, temb: frameEmb, context: context, frames: frames)                   // [B·F, Cn, H/f, W/f]

        let factor = 1 << (upBlocks.count - 1)                                             // 2 ** num_upsamplers
        let forwardUpsampleSize = sample.shape[3] % factor != 0 || sample.shape[4] % factor != 0
        for (i, block) in upBlocks.enumerated() {
            var size: [Int]? = nil
            if i < upBlocks.count - 1, forwardUpsampleSize {
                let next = skips[skips.count - block.skipCount - 1]                      // the skip after this block's
                size = [next.shape[2], next.shape[3]]
            }
            h = block(h, temb: frameEmb, context: context, frames: frames, skips: &skips, upsampleSize: size)
        }
        h = convOut(convNormOut(h, applyingSiLU: true))                                    // [B·F, out, H, W]
        return h.framesToChannelFirst(frames: frames)                                      // [B, out, F, H, W]
    }
}
