import Tensors

/// Linear multistep (Adams–Bashforth in σ, variable step): the new slope is integrated together
/// with up to `order − 1` earlier ones through the Lagrange polynomial over their σ's
/// (Karras et al. 2022 §3 mention; Crowson's k-diffusion LMS sampler).
///
/// Reference: diffusers `LMSDiscreteScheduler` (order 4, coefficients by `scipy.integrate.quad`,
/// here by exact Gauss–Legendre quadrature of the same polynomial), k-diffusion `sample_lms`.
/// Aliases: k-diffusion `sample_lms`, ComfyUI `lms`, A1111 "LMS", diffusers `LMSDiscreteScheduler`.
/// Limitations: deterministic only; the order ramps up from 1 over the first steps.
public struct LMS: Sampler {
    /// Maximum number of slopes combined, 1…4 (diffusers' `step(order=4)`).
    public let order: Int

    /// An LMS sampler; `order` is clamped to 1…4.
    public init(order: Int = 4) { self.order = min(max(1, order), 4) }

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        var slopes: [Tensor] = []                                            // newest last
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            slopes.append(derivative(x, denoised, sigma: sigma))
            if slopes.count > order { slopes.removeFirst() }
            let currentOrder = min(i + 1, order)
            var terms: [(Double, Tensor)] = [(1, x)]
            for j in 0..<currentOrder {
                terms.append((Self.coefficient(sigmas, order: currentOrder, step: i, term: j), slopes[slopes.count - 1 - j]))
            }
            x = combine(terms)
        }
        return x
    }

    /// ∫_{σ_t}^{σ_{t+1}} ∏_{k≠j} (τ − σ_{t−k}) / (σ_{t−j} − σ_{t−k}) dτ (diffusers' `get_lms_coefficient`).
    static func coefficient(_ sigmas: [Double], order: Int, step t: Int, term j: Int) -> Double {
        func basis(_ tau: Double) -> Double {
            var product = 1.0
            for k in 0..<order where k != j {
                product *= (tau - sigmas[t - k]) / (sigmas[t - j] - sigmas[t - k])
            }
            return product
        }
        // 3-point Gauss–Legendre is exact for the polynomials of degree ≤ 3 that order ≤ 4 gives.
        let a = sigmas[t], b = sigmas[t + 1]
        let mid = (a + b) / 2, half = (b - a) / 2
        let node = (3.0 / 5.0).squareRoot()
        return half * (5.0 / 9.0 * basis(mid - half * node) + 8.0 / 9.0 * basis(mid) + 5.0 / 9.0 * basis(mid + half * node))
    }
}
