import Foundation
import Tensors

/// Latent Consistency Model multistep sampling (Luo et al. 2023, Algorithm 1): the consistency
/// function gives x̂0 directly; each step re-noises it to the next level with fresh noise.
/// In VE form: x ← x̂0 + σ_next·z (σ_next > 0), x̂0 at the last step.
///
/// Reference: diffusers `LCMScheduler`, k-diffusion `sample_lcm`. Aliases: ComfyUI `lcm`,
/// diffusers `LCMScheduler`. Use with `LCMBoundaryDenoiser` (the consistency boundary condition
/// c_skip·x + c_out·x̂0 that diffusers applies inside `LCMScheduler.step`) and
/// `DiscreteSchedule(formula: .lcm())`. Noise: one `randn` per step except the last.
/// Limitations: no clip_sample / thresholding.
public struct LCM: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaNext = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            if i == total - 1 || sigmaNext == 0 {
                x = denoised
            } else {
                let z = noise.randn(x.shape)                                 // [B, C, …]
                x = combine(1, denoised, sigmaNext, z)
            }
        }
        return x
    }
}

/// The consistency-model boundary condition of LCM (Song et al. 2023, eq. 7 with σ_data = 0.5):
/// D = c_skip(t)·x_vp + c_out(t)·x̂0, c_skip = σ_d²/((s·t)² + σ_d²), c_out = s·t/√((s·t)² + σ_d²),
/// s = `timestepScaling` (10), t the integer timestep.
///
/// Reference: diffusers `LCMScheduler.get_scalings_for_boundary_condition_discrete` and `step`.
public struct LCMBoundaryDenoiser<Base: Denoiser>: Denoiser {
    /// The wrapped denoiser (a model, possibly with guidance).
    public var base: Base
    /// The training table, for the timestep when the schedule does not give one.
    public var training: TrainingNoiseSchedule
    /// diffusers' `timestep_scaling` (10).
    public var timestepScaling: Double

    /// Wraps `base` with the boundary condition of diffusers' `LCMScheduler` (`timestep_scaling` 10).
    public init(_ base: Base, training: TrainingNoiseSchedule, timestepScaling: Double = 10) {
        self.base = base
        self.training = training
        self.timestepScaling = timestepScaling
    }

    public func denoised(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor {
        let x0 = try base.denoised(x, at: level, conditioning: conditioning)
        let t = (level.timestep ?? training.timestep(forSigma: level.sigma)) * timestepScaling
        let sigmaData2 = 0.25
        let cSkip = sigmaData2 / (t * t + sigmaData2)
        let cOut = t / (t * t + sigmaData2).squareRoot()
        // c_skip multiplies the VP-form sample x/√(1+σ²).
        return combine(cSkip / (1 + level.sigma * level.sigma).squareRoot(), x, cOut, x0)
    }

    public func noised(_ x0: Tensor, noise: Tensor, sigma: Double) -> Tensor { base.noised(x0, noise: noise, sigma: sigma) }
}
