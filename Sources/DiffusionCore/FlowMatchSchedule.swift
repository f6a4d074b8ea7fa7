import Foundation

/// Noise levels of a rectified-flow model (x_σ = (1 − σ)·x0 + σ·ε, σ from 1 to 0), with the
/// timestep shift of Esser et al. 2024 (SD3), static or resolution-dependent.
///
/// Reference: diffusers 0.42.1 `FlowMatchEulerDiscreteScheduler.__init__` + `set_timesteps`
/// (including its quirk of shifting σ_min once at construction and the whole ramp again),
/// `time_shift` with `time_shift_type="exponential"`, and `calculate_shift` of the Flux and SD3
/// pipelines. Timesteps are σ·T in float32, as diffusers feeds them to the transformer.
/// Limitations: `shift_terminal`, `invert_sigmas`, the "linear" time shift and Karras/exponential
/// re-spacing of flow sigmas are not implemented.
public struct FlowMatchSchedule: Schedule {
    /// How σ is shifted toward the noisy end.
    public enum Shift: Sendable, Equatable {
        /// σ' = s·σ / (1 + (s − 1)·σ) (`shift`, SD3: 3.0; 1.0 leaves σ unchanged).
        case `static`(Double)
        /// σ' = e^μ / (e^μ + (1/σ − 1)) (`use_dynamic_shifting=True`, exponential time shift);
        /// μ from `FlowMatchSchedule.mu(imageSequenceLength:)`.
        case dynamic(mu: Double)
    }

    /// Where the unshifted ramp comes from.
    public enum Ramp: Sendable, Equatable {
        /// The scheduler's own: `np.linspace(σ_max·T, σ_min·T, steps) / T` (SD3 pipeline).
        case scheduler
        /// `np.linspace(1, 1/steps, steps)` passed as `sigmas=` (Flux pipeline).
        case flux
    }

    /// diffusers' `num_train_timesteps` (1000).
    public var trainingSteps: Int
    /// The timestep shift.
    public var shift: Shift
    /// The unshifted ramp.
    public var ramp: Ramp

    /// A flow-matching schedule (diffusers defaults: 1000 timesteps, shift 1).
    public init(trainingSteps: Int = 1000, shift: Shift = .static(1), ramp: Ramp = .scheduler) {
        self.trainingSteps = trainingSteps
        self.shift = shift
        self.ramp = ramp
    }

    /// μ for a latent of `imageSequenceLength` patches: linear from `baseShift` at `baseLength`
    /// to `maxShift` at `maxLength` (diffusers' `calculate_shift` in the Flux/SD3 pipelines,
    /// defaults from the Flux scheduler config).
    public static func mu(imageSequenceLength: Int, baseLength: Int = 256, maxLength: Int = 4096,
                          baseShift: Double = 0.5, maxShift: Double = 1.15) -> Double {
        let m = (maxShift - baseShift) / Double(maxLength - baseLength)
        let b = baseShift - m * Double(baseLength)
        return Double(imageSequenceLength) * m + b
    }

    public func schedule(steps: Int) throws -> SigmaSchedule {
        let T = trainingSteps
        guard steps >= 1, steps <= T else { throw DiffusionError.invalidStepCount(steps, trainingSteps: T) }
        switch shift {
        case let .static(s) where !(s > 0) || !s.isFinite:
            throw DiffusionError.invalidParameter(name: "shift", value: "\(s)", reason: "the flow shift must be a positive finite number")
        case let .dynamic(mu) where !mu.isFinite:
            throw DiffusionError.invalidParameter(name: "mu", value: "\(mu)", reason: "the dynamic shift must be finite")
        default: break
        }
        var sigmas: [Double]
        switch ramp {
        case .scheduler:
            // __init__: σ = linspace(1, T, T)/T in float32, statically shifted in float32 unless dynamic.
            var sigmaMin = Float(1) / Float(T)
            if case let .static(s) = shift {
                let s = Float(s)
                sigmaMin = s * sigmaMin / (1 + (s - 1) * sigmaMin)
            }
            // set_timesteps: linspace(σ_max·T, σ_min·T, steps) / T in float64, then shifted in float64.
            sigmas = linspace(Double(T), Double(sigmaMin) * Double(T), steps).map { $0 / Double(T) }
            switch shift {
            case let .static(s): sigmas = sigmas.map { s * $0 / (1 + (s - 1) * $0) }
            case let .dynamic(mu): sigmas = sigmas.map { exp(mu) / (exp(mu) + (1 / $0 - 1)) }
            }
            sigmas = sigmas.map { Double(Float($0)) }
        case .flux:
            // Given sigmas are float32 numpy arrays, so the shift runs in float32 arithmetic.
            let base = linspace(1, 1 / Double(steps), steps).map { Float($0) }
            switch shift {
            case let .static(s):
                let s = Float(s)
                sigmas = base.map { Double(s * $0 / (1 + (s - 1) * $0)) }
            case let .dynamic(mu):
                let e = Float(exp(mu))
                sigmas = base.map { Double(e / (e + (1 / $0 - 1))) }
            }
        }
        let timesteps = sigmas.map { Double(Float($0) * Float(T)) }
        return SigmaSchedule(sigmas: sigmas + [0], timesteps: timesteps, initNoiseSigma: 1)
    }
}
