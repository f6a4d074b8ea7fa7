import Tensors

/// Denoising Diffusion Implicit Models (Song et al. 2021, eq. 12): from x̂0 and the implied ε,
/// jump to the next level; `eta` = 0 is deterministic, 1 is DDPM-like.
///
/// In VP form x_prev = √ᾱ_prev·x̂0 + √(1 − ᾱ_prev − s²)·ε̂ + s·z with
/// s = η·√((1 − ᾱ_prev)/(1 − ᾱ)·(1 − ᾱ/ᾱ_prev)); here in VE form (ᾱ = 1/(1+σ²)):
/// x_prev = x̂0 + √(σ_prev² − s²(1+σ_prev²))·ε̂ + s·√(1+σ_prev²)·z, ε̂ = (x − x̂0)/σ.
///
/// Reference: diffusers `DDIMScheduler` (its loop with `timestep_spacing="leading"`,
/// `set_alpha_to_one`), k-diffusion has no DDIM (ComfyUI `ddim` = Euler on these levels).
/// Aliases: diffusers `DDIMScheduler`, ComfyUI `ddim`, A1111 "DDIM".
/// Schedule: `DiscreteSchedule(formula: .ddim)`; `finalSigmaIsZero` is `set_alpha_to_one`.
/// Noise: when eta > 0, one `randn` per step including the last (diffusers' order).
/// Limitations: steps go to the next listed level; diffusers steps to t − T//steps, which is
/// the same for "leading" spacing and for "trailing" when steps divides T, but not for
/// "linspace". No clip_sample / thresholding / use_clipped_model_output.
public struct DDIM: Sampler {
    /// η: 0 for DDIM, 1 for the DDPM posterior variance.
    public var eta: Double

    /// DDIM with noise weight `eta` (diffusers' `step(eta=)`, default 0).
    public init(eta: Double = 0) { self.eta = eta }

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaPrev = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            let alphaBar = 1 / (1 + sigma * sigma), alphaBarPrev = 1 / (1 + sigmaPrev * sigmaPrev)
            let variance = (1 - alphaBarPrev) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrev)
            let std = eta * max(variance, 0).squareRoot()
            let scalePrev = (1 + sigmaPrev * sigmaPrev).squareRoot()        // √(1+σ_prev²) = 1/√ᾱ_prev
            let epsScale = max(sigmaPrev * sigmaPrev - std * std * (1 + sigmaPrev * sigmaPrev), 0).squareRoot()
            // x̂0 + epsScale·(x − x̂0)/σ
            x = combine(epsScale / sigma, x, 1 - epsScale / sigma, denoised)
            if eta > 0 {
                let z = noise.randn(x.shape)                                 // [B, C, …]
                x = combine(1, x, std * scalePrev, z)
            }
        }
        return x
    }
}

/// Ancestral sampling from the DDPM posterior q(x_{t−1} | x_t, x̂0) (Ho et al. 2020, eqs. 6–7,
/// "fixed_small" variance β̃_t).
///
/// In VE form the posterior mean is (σ_prev²/σ²)·x + (1 − σ_prev²/σ²)·x̂0 and the noise has
/// standard deviation √β̃_t·√(1+σ_prev²) (β̃ clamped at 1e-20 as diffusers does).
///
/// Reference: diffusers `DDPMScheduler` (`variance_type="fixed_small"`), k-diffusion `sample_ddpm`.
/// Aliases: diffusers `DDPMScheduler`, ComfyUI `ddpm`.
/// Schedule: `DiscreteSchedule(formula: .ddim)` (DDPM shares DDIM's timestep formula).
/// Noise: one `randn` per step with σ_prev > 0. diffusers skips the draw only at t = 0, so with
/// `steps_offset = 1` it draws one more tensor at the last step (scaled by ~1e-10).
/// Limitations: no learned variance, clip_sample or thresholding.
public struct DDPM: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaPrev = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            let alphaBar = 1 / (1 + sigma * sigma), alphaBarPrev = 1 / (1 + sigmaPrev * sigmaPrev)
            let betaT = 1 - alphaBar / alphaBarPrev                          // current_beta_t
            let ratio = (sigmaPrev * sigmaPrev) / (sigma * sigma)
            x = combine(ratio, x, 1 - ratio, denoised)
            if sigmaPrev > 0 {
                let variance = max((1 - alphaBarPrev) / (1 - alphaBar) * betaT, 1e-20)
                let z = noise.randn(x.shape)                                 // [B, C, …]
                x = combine(1, x, variance.squareRoot() * (1 + sigmaPrev * sigmaPrev).squareRoot(), z)
            }
        }
        return x
    }
}
