import Foundation
import Tensors

/// UniPC (Zhao et al. 2023): a unified predictor–corrector in data-prediction form with the
/// B(h) = e^h − 1 variant ("bh2"). Each step first corrects the current sample with the model
/// output just computed (UniC), then predicts the next one (UniP), second order after warm-up,
/// first order at the last step.
///
/// With λ = −log σ, h = λ_t − λ_s0, φ₁ = expm1(−h), in VE form:
/// UniP-2: x_t = (σ_t/σ_s0)·x − φ₁·m0 − B_h·½·D1, D1 = (m1 − m0)/r1, r1 = (λ_s1 − λ_s0)/h
/// UniC-p: x_t ← (σ_t/σ_s0)·x_s0 − φ₁·m0 − B_h·(Σ ρ_k·D_k + ρ_p·(m_t − m0)), ρ from R·ρ = b.
///
/// Reference: diffusers `UniPCMultistepScheduler(solver_order=2, solver_type="bh2",
/// predict_x0=True, lower_order_final=True)`. Aliases: ComfyUI `uni_pc_bh2`,
/// diffusers `UniPCMultistepScheduler`. Schedule: `DiscreteSchedule(formula: .dpmSolver)`.
/// Limitations: order 2 only; no "bh1", no `disable_corrector`, no `solver_p`, no thresholding.
public struct UniPC: Sampler {
    /// The sampler; it has no parameters.
    public init() {}

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        var outputs: [Tensor] = []                                           // x̂0 history, newest last
        var lastSample: Tensor?
        var lastOrder = 0
        let total = sigmas.count - 1
        let lambda = { (s: Double) in -log(s) }
        for i in 0..<total {
            let sigma = sigmas[i]
            let model = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: model))
            if let last = lastSample {
                // UniC: corrects x (at σ_i) from the previous sample at σ_{i−1}.
                let s0 = sigmas[i - 1]
                let h = lambda(sigma) - lambda(s0)
                let (phi1, b) = Self.coefficients(h: h, order: lastOrder)
                let m0 = outputs[outputs.count - 1]
                var terms: [(Double, Tensor)] = [(sigma / s0, last), (-phi1, m0)]
                if lastOrder == 1 {
                    terms += [(-phi1 * 0.5, model), (phi1 * 0.5, m0)]       // B_h = φ₁ for bh2
                } else {
                    let rk = (lambda(sigmas[i - 2]) - lambda(s0)) / h
                    let m1 = outputs[outputs.count - 2]
                    // R = [[1, 1], [rk, 1]], ρ = R⁻¹ b.
                    let rho0 = (b[0] - b[1]) / (1 - rk)
                    let rho1 = b[0] - rho0
                    // D1 = (m1 − m0)/rk; D1_t = model − m0.
                    terms += [(-phi1 * rho0 / rk, m1), (phi1 * rho0 / rk, m0),
                              (-phi1 * rho1, model), (phi1 * rho1, m0)]
                }
                x = combine(terms)
            }
            outputs.append(model)
            if outputs.count > 2 { outputs.removeFirst() }
            let order = min(2, total - i, outputs.count)
            lastSample = x
            lastOrder = order
            // UniP to σ_{i+1}.
            let sigmaNext = sigmas[i + 1]
            if sigmaNext == 0 {
                x = model
                continue
            }
            let h = lambda(sigmaNext) - lambda(sigma)
            let phi1 = expm1(-h)
            var terms: [(Double, Tensor)] = [(sigmaNext / sigma, x), (-phi1, model)]
            if order == 2 {
                let r1 = (lambda(sigmas[i - 1]) - lambda(sigma)) / h
                let m1 = outputs[0]
                // − B_h·½·(m1 − m0)/r1
                terms += [(-phi1 * 0.5 / r1, m1), (phi1 * 0.5 / r1, model)]
            }
            x = combine(terms)
        }
        return x
    }

    /// φ₁ = expm1(−h) and the right-hand side b of UniPC's order conditions for bh2
    /// (diffusers' loop over `h_phi_k` and `factorial_i`).
    static func coefficients(h: Double, order: Int) -> (phi1: Double, b: [Double]) {
        let hh = -h
        let phi1 = expm1(hh)
        let bh = phi1
        var hPhiK = phi1 / hh - 1
        var factorial = 1.0
        var b: [Double] = []
        for k in 1...max(order, 1) {
            b.append(hPhiK * factorial / bh)
            factorial *= Double(k + 1)
            hPhiK = hPhiK / hh - 1 / factorial
        }
        return (phi1, b)
    }
}
