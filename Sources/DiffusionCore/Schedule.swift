import Foundation

/// Noise levels for one run: what a `Schedule` produces and the one loop consumes.
///
/// `sigmas` descend and end with the final level (0, or σ_min for diffusers'
/// `final_sigmas_type="sigma_min"`); `timesteps[i]` is the model timestep the reference
/// scheduler feeds the network at `sigmas[i]` (integer for DDIM/DPM-Solver/UniPC/LCM,
/// fractional for the Euler family, σ·1000 for flow matching).
public struct SigmaSchedule: Sendable, Equatable {
    /// Noise levels σ_0 > σ_1 > … > σ_n (VE form: x = x0 + σ·ε; flow: x = (1−σ)·x0 + σ·ε).
    public var sigmas: [Double]
    /// Model timestep at each of the first `sigmas.count - 1` levels.
    public var timesteps: [Double]
    /// Standard deviation of the starting latent x_T (diffusers' `scheduler.init_noise_sigma`,
    /// expressed for the VE-form latent the loop carries).
    public var initNoiseSigma: Double
    /// Whether the reference scheduler carries the latent in VP form (DDIM, DDPM, DPM-Solver,
    /// UniPC, LCM): when the final level is not 0, `generate` returns x/√(1+σ_final²) as they do.
    public var isVariancePreserving: Bool

    /// A schedule from its parts; `timesteps` has one entry per step (`sigmas.count - 1`).
    public init(sigmas: [Double], timesteps: [Double], initNoiseSigma: Double, isVariancePreserving: Bool = false) {
        precondition(timesteps.count == sigmas.count - 1, "SigmaSchedule: \(timesteps.count) timesteps for \(sigmas.count) sigmas")
        self.sigmas = sigmas
        self.timesteps = timesteps
        self.initNoiseSigma = initNoiseSigma
        self.isVariancePreserving = isVariancePreserving
    }

    /// Number of sampler steps (`sigmas.count - 1`).
    public var steps: Int { sigmas.count - 1 }

    /// The scheduler's own timestep for a level of this schedule, or nil when `sigma` is not one
    /// of its levels (the denoiser then converts σ itself).
    public func timestep(forSigma sigma: Double) -> Double? {
        timesteps.indices.first { sigmas[$0] == sigma }.map { timesteps[$0] }
    }

    /// The schedule from step `start` on: img2img and friends skip the noisiest steps
    /// (diffusers' `timesteps[t_start * order:]` with `set_begin_index`).
    public func dropping(first start: Int) -> SigmaSchedule {
        SigmaSchedule(sigmas: Array(sigmas[start...]), timesteps: Array(timesteps[start...]),
                      initNoiseSigma: initNoiseSigma, isVariancePreserving: isVariancePreserving)
    }
}

/// Noise levels for a run of `steps` steps: pure math in Double.
public protocol Schedule: Sendable {
    /// The levels for `steps` sampler steps; throws `DiffusionError.invalidStepCount` for a bad count.
    func schedule(steps: Int) throws -> SigmaSchedule
}

extension Schedule {
    /// The noise levels alone, final level appended (the ARCHITECTURE `sigmas(steps:)` view).
    public func sigmas(steps: Int) throws -> [Double] { try schedule(steps: steps).sigmas }
}

/// A re-spacing of the noise levels between a schedule's ends (diffusers' `use_karras_sigmas`,
/// `use_exponential_sigmas`; ComfyUI's `karras` / `exponential` schedulers).
public enum SigmaRamp: Sendable, Equatable {
    /// Keep the levels of the timestep spacing.
    case none
    /// Karras et al. 2022 (EDM), eq. 5: σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ,
    /// k-diffusion `get_sigmas_karras`, diffusers `_convert_to_karras` (ρ = 7).
    case karras(rho: Double = 7)
    /// Evenly spaced in log σ: k-diffusion `get_sigmas_exponential`, diffusers `_convert_to_exponential`.
    case exponential

    /// `count` levels from `sigmaMax` down to `sigmaMin` (no final 0).
    public func sigmas(count: Int, sigmaMin: Double, sigmaMax: Double) -> [Double] {
        switch self {
        case .none:
            return linspace(sigmaMax, sigmaMin, count)
        case let .karras(rho):
            let minInv = pow(sigmaMin, 1 / rho), maxInv = pow(sigmaMax, 1 / rho)
            return linspace(0, 1, count).map { pow(maxInv + $0 * (minInv - maxInv), rho) }
        case .exponential:
            return linspace(log(sigmaMax), log(sigmaMin), count).map { exp($0) }
        }
    }
}
