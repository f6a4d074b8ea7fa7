import Foundation
import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_3d_condition.py (diffusers 0.42), UNet3DConditionModel
// `__init__` and `forward`: the video denoiser of ModelScope text-to-video (text-to-video-ms).

/// diffusers' `UNet3DConditionModel` (`diffusers/models/unets/unet_3d_condition.py`), the
/// noise-prediction network of ModelScope text-to-video (`damo-vilab/text-to-video-ms-1.7b`,
/// `TextToVideoSDPipeline`).
///
/// Built from a `UNet3DConditionModelConfig` and a weight scope whose keys are exactly diffusers'
/// `state_dict` keys (`conv_in.weight`, `transformer_in.proj_in.weight`,
/// `down_blocks.0.temp_convs.1.conv2.3.weight`, …).
///
/// The network is a Stable Diffusion UNet run on every frame as an image, with a temporal layer
/// after each spatial one: `TemporalConvLayer` after each ResNet and `TransformerTemporalModel`
/// (attention across frames) after each spatial transformer, plus `transformer_in` after `conv_in`.
/// As in diffusers, activations are frame-major `[B·F, C, H, W]` from `conv_in` to `conv_out`, so
/// the sample is permuted once on the way in and once on the way out; the temporal layers reach
/// their own layouts inside (see `TemporalConvLayer`, `TransformerTemporalModel`).
///
/// Covered: `CrossAttnDownBlock3D`, `DownBlock3D`, `UNetMidBlock3DCrossAttn`, `CrossAttnUpBlock3D`,
/// `UpBlock3D`; `attention_head_dim` (one integer: diffusers cannot build a list, since
/// `transformer_in` has `8 · attention_head_dim` channels), `cross_attention_dim`,
/// `layers_per_block`, `downsample_padding`, `mid_block_scale_factor`, `act_fn`,
/// `norm_num_groups`, `norm_eps`, `time_cond_proj_dim`; the upsample sizes forwarded for inputs
/// that are not a multiple of the overall downsampling factor. Not covered: attention masks,
/// ControlNet residuals, FreeU.
public struct UNet3DConditionModel: Sendable {
    /// The config the model was built from.
    public let config: UNet3DConditionModelConfig
    let timeProjection: Timesteps
    let timeEmbedding: TimestepEmbedding
    let convIn: Conv2d
    let transformerIn: TransformerTemporalModel
    let downBlocks: [UNet3DDownBlock]
    let midBlock: UNetMidBlock3DCrossAttn
    let upBlocks: [UNet3DUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    /// Builds the model from `w`, the scope of the UNet checkpoint. Validates the config first;
    /// throws naming the full key for a missing or misshapen weight. Call `WeightStore.finish()`
    /// afterwards to reject weights the model did not read.
    public init(config: UNet3DConditionModelConfig, weights w: WeightScope) throws {
        try config.validate()
        self.config = config
        let channels = config.blockOutChannels, n = channels.count
        let timeEmbedDim = channels[0] * 4

        // `time_proj = Timesteps(block_out_channels[0], True, 0)`, `time_embedding`.
        timeProjection = Timesteps(numChannels: channels[0], flipSinToCos: true, downscaleFreqShift: 0)
        timeEmbedding = try TimestepEmbedding(w["time_embedding"], inChannels: channels[0], timeEmbedDim: timeEmbedDim,
                                              activation: try Activation(diffusersName: config.actFn),
                                              condProjDim: config.timeCondProjDim)
        convIn = try Conv2d(w["conv_in"], in: config.inChannels, out: channels[0], kernel: 3, padding: 1)
        transformerIn = try TransformerTemporalModel(w["transformer_in"], heads: 8, headDim: config.attentionHeadDim,
                                                     inChannels: channels[0], layers: 1, normNumGroups: config.normNumGroups)
        let settings = try UNet3DBlockSettings(config, tembChannels: timeEmbedDim)

        var downBlocks: [UNet3DDownBlock] = []
        var output = channels[0]
        for i in 0..<n {
            let input = output
            output = channels[i]
            downBlocks.append(try UNet3DDownBlock(
                w["down_blocks"][i], in: input, out: output, layers: config.layersPerBlock,
                crossAttention: config.downBlockTypes[i] == "CrossAttnDownBlock3D", addDownsample: i < n - 1,
                settings: settings))
        }
        self.downBlocks = downBlocks

        midBlock = try UNetMidBlock3DCrossAttn(w["mid_block"], channels: channels[n - 1],
                                               outputScaleFactor: Float(config.midBlockScaleFactor), settings: settings)

        var upBlocks: [UNet3DUpBlock] = []
        output = channels[n - 1]
        for i in 0..<n {
            let level = n - 1 - i                                   // reversed(block_out_channels)[i]
            let previous = output
            output = channels[level]
            let input = channels[max(level - 1, 0)]                 // reversed[min(i + 1, n − 1)]
            upBlocks.append(try UNet3DUpBlock(
                w["up_blocks"][i], in: input, out: output, previous: previous, layers: config.layersPerBlock + 1,
                crossAttention: config.upBlockTypes[i] == "CrossAttnUpBlock3D", addUpsample: i < n - 1,
                settings: settings))
        }
        self.upBlocks = upBlocks

        convNormOut = try GroupNorm(w["conv_norm_out"], groups: config.normNumGroups, channels: channels[0],
                                    eps: Float(config.normEps))
        convOut = try Conv2d(w["conv_out"], in: channels[0], out: config.outChannels, kernel: 3, padding: 1)
    }

    /// Loads a `unet/` folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant, e.g. `diffusion_pytorch_model.fp16.safetensors`, and how half-precision weights are
    /// held). Strict: a missing, misshapen or unused weight is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try UNet3DConditionModelConfig.load(
            contentsOf: folder.appendingPathComponent(UNet3DConditionModelConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish()
    }

    /// `UNet3DConditionModel.forward(sample, timestep, encoder_hidden_states, timestep_cond).sample`
    /// with one timestep for the whole batch.
    public func callAsFunction(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor,
                               timestepCond: Tensor? = nil) throws -> Tensor {
        try self(sample, timesteps: [timestep], encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond)
    }

    /// `UNet3DConditionModel.forward(...).sample`.
    ///
    /// - Parameters:
    ///   - sample: the noisy latents `[B, in_channels, F, H, W]`; the number of frames `F` is taken
    ///     from it (1 is allowed).
    ///   - timesteps: one timestep for the batch or one per video (diffusers expands a scalar);
    ///     fractional values are allowed (taken as Float32, as diffusers does).
    ///   - encoderHiddenStates: the context `[B, L, cross_attention_dim]`.
    ///   - timestepCond: `[B, time_cond_proj_dim]`, required exactly when the config has
    ///     `time_cond_proj_dim`.
    /// - Returns: the prediction `[B, out_channels, F, H, W]`.
    /// - Throws: `ModelInputError` for inputs of the wrong shape.
    public func callAsFunction(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor,
                               timestepCond: Tensor? = nil) throws -> Tensor {
        let inputs = VideoUNetInputs(model: "UNet3DConditionModel", inChannels: config.inChannels,
                                     crossAttentionDim: config.crossAttentionDim, timeCondProjDim: config.timeCondProjDim,
                                     acceptsContextPerFrame: false, maxFrames: nil)
        try inputs.check(sample, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond)
        let frames = sample.shape[2]
        let (frameEmb, context) = VideoUNetInputs.perFrame(                                 // [B·F, T], [B·F, L, D]
            sample, timesteps: timesteps, encoderHiddenStates: encoderHiddenStates, timestepCond: timestepCond,
            projection: timeProjection, embedding: timeEmbedding)

        var h = convIn(sample.channelFirstToFrames())                                      // [B·F, C0, H, W]
        h = transformerIn(h, frames: frames)
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
