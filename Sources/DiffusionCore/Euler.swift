import Tensors

/// Euler's method on the probability-flow ODE dx/dσ = (x − x̂0)/σ (Karras et al. 2022, Algorithm 2
/// without churn).
///
/// Reference: diffusers `EulerDiscreteScheduler` (s_churn = 0), k-diffusion `sample_euler`.
/// Aliases: k-diffusion `sample_euler`, ComfyUI `euler`, A1111 "Euler", diffusers
/// `EulerDiscreteScheduler`. Karras σ: `DiscreteSchedule(ramp: .karras())` (ComfyUI `euler` + `karras`).
/// Limitations: no churn (s_churn, s_tmin, s_tmax, s_noise); draws no noise.
public struct Euler: Sampler {
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
            let d = derivative(x, denoised, sigma: sigma)
            x = combine(1, x, sigmaNext - sigma, d)
        }
        return x
    }
}

/// Euler on a rectified-flow model: x ← x + (σ_next − σ)·v, with v = (x − x̂0)/σ recovered from
/// the flow denoiser (x̂0 = x − σ·v).
///
/// Reference: diffusers `FlowMatchEulerDiscreteScheduler.step` (SD3, Flux), Liu et al. 2022
/// "Flow Straight and Fast"; ComfyUI `euler` with CONST model sampling.
/// Aliases: diffusers `FlowMatchEulerDiscreteScheduler`, ComfyUI `euler` (flow models).
/// Use with `ModelDenoiser(prediction: .flow)` and a `FlowMatchSchedule`.
/// Limitations: no `stochastic_sampling`; `per_token_timesteps` is not supported.
public struct FlowMatchEuler: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        try Euler().sample(x, sigmas: sigmas, noise: &noise, denoise: denoise, observe: observe)
    }
}

/// Euler with ancestral noise: step down to σ_down by Euler, then add fresh noise of standard
/// deviation σ_up so the marginal is at σ_next (Song et al. 2021 ancestral sampling, in the
/// k-diffusion formulation).
///
/// Reference: diffusers `EulerAncestralDiscreteScheduler`, k-diffusion `sample_euler_ancestral`
/// (eta = 1). Aliases: k-diffusion `sample_euler_ancestral`, ComfyUI `euler_ancestral`,
/// A1111 "Euler a". Noise: one `randn` of the latent's shape per step, including the last
/// (diffusers' order; the last draw is multiplied by σ_up = 0).
/// Limitations: eta and s_noise fixed at 1; diffusers has no Karras option for this scheduler.
public struct EulerAncestral: Sampler {
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
            // get_ancestral_step: σ_up = √(σ_next²(σ² − σ_next²)/σ²), σ_down = √(σ_next² − σ_up²).
            let sigmaUp = (sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)).squareRoot()
            let sigmaDown = (sigmaNext * sigmaNext - sigmaUp * sigmaUp).squareRoot()
            let d = derivative(x, denoised, sigma: sigma)
            x = combine(1, x, sigmaDown - sigma, d)
            let z = noise.randn(x.shape)                                     // [B, C, …]
            x = combine(1, x, sigmaUp, z)
        }
        return x
    }
}
