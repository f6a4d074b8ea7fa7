import DiffusionCore
import Tensors

/// A noise source that draws video noise in the order diffusers' video pipelines draw it.
///
/// `TextToVideoSDPipeline.__call__` runs `scheduler.step` on latents reshaped from [B, C, F, h, w] to
/// [B·F, C, h, w], so an ancestral or SDE sampler's `randn_tensor(model_output.shape)` fills a
/// frame-major tensor; `VideoToVideoSDPipeline.prepare_latents` draws its `add_noise` noise in the same
/// layout. Only `prepare_latents`' x_T of text-to-video is drawn channel-major as [B, C, F, h, w].
/// `AnimateDiffPipeline` steps the scheduler on [B, C, F, h, w] itself (every draw channel-major), and
/// `AnimateDiffVideoToVideoPipeline` draws only its `add_noise` noise frame-major.
///
/// This source hands the first `channelMajorDraws` draws through unchanged; the next `frameMajorDraws`
/// draws of a 5-D shape [B, C, F, h, w] are drawn as [B, F, C, h, w] (the same numbers as
/// [B·F, C, h, w]) and permuted to [B, C, F, h, w]; later ones pass through again. Other shapes pass
/// through.
public struct FrameMajorNoise<Base: NoiseSource>: NoiseSource {
    /// The generator the numbers come from.
    public var base: Base
    /// Draws still to hand through unchanged.
    public var channelMajorDraws: Int
    /// 5-D draws still to reorder after those.
    public var frameMajorDraws: Int

    /// Wraps `base`; the first `channelMajorDraws` draws are not reordered (1 for text-to-video's x_T,
    /// 0 for video-to-video), then the next `frameMajorDraws` 5-D draws are (all of them by default;
    /// 1 for AnimateDiff's video-to-video).
    public init(_ base: Base, channelMajorDraws: Int, frameMajorDraws: Int = .max) {
        self.base = base
        self.channelMajorDraws = channelMajorDraws
        self.frameMajorDraws = frameMajorDraws
    }

    /// `shape`'s noise in diffusers' order (see the type's documentation).
    public mutating func randn(_ shape: [Int]) -> Tensor {
        if channelMajorDraws > 0 {
            channelMajorDraws -= 1
            return base.randn(shape)
        }
        guard shape.count == 5, frameMajorDraws > 0 else { return base.randn(shape) }
        frameMajorDraws -= 1
        let frameMajor = base.randn([shape[0], shape[2], shape[1], shape[3], shape[4]])   // [B, F, C, h, w]
        return frameMajor.permuted([0, 2, 1, 3, 4])                                       // [B, C, F, h, w]
    }
}
