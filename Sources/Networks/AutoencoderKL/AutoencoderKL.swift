import Foundation
import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/autoencoders/autoencoder_kl.py (0.42): AutoencoderKL.encode /
// decode; the latent scaling of the pipelines (StableDiffusionPipeline, StableDiffusionImg2ImgPipeline,
// StableDiffusion3Pipeline for shift_factor, StableDiffusionXLPipeline for latents_mean/std).

/// diffusers `AutoencoderKL` (`diffusers/models/autoencoders/autoencoder_kl.py`), the VAE of
/// Stable Diffusion and AudioLDM: `encoder` + `quant_conv` → `DiagonalGaussianDistribution`;
/// `post_quant_conv` + `decoder` → image. `quant_conv` / `post_quant_conv` are read when the
/// config's `use_quant_conv` / `use_post_quant_conv` say so. Tiling is not implemented; slicing
/// is (`batchSize`).
///
/// `encode` and `decode` work on unscaled latents, as diffusers' methods do; `encodeLatents` and
/// `decodeLatents` apply `scaling_factor` (and `shift_factor` or `latents_mean`/`latents_std`)
/// as the pipelines do.
public struct AutoencoderKL: Sendable {
    /// The config the model was built from.
    public let config: AutoencoderKLConfig
    let encoder: VAEEncoder
    let decoder: VAEDecoder
    let quantConv: Conv2d?
    let postQuantConv: Conv2d?

    /// Builds the model from `scope`, the scope of the VAE checkpoint (`encoder.*`, `decoder.*`,
    /// `quant_conv.*`, `post_quant_conv.*` under it). Throws naming the full key for a missing or
    /// misshapen weight.
    public init(config: AutoencoderKLConfig, weights scope: WeightScope) throws {
        try config.validate()
        self.config = config
        encoder = try VAEEncoder(scope["encoder"], config: config)
        decoder = try VAEDecoder(scope["decoder"], config: config)
        let moments = 2 * config.latentChannels, latent = config.latentChannels
        quantConv = config.useQuantConv ? try Conv2d(scope["quant_conv"], in: moments, out: moments, kernel: 1) : nil
        postQuantConv = config.usePostQuantConv
            ? try Conv2d(scope["post_quant_conv"], in: latent, out: latent, kernel: 1) : nil
    }

    /// Loads a `vae/` folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant, e.g. `diffusion_pytorch_model.fp16.safetensors`, and how half-precision weights are
    /// held). Strict: a missing, misshapen or unused weight is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try AutoencoderKLConfig.load(contentsOf: folder.appendingPathComponent(AutoencoderKLConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish()
    }

    /// `AutoencoderKL.encode(x).latent_dist`: images [N, in_channels, H, W] (in [-1, 1] for
    /// Stable Diffusion), H and W multiples of the downsampling factor → the posterior over
    /// latents [N, latent_channels, H/f, W/f]. With `batchSize`, runs that many images at a time
    /// (diffusers' `use_slicing` with slices of 1).
    public func encode(_ images: Tensor, batchSize: Int? = nil) throws -> DiagonalGaussianDistribution {
        try check(images, "images", channels: config.inChannels, multipleOf: config.downsamplingFactor)
        let moments = try sliced(images, batchSize: batchSize) { x in
            let h = encoder(x)                                             // [n, 2·latent, h, w]
            return quantConv.map { $0(h) } ?? h
        }
        return DiagonalGaussianDistribution(parameters: moments)
    }

    /// `AutoencoderKL.decode(z).sample`: unscaled latents [N, latent_channels, h, w] → images
    /// [N, out_channels, h·f, w·f]. With `batchSize`, decodes that many latents at a time so the
    /// decoder's activations stay bounded (e.g. video frames one by one).
    public func decode(_ latents: Tensor, batchSize: Int? = nil) throws -> Tensor {
        try check(latents, "latents", channels: config.latentChannels, multipleOf: 1)
        return try sliced(latents, batchSize: batchSize) { z in
            decoder(postQuantConv.map { $0(z) } ?? z)                     // [n, out, h·f, w·f]
        }
    }

    /// Pipeline-side encoding (img2img's `prepare_latents`): the posterior's sample (noise drawn
    /// by `draw`, diffusers' `retrieve_latents(..., generator)`) or its mode when `draw` is nil,
    /// then `scaleLatents`. Returns [N, latent_channels, H/f, W/f].
    public func encodeLatents(_ images: Tensor, batchSize: Int? = nil,
                              sampling draw: (([Int]) throws -> Tensor)? = nil) throws -> Tensor {
        let posterior = try encode(images, batchSize: batchSize)
        let z = try draw.map { try posterior.sample(using: $0) } ?? posterior.mode()
        return scaleLatents(z)
    }

    /// Pipeline-side decoding: `unscaleLatents`, then `decode`. Returns images
    /// [N, out_channels, h·f, w·f] (Stable Diffusion: in about [-1, 1]; the pipeline maps
    /// `x / 2 + 0.5` and clamps).
    public func decodeLatents(_ latents: Tensor, batchSize: Int? = nil) throws -> Tensor {
        try decode(unscaleLatents(latents), batchSize: batchSize)
    }

    /// VAE latents → the diffusion model's latents: `(z − latents_mean) · scaling_factor / latents_std`
    /// when the config has both (SDXL-style), else `(z − shift_factor) · scaling_factor`
    /// (shift 0 when absent; SD3/FLUX set it).
    public func scaleLatents(_ z: Tensor) -> Tensor {
        let scale = Float(config.scalingFactor)
        if let (mean, std) = channelStatistics(rank: z.rank) { return (z - mean) * scale / std }
        return (z - Float(config.shiftFactor ?? 0)) * scale
    }

    /// The inverse of `scaleLatents`: `z · latents_std / scaling_factor + latents_mean`, else
    /// `z / scaling_factor + shift_factor`.
    public func unscaleLatents(_ z: Tensor) -> Tensor {
        let scale = Float(config.scalingFactor)
        if let (mean, std) = channelStatistics(rank: z.rank) { return z * std / scale + mean }
        return z / scale + Float(config.shiftFactor ?? 0)
    }

    /// `latents_mean` and `latents_std` as [1, C, 1, …] tensors broadcasting over a rank-`rank`
    /// latent, when the config has both.
    private func channelStatistics(rank: Int) -> (Tensor, Tensor)? {
        guard let mean = config.latentsMean, let std = config.latentsStd else { return nil }
        let shape = [1, mean.count] + Array(repeating: 1, count: max(rank - 2, 0))
        return (Tensor(shape: shape, scalars: mean.map(Float.init)), Tensor(shape: shape, scalars: std.map(Float.init)))
    }

    /// Throws unless `x` is [N, channels, H, W] with N, H, W ≥ 1 and H, W multiples of `factor`.
    private func check(_ x: Tensor, _ name: String, channels: Int, multipleOf factor: Int) throws {
        guard x.rank == 4, x.shape[0] >= 1, x.shape[1] == channels, x.shape[2] >= 1, x.shape[3] >= 1 else {
            throw ModelInputError("AutoencoderKL", "\(name) has shape \(x.shape), expected [N ≥ 1, \(channels), H ≥ 1, W ≥ 1]")
        }
        guard x.shape[2] % factor == 0, x.shape[3] % factor == 0 else {
            throw ModelInputError("AutoencoderKL", "\(name) of \(x.shape[2])×\(x.shape[3]) is not a multiple of the downsampling factor \(factor)")
        }
    }

    /// `body` over slices of at most `batchSize` along dim 0, concatenated; the whole batch at
    /// once when `batchSize` is nil or covers it.
    private func sliced(_ x: Tensor, batchSize: Int?, _ body: (Tensor) -> Tensor) throws -> Tensor {
        let n = x.shape[0]
        guard let batchSize, batchSize < n else { return body(x) }
        guard batchSize >= 1 else { throw ModelInputError("AutoencoderKL", "batch size \(batchSize) must be ≥ 1") }
        var parts: [Tensor] = []
        var start = 0
        while start < n {
            let length = min(batchSize, n - start)
            parts.append(body(x.narrowed(axis: 0, start: start, length: length)))
            start += length
        }
        return concat(parts, axis: 0)
    }
}
