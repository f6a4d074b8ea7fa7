import Tensors

/// diffusers `DiagonalGaussianDistribution` (`diffusers/models/autoencoders/vae.py`): the
/// posterior `AutoencoderKL.encode` returns, a Gaussian per latent element whose mean and
/// log-variance are the two halves of the encoder's moments along the channel axis.
public struct DiagonalGaussianDistribution: Sendable {
    /// The moments the encoder produced (after `quant_conv`), [N, 2·C, h, w].
    public let parameters: Tensor
    /// The first half of `parameters` along dim 1, [N, C, h, w].
    public let mean: Tensor
    /// The second half, clamped to [-30, 20] as diffusers does, [N, C, h, w].
    public let logvar: Tensor

    /// Splits `parameters` [N, 2·C, h, w] into mean and clamped log-variance.
    public init(parameters: Tensor) {
        precondition(parameters.rank >= 2 && parameters.shape[1] % 2 == 0,
                     "DiagonalGaussianDistribution: parameters \(parameters.shape) need an even dim 1")
        self.parameters = parameters
        let halves = parameters.chunked(2, axis: 1)
        mean = halves[0]
        logvar = halves[1].clamp(min: -30, max: 20)
    }

    /// `std = exp(0.5 · logvar)`, [N, C, h, w].
    public var std: Tensor { (logvar * 0.5).exp() }

    /// `var = exp(logvar)`, [N, C, h, w].
    public var variance: Tensor { logvar.exp() }

    /// `mode()`: the mean (what diffusers' `retrieve_latents(..., sample_mode="argmax")` takes).
    public func mode() -> Tensor { mean }

    /// `sample(generator)`: `mean + std · noise`, with `noise` standard normal of `mean`'s shape
    /// (diffusers draws it with `randn_tensor(mean.shape, generator)`).
    public func sample(noise: Tensor) -> Tensor {
        precondition(noise.shape == mean.shape, "DiagonalGaussianDistribution.sample: noise \(noise.shape) ≠ mean \(mean.shape)")
        var x = std * noise
        x += mean
        return x
    }

    /// `sample(generator)` with the noise drawn by `draw(shape)` (e.g. `{ source.randn($0) }`
    /// with a DiffusionCore `NoiseSource`).
    public func sample(using draw: ([Int]) throws -> Tensor) rethrows -> Tensor {
        sample(noise: try draw(mean.shape))
    }
}
