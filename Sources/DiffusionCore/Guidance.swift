import Foundation
import Tensors

/// Classifier-free guidance (Ho & Salimans 2022) with optional guidance rescale (Lin et al. 2023,
/// §3.4): a denoiser wrapping a model denoiser.
///
/// As diffusers' pipelines do, the network runs once on [unconditional; conditional] stacked along
/// the batch axis, guidance combines the raw network outputs (ε, v or flow velocity)
/// u + s·(c − u), `rescale_noise_cfg` rescales that output, and only then is x̂0 formed, so the
/// result equals diffusers' for every prediction type. With scale ≤ 1 there is no unconditional
/// pass (diffusers' `do_classifier_free_guidance = guidance_scale > 1`).
///
/// Reference: diffusers `StableDiffusionPipeline.__call__` (guidance block) and `rescale_noise_cfg`.
public struct ClassifierFreeGuidance: Denoiser {
    /// The model denoiser.
    public var base: ModelDenoiser
    /// s (diffusers' `guidance_scale`).
    public let scale: Double
    /// φ (diffusers' `guidance_rescale`), 0 for plain CFG.
    public let rescale: Double
    /// The unconditional (negative-prompt) conditioning, same batch size as the conditional one.
    public var unconditional: Conditioning

    /// Throws `DiffusionError.invalidGuidance` for a NaN or infinite scale or rescale.
    public init(_ base: ModelDenoiser, scale: Double, rescale: Double = 0, unconditional: Conditioning) throws {
        guard scale.isFinite else { throw DiffusionError.invalidGuidance(name: "guidance scale", value: scale) }
        guard rescale.isFinite else { throw DiffusionError.invalidGuidance(name: "guidance rescale", value: rescale) }
        self.base = base
        self.scale = scale
        self.rescale = rescale
        self.unconditional = unconditional
    }

    /// Whether the unconditional branch is evaluated at all.
    public var isGuided: Bool { scale > 1 }

    /// The guided network output for `x` (the `noise_pred` diffusers hands to `scheduler.step`).
    public func guidedOutput(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor {
        guard isGuided else { return try base.modelOutput(x, at: level, conditioning: conditioning) }
        let batch = x.shape[0]
        let stacked = concatenatedBatch([x, x])                                       // [2B, C, …]
        let both = try Conditioning.batched([unconditional, conditioning])
        let output = try base.modelOutput(stacked, at: level, conditioning: both)     // [2B, C, …]
        let uncond = batchRows(output, 0..<batch), cond = batchRows(output, batch..<(2 * batch))
        let guided = combine(1, uncond, scale, combine(1, cond, -1, uncond))          // u + s·(c − u)
        return rescale > 0 ? rescaledGuidance(guided, conditional: cond, rescale: rescale) : guided
    }

    public func denoised(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor {
        base.denoised(fromOutput: try guidedOutput(x, at: level, conditioning: conditioning), x: x, sigma: level.sigma)
    }

    public func noised(_ x0: Tensor, noise: Tensor, sigma: Double) -> Tensor { base.noised(x0, noise: noise, sigma: sigma) }
}

/// diffusers' `rescale_noise_cfg`: per batch row, scale the guided output to the standard deviation
/// of the conditional one (unbiased std over all non-batch axes), then mix with factor φ.
public func rescaledGuidance(_ guided: Tensor, conditional: Tensor, rescale phi: Double) -> Tensor {
    let batch = guided.shape[0]
    let per = guided.count / max(batch, 1)
    var out = guided
    for b in 0..<batch {
        let rows = (b * per)..<((b + 1) * per)
        let ratio = standardDeviation(conditional.scalars[rows]) / standardDeviation(guided.scalars[rows])
        let factor = Float(phi * ratio + (1 - phi))
        for i in rows { out.scalars[i] = guided.scalars[i] * factor }
    }
    return out
}

/// Unbiased (n − 1) standard deviation, as `torch.std`.
func standardDeviation(_ values: ArraySlice<Float>) -> Double {
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    let squares = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
    return (squares / max(n - 1, 1)).squareRoot()
}
