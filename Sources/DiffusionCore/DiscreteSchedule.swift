import Foundation

/// diffusers' `timestep_spacing`: how inference timesteps are picked from the training ones
/// (Lin et al. 2023, Table 2).
public enum TimestepSpacing: String, Sendable, CaseIterable {
    /// Evenly spaced over [0, T−1], both ends included.
    case linspace
    /// Multiples of T // steps from 0, plus `steps_offset` (Stable Diffusion 1.x/2.x, SDXL configs).
    case leading
    /// Counting down from T by T/steps, minus 1 (ends exactly at T−1: needed for zero terminal SNR).
    case trailing
}

/// Which diffusers scheduler's timestep formula to reproduce. The formulas differ in rounding
/// and in the number of points they space, so a schedule only matches its own family.
public enum TimestepFormula: Sendable, Equatable {
    /// `EulerDiscreteScheduler`, `EulerAncestralDiscreteScheduler`, `HeunDiscreteScheduler`,
    /// `LMSDiscreteScheduler`: float timesteps (`np.linspace(..., dtype=float32)` for linspace,
    /// `.round()` then float for leading/trailing), σ by linear interpolation in σ, Karras σ_min/σ_max
    /// taken from the spaced levels, Karras timesteps by `_sigma_to_t` (fractional).
    case eulerDiscrete
    /// `DDIMScheduler`, `DDPMScheduler`: integer timesteps (`.round().astype(np.int64)`), starting
    /// latent of standard deviation 1 in VP form.
    case ddim
    /// `DPMSolverMultistepScheduler`, `UniPCMultistepScheduler`: integer timesteps spaced over
    /// `steps + 1` points with the last dropped (linspace, leading: T // (steps+1)), Karras σ_min/σ_max
    /// from the whole training table and Karras timesteps rounded to integers.
    case dpmSolver
    /// `LCMScheduler`: `steps` timesteps picked from the `originalSteps`-step distillation grid
    /// (T // originalSteps · [1…originalSteps] − 1), spacing ignored.
    case lcm(originalSteps: Int = 50)
}

/// A discrete-time (DDPM-family) schedule: the training noise levels re-sampled for a number of
/// inference steps exactly as a diffusers scheduler's `set_timesteps` does.
///
/// Reference: diffusers 0.42.1 `set_timesteps` of the classes named in `TimestepFormula`;
/// k-diffusion `DiscreteSchedule` / `get_sigmas_karras` for the Karras ramp.
/// Limitation: `use_beta_sigmas` and `use_lu_lambdas` are not implemented.
public struct DiscreteSchedule: Schedule {
    /// β, ᾱ and σ of the training process.
    public var training: TrainingNoiseSchedule
    /// The diffusers scheduler family whose rounding is reproduced.
    public var formula: TimestepFormula
    /// diffusers' `timestep_spacing`.
    public var spacing: TimestepSpacing
    /// diffusers' `steps_offset` (added to "leading" timesteps; 1 in Stable Diffusion configs).
    public var stepsOffset: Int
    /// Karras / exponential re-spacing of σ (`use_karras_sigmas`, `use_exponential_sigmas`).
    public var ramp: SigmaRamp
    /// The level after the last step: 0 (`final_sigmas_type="zero"`, DDIM `set_alpha_to_one=True`)
    /// or the training σ_0 (`"sigma_min"`, DDIM `set_alpha_to_one=False`).
    public var finalSigmaIsZero: Bool

    /// A schedule; the defaults are diffusers' for `EulerDiscreteScheduler`.
    public init(training: TrainingNoiseSchedule, formula: TimestepFormula = .eulerDiscrete,
                spacing: TimestepSpacing = .linspace, stepsOffset: Int = 0,
                ramp: SigmaRamp = .none, finalSigmaIsZero: Bool = true) {
        self.training = training
        self.formula = formula
        self.spacing = spacing
        self.stepsOffset = stepsOffset
        self.ramp = ramp
        self.finalSigmaIsZero = finalSigmaIsZero
    }

    /// The inference timesteps, noisiest first, as the reference `set_timesteps` computes them
    /// (before any Karras/exponential re-spacing).
    public func timesteps(steps: Int) throws -> [Double] {
        let T = training.trainingSteps
        guard steps >= 1, steps <= T else { throw DiffusionError.invalidStepCount(steps, trainingSteps: T) }
        switch formula {
        case .eulerDiscrete:
            switch spacing {
            case .linspace:
                return linspace(0, Double(T - 1), steps).reversed().map { Double(Float($0)) }
            case .leading:
                let ratio = T / steps
                return (0..<steps).reversed().map { Double($0 * ratio + stepsOffset) }
            case .trailing:
                return trailing(T, steps).map { $0.rounded(.toNearestOrEven) - 1 }
            }
        case .ddim:
            switch spacing {
            case .linspace:
                return linspace(0, Double(T - 1), steps).reversed().map { $0.rounded(.toNearestOrEven) }
            case .leading:
                let ratio = T / steps
                return (0..<steps).reversed().map { Double($0 * ratio + stepsOffset) }
            case .trailing:
                return trailing(T, steps).map { $0.rounded(.toNearestOrEven) - 1 }
            }
        case .dpmSolver:
            switch spacing {
            case .linspace:
                return Array(linspace(0, Double(T - 1), steps + 1).reversed().dropLast()).map { $0.rounded(.toNearestOrEven) }
            case .leading:
                let ratio = T / (steps + 1)
                return (1...steps).reversed().map { Double($0 * ratio + stepsOffset) }
            case .trailing:
                return trailing(T, steps).map { $0.rounded(.toNearestOrEven) - 1 }
            }
        case let .lcm(originalSteps):
            guard originalSteps >= 1, originalSteps <= T, steps <= originalSteps else {
                throw DiffusionError.invalidParameter(name: "steps", value: "\(steps)",
                                                      reason: "LCM needs 1 ≤ steps ≤ originalSteps (\(originalSteps)) ≤ \(T)")
            }
            let k = T / originalSteps
            let origin = (1...originalSteps).reversed().map { $0 * k - 1 }        // lcm_origin_timesteps[::-1]
            let stride = Double(origin.count) / Double(steps)                      // np.linspace(..., endpoint=False)
            return (0..<steps).map { Double(origin[Int((Double($0) * stride).rounded(.down))]) }
        }
    }

    /// `np.arange(T, 0, -T/steps)`: T + i·(−T/steps) for i < ⌈T/(T/steps)⌉.
    private func trailing(_ T: Int, _ steps: Int) -> [Double] {
        let ratio = Double(T) / Double(steps)
        let count = Int((Double(T) / ratio).rounded(.up))
        return (0..<count).map { Double(T) + Double($0) * -ratio }
    }

    public func schedule(steps: Int) throws -> SigmaSchedule {
        var timesteps = try timesteps(steps: steps)
        var sigmas = timesteps.map { training.sigma(atTimestep: $0) }
        if ramp != .none {
            let (lo, hi): (Double, Double)
            switch formula {
            case .dpmSolver: (lo, hi) = (training.sigmas[0], training.sigmas[training.sigmas.count - 1])
            default: (lo, hi) = (sigmas[sigmas.count - 1], sigmas[0])
            }
            sigmas = ramp.sigmas(count: steps, sigmaMin: lo, sigmaMax: hi)
            timesteps = sigmas.map { training.timestep(forSigma: $0) }
            if formula == .dpmSolver, case .karras = ramp { timesteps = timesteps.map { $0.rounded(.toNearestOrEven) } }
        }
        if formula == .eulerDiscrete {
            timesteps = timesteps.map { Double(Float($0)) }                    // `.astype(np.float32)`
        } else {
            timesteps = timesteps.map { $0.rounded(.towardZero) }              // `.astype(np.int64)`
        }
        sigmas = sigmas.map { Double(Float($0)) }
        let last: Double
        if case .lcm = formula { last = 0 } else { last = finalSigmaIsZero ? 0 : training.sigmas[0] }
        sigmas.append(last)
        let sigmaMax = sigmas.max() ?? 0
        let initNoiseSigma: Double
        switch formula {
        case .eulerDiscrete:
            // `init_noise_sigma`: σ_max for linspace/trailing, √(σ_max² + 1) for leading.
            initNoiseSigma = spacing == .leading ? Double(Float((Float(sigmaMax) * Float(sigmaMax) + 1).squareRoot())) : sigmaMax
        case .ddim, .dpmSolver, .lcm:
            // x_T ~ N(0, 1) in VP form, i.e. √(1 + σ_0²) in the VE form the loop carries.
            initNoiseSigma = (1 + sigmas[0] * sigmas[0]).squareRoot()
        }
        return SigmaSchedule(sigmas: sigmas, timesteps: timesteps, initNoiseSigma: initNoiseSigma,
                             isVariancePreserving: formula != .eulerDiscrete)
    }
}
