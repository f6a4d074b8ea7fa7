import Tensors

/// Heun's second-order method on the probability-flow ODE (Karras et al. 2022, Algorithm 1,
/// deterministic): an Euler step to σ_next, a second evaluation there, and the averaged slope.
/// The step to σ = 0 is a plain Euler step.
///
/// Reference: diffusers `HeunDiscreteScheduler` (whose timesteps interleave the two stages),
/// k-diffusion `sample_heun`. Aliases: k-diffusion `sample_heun`, ComfyUI `heun`, A1111 "Heun".
/// Cost: 2 model evaluations per step except the last (2n − 1 in all).
/// Limitations: no churn.
public struct Heun: Sampler {
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
            let dt = sigmaNext - sigma
            if sigmaNext == 0 {
                x = combine(1, x, dt, d)
            } else {
                let x2 = combine(1, x, dt, d)
                let denoised2 = try denoise(x2, sigmaNext)
                let d2 = derivative(x2, denoised2, sigma: sigmaNext)
                x = combine([(1, x), (dt / 2, d), (dt / 2, d2)])            // x + (d + d₂)/2 · dt
            }
        }
        return x
    }
}
