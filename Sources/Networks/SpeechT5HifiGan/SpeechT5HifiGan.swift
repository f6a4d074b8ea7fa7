import Foundation
import SafeTensors
import Tensors

// Reference: transformers/models/speecht5/modeling_speecht5.py (5.23): SpeechT5HifiGan, the
// vocoder diffusers' AudioLDMPipeline.mel_spectrogram_to_waveform calls.

/// transformers `SpeechT5HifiGan` (`transformers/models/speecht5/modeling_speecht5.py`): the
/// HiFi-GAN generator that turns a log-mel spectrogram into a waveform, AudioLDM's vocoder.
///
/// `conv_pre` (kernel 7), then per `upsample_rates` entry: leaky ReLU, a `ConvTranspose1d`
/// upsampler halving the channels, and the mean of `len(resblock_kernel_sizes)` residual blocks;
/// then leaky ReLU (slope 0.01), `conv_post` (kernel 7, one channel) and tanh. With
/// `normalize_before` the spectrogram is first standardised with the `mean` and `scale` buffers.
///
/// Weights are the keys `save_pretrained` writes (`conv_pre`, `upsampler.{i}`,
/// `resblocks.{j}.convs1.{k}` / `convs2.{k}`, `conv_post`, `mean`, `scale`), with plain `weight`s
/// or weight-norm factors (see `hifiGanWeight`).
public struct SpeechT5HifiGan: Sendable {
    /// The config the model was built from.
    public let config: SpeechT5HifiGanConfig
    let convPre: HifiGanConv1d
    let upsamplers: [HifiGanUpsampler]
    let resblocks: [HifiGanResidualBlock]      // len(resblock_kernel_sizes) per upsampler
    let convPost: HifiGanConv1d
    let mean: Tensor?                          // [mels], when normalize_before
    let scale: Tensor?                         // [mels], when normalize_before

    /// Builds the vocoder from `scope` (the checkpoint root, or the prefix it is stored under).
    /// The `mean` and `scale` buffers are required with `normalize_before` and read (so they are
    /// not reported unused) when present without it. Throws naming the full key for a missing or
    /// misshapen weight.
    public init(config: SpeechT5HifiGanConfig, weights scope: WeightScope) throws {
        try config.validate()
        self.config = config
        let slope = Float(config.leakyReluSlope)
        var channels = config.upsampleInitialChannel
        convPre = try HifiGanConv1d(scope["conv_pre"], input: config.modelInDim, output: channels, kernel: 7, padding: 3)
        var upsamplers: [HifiGanUpsampler] = []
        var resblocks: [HifiGanResidualBlock] = []
        for (i, (rate, kernel)) in zip(config.upsampleRates, config.upsampleKernelSizes).enumerated() {
            let next = config.channels(afterUpsampler: i)
            upsamplers.append(try HifiGanUpsampler(scope["upsampler"][i], input: channels, output: next,
                                                   kernel: kernel, rate: rate))
            for (size, dilations) in zip(config.resblockKernelSizes, config.resblockDilationSizes) {
                resblocks.append(try HifiGanResidualBlock(scope["resblocks"][resblocks.count], channels: next,
                                                          kernel: size, dilations: dilations, slope: slope))
            }
            channels = next
        }
        self.upsamplers = upsamplers
        self.resblocks = resblocks
        convPost = try HifiGanConv1d(scope["conv_post"], input: channels, output: 1, kernel: 7, padding: 3)
        let mels = [config.modelInDim]
        if config.normalizeBefore {
            mean = try scope.tensor("mean", shape: mels)
            scale = try scope.tensor("scale", shape: mels)
        } else {
            _ = try scope.optionalTensor("mean", shape: mels)
            _ = try scope.optionalTensor("scale", shape: mels)
            mean = nil
            scale = nil
        }
    }

    /// Loads a `vocoder/` folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant, e.g. `model.fp16.safetensors`, and how half-precision weights are held). Strict: a
    /// missing, misshapen or unused weight is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try SpeechT5HifiGanConfig.load(contentsOf: folder.appendingPathComponent(SpeechT5HifiGanConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish()
    }

    /// Waveform samples the vocoder makes from `frames` spectrogram frames:
    /// `frames · hop_length` when every upsampler has an even `kernel − rate` (the usual case),
    /// in general the transposed-convolution lengths applied in turn.
    public func sampleCount(frames: Int) -> Int {
        upsamplers.reduce(frames) { length, up in
            (length - 1) * up.stride - 2 * up.padding + up.weight.shape[2]
        }
    }

    /// The forward pass, `SpeechT5HifiGan.forward(spectrogram)`.
    ///
    /// - Parameter spectrogram: log-mel frames, batched `[B, frames, model_in_dim]` or unbatched
    ///   `[frames, model_in_dim]`, frames ≥ 1.
    /// - Returns: the waveform in [−1, 1], `[B, samples]` for a batched input and `[samples]`
    ///   for an unbatched one (see `sampleCount(frames:)`).
    public func callAsFunction(_ spectrogram: Tensor) throws -> Tensor {
        let mels = config.modelInDim
        guard spectrogram.rank == 2 || spectrogram.rank == 3, spectrogram.shape.last == mels,
              spectrogram.shape[spectrogram.rank - 2] >= 1, spectrogram.shape.first! >= 1 else {
            throw ModelInputError("SpeechT5HifiGan", "spectrogram has shape \(spectrogram.shape); expected [batch, frames, \(mels)] or [frames, \(mels)] (model_in_dim \(mels)) with at least one frame")
        }
        let batched = spectrogram.rank == 3
        var x = batched ? spectrogram : spectrogram.unsqueezed(axis: 0)   // [B, frames, mels]
        if let mean, let scale { x = (x - mean) / scale }
        var h = convPre(x.transposed(1, 2))                               // [B, C, frames]
        let kernels = config.resblockKernelSizes.count
        for (i, upsampler) in upsamplers.enumerated() {
            h = upsampler(h.leakyRelu(negativeSlope: Float(config.leakyReluSlope)))  // [B, C/2, L·rate]
            var sum = resblocks[i * kernels](h)
            for j in 1..<kernels { sum += resblocks[i * kernels + j](h) }
            h = sum / Float(kernels)
        }
        let wave = convPost(h.leakyRelu(negativeSlope: 0.01)).tanh()      // [B, 1, samples]
        let samples = wave.shape[2]
        return batched ? wave.reshaped([wave.shape[0], samples]) : wave.reshaped([samples])
    }
}
