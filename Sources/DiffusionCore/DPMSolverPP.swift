import Foundation
import Tensors

/// DPM-Solver++(2M): the second-order multistep solver in data-prediction form
/// (Lu et al. 2022, "DPM-Solver++", Algorithm 2), with λ = −log σ:
/// x ← (σ_next/σ)·x − expm1(−h)·D, h = λ_next − λ, D = x̂0 + (x̂0 − x̂0_prev)/(2r), r = h_prev/h.
/// The first step and the step to σ = 0 are first order.
///
/// Reference: diffusers `DPMSolverMultistepScheduler(solver_order=2, algorithm_type="dpmsolver++",
/// solver_type="midpoint", lower_order_final=True, final_sigmas_type="zero")`, k-diffusion
/// `sample_dpmpp_2m`. Aliases: k-diffusion `sample_dpmpp_2m`, ComfyUI `dpmpp_2m`, A1111 "DPM++ 2M"
/// (with Karras σ: "DPM++ 2M Karras"). Schedule: `DiscreteSchedule(formula: .dpmSolver)`.
/// Limitations: no third order, no "heun" solver type, no thresholding, no `euler_at_final`
/// (the last step is already first order when the final σ is 0); with a final σ_min and
/// fewer than 15 steps diffusers still ends first order, this sampler ends second order.
public struct DPMSolverPP2M: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        var previous: Tensor?                                                // x̂0 of the last step
        var hPrevious = 0.0
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaNext = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            if sigmaNext == 0 {
                x = denoised
                continue
            }
            let h = log(sigma) - log(sigmaNext)                               // λ_next − λ
            if let previous {
                let r = hPrevious / h
                let d = combine(1 + 1 / (2 * r), denoised, -1 / (2 * r), previous)
                x = combine(sigmaNext / sigma, x, -expm1(-h), d)
            } else {
                x = combine(sigmaNext / sigma, x, -expm1(-h), denoised)
            }
            previous = denoised
            hPrevious = h
        }
        return x
    }
}

/// DPM-Solver++(2M) SDE: the stochastic second-order multistep solver (Lu et al. 2022,
/// "DPM-Solver++", SDE variant, midpoint), with λ = −log σ:
/// x ← (σ_next/σ)·e^{−h}·x + (1 − e^{−2h})·(x̂0 + (x̂0 − x̂0_prev)/(2r)) + σ_next·√(1 − e^{−2h})·z.
///
/// Reference: diffusers `DPMSolverMultistepScheduler(algorithm_type="sde-dpmsolver++",
/// solver_order=2, solver_type="midpoint")`, k-diffusion `sample_dpmpp_2m_sde` (eta = 1).
/// Aliases: k-diffusion `sample_dpmpp_2m_sde`, ComfyUI `dpmpp_2m_sde`, A1111 "DPM++ 2M SDE".
/// Noise: one `randn` of the latent's shape per step, including the last (diffusers' order);
/// k-diffusion draws from a Brownian tree instead, so its runs differ in the noise, not the math.
/// Limitations: eta and s_noise fixed at 1; no "heun" solver type.
public struct DPMSolverPP2MSDE: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        var previous: Tensor?
        var hPrevious = 0.0
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaNext = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            let z = noise.randn(x.shape)                                     // [B, C, …]
            if sigmaNext == 0 {
                x = denoised
                continue
            }
            let h = log(sigma) - log(sigmaNext)
            let oneMinusE2h = -expm1(-2 * h)                                 // 1 − e^{−2h}
            var terms: [(Double, Tensor)] = [(sigmaNext / sigma * exp(-h), x)]
            if let previous {
                let r = hPrevious / h
                terms += [(oneMinusE2h * (1 + 0.5 / r), denoised), (-oneMinusE2h * 0.5 / r, previous)]
            } else {
                terms.append((oneMinusE2h, denoised))
            }
            terms.append((sigmaNext * oneMinusE2h.squareRoot(), z))
            x = combine(terms)
            previous = denoised
            hPrevious = h
        }
        return x
    }
}
