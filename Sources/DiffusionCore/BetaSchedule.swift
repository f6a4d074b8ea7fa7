import Foundation

/// How the DDPM noise variances β_t are spread over the training timesteps
/// (diffusers' `beta_schedule` config value).
public enum BetaSchedule: Sendable, Equatable {
    /// `"linear"`: β evenly spaced from `start` to `end` (DDPM, Ho et al. 2020).
    case linear(start: Double = 0.0001, end: Double = 0.02)
    /// `"scaled_linear"`: √β evenly spaced, then squared (Stable Diffusion 1.x/2.x, SDXL: 0.00085…0.012).
    case scaledLinear(start: Double = 0.00085, end: Double = 0.012)
    /// `"squaredcos_cap_v2"`: the cosine schedule of Nichol & Dhariwal 2021, as diffusers'
    /// `betas_for_alpha_bar(alpha_transform_type="cosine")` with β capped at 0.999.
    case squaredCosCapV2

    /// The β values for `count` training timesteps, in Double.
    public func betas(count: Int) -> [Double] {
        switch self {
        case let .linear(start, end):
            return linspace(start, end, count)
        case let .scaledLinear(start, end):
            return linspace(start.squareRoot(), end.squareRoot(), count).map { $0 * $0 }
        case .squaredCosCapV2:
            // diffusers: alpha_bar(t) = cos((t + 0.008) / 1.008 · π/2)²; β_i = min(1 − ᾱ(t₂)/ᾱ(t₁), 0.999).
            func alphaBar(_ t: Double) -> Double {
                let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
                return c * c
            }
            return (0..<count).map { i in
                let t1 = Double(i) / Double(count), t2 = Double(i + 1) / Double(count)
                return min(1 - alphaBar(t2) / alphaBar(t1), 0.999)
            }
        }
    }
}

/// The training noise schedule of a DDPM-family model: β_t, ᾱ_t = ∏(1 − β) and the matching
/// VE noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t), built exactly as diffusers' schedulers build them.
///
/// diffusers stores β and ᾱ as float32 tensors (`torch.cumprod` accumulates in double and
/// rounds each output), and computes σ with float32 arithmetic. The values here are rounded
/// at the same points, so `alphasCumprod` and `sigmas` equal diffusers' to the last bit or so;
/// they are kept as `Double` for the rest of the schedule math.
public struct TrainingNoiseSchedule: Sendable, Equatable {
    /// β_t for t = 0..<trainingSteps (float32-rounded).
    public let betas: [Double]
    /// ᾱ_t = ∏_{s≤t} (1 − β_s) (float32-rounded, as diffusers' `alphas_cumprod`).
    public let alphasCumprod: [Double]
    /// σ_t = √((1 − ᾱ_t)/ᾱ_t), ascending with t (diffusers' `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5`).
    /// With zero terminal SNR the last ᾱ is clamped to 2⁻²⁴ first, as `EulerDiscreteScheduler` does.
    public let sigmas: [Double]
    /// log σ_t in float32, as diffusers' `np.log(sigmas)` (used by `timestep(forSigma:)`).
    public let logSigmas: [Double]

    /// Number of training timesteps (diffusers' `num_train_timesteps`).
    public var trainingSteps: Int { betas.count }

    /// A schedule of `trainingSteps` β values; `rescaleZeroTerminalSNR` applies Lin et al. 2023,
    /// Algorithm 1 (diffusers' `rescale_betas_zero_snr=True`).
    public init(_ schedule: BetaSchedule, trainingSteps: Int = 1000, rescaleZeroTerminalSNR: Bool = false) throws {
        guard trainingSteps >= 2 else {
            throw DiffusionError.invalidParameter(name: "trainingSteps", value: "\(trainingSteps)", reason: "a schedule needs at least 2 training timesteps")
        }
        var betas = schedule.betas(count: trainingSteps).map { Float($0) }
        if rescaleZeroTerminalSNR { betas = Self.rescaledToZeroTerminalSNR(betas) }
        var cumprod = [Float]()
        cumprod.reserveCapacity(trainingSteps)
        var product = 1.0
        for beta in betas {
            product *= Double(1 - beta)
            cumprod.append(Float(product))
        }
        self.betas = betas.map(Double.init)
        self.alphasCumprod = cumprod.map(Double.init)
        var clamped = cumprod
        if rescaleZeroTerminalSNR { clamped[trainingSteps - 1] = 0x1p-24 }
        let sigmas = clamped.map { a in ((1 - a) / a).squareRoot() }
        self.sigmas = sigmas.map(Double.init)
        self.logSigmas = sigmas.map { Double(Float(log(Double($0)))) }
    }

    /// Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1,
    /// in float32 as diffusers' `rescale_zero_terminal_snr`.
    static func rescaledToZeroTerminalSNR(_ betas: [Float]) -> [Float] {
        var product = 1.0
        var sqrtBar = betas.map { beta -> Float in
            product *= Double(1 - beta)
            return Float(product).squareRoot()
        }
        let first = sqrtBar[0], last = sqrtBar[sqrtBar.count - 1]
        let scale = first / (first - last)
        for i in sqrtBar.indices { sqrtBar[i] = (sqrtBar[i] - last) * scale }
        let bar = sqrtBar.map { $0 * $0 }
        return bar.indices.map { i in i == 0 ? 1 - bar[0] : 1 - bar[i] / bar[i - 1] }
    }

    /// The (fractional) training timestep of noise level `sigma`: linear interpolation in log σ
    /// between the two neighbouring training timesteps, clamped to the table
    /// (diffusers' `EulerDiscreteScheduler._sigma_to_t`, k-diffusion's `DiscreteSchedule.sigma_to_t`).
    public func timestep(forSigma sigma: Double) -> Double {
        let logSigma = log(max(sigma, 1e-10))
        // Index of the last training log σ at or below logSigma (logSigmas ascend), at most count − 2.
        var low = 0
        for (i, l) in logSigmas.enumerated() where logSigma - l >= 0 { low = i }
        low = min(low, logSigmas.count - 2)
        let lo = logSigmas[low], hi = logSigmas[low + 1]
        let w = min(max((lo - logSigma) / (lo - hi), 0), 1)
        return (1 - w) * Double(low) + w * Double(low + 1)
    }

    /// σ at a fractional timestep by linear interpolation in σ (diffusers' `np.interp(timesteps, arange, sigmas)`).
    public func sigma(atTimestep t: Double) -> Double {
        let n = sigmas.count
        if t <= 0 { return sigmas[0] }
        if t >= Double(n - 1) { return sigmas[n - 1] }
        let i = Int(t.rounded(.down))
        let f = t - Double(i)
        return f == 0 ? sigmas[i] : sigmas[i] + (sigmas[i + 1] - sigmas[i]) * f
    }
}

/// `count` evenly spaced values from `start` to `end` inclusive, as `np.linspace`
/// (the second half is computed from the end, so `end` is exact).
func linspace(_ start: Double, _ end: Double, _ count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [start] : [] }
    let step = (end - start) / Double(count - 1)
    var values = (0..<count).map { start + Double($0) * step }
    values[count - 1] = end
    return values
}
