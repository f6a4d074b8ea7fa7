import Tensors

/// Pseudo linear multistep (PLMS) sampling of Liu et al. 2022, "Pseudo Numerical Methods for
/// Diffusion Models on Manifolds", as Stable Diffusion 1.x ships it (`skip_prk_steps=True`):
/// a DDIM transfer driven by an Adams–Bashforth combination of the ε estimates.
///
/// In VE form a DDIM transfer with noise estimate ε is x_prev = x + (σ_prev − σ)·ε, so
/// - the first step is Heun's: ε₀ at (x, σ₀), a trial transfer to σ₁, ε₁ there, then the
///   transfer from x with (ε₀ + ε₁)/2 — diffusers' repeated second timestep;
/// - later steps combine the newest ε with up to three earlier ones, ε₁ of the trial excluded:
///   (3ε − ε₋₁)/2, (23ε − 16ε₋₁ + 5ε₋₂)/12, (55ε − 59ε₋₁ + 37ε₋₂ − 9ε₋₃)/24.
/// N steps evaluate the model N + 1 times (one step: once).
///
/// Reference: diffusers `PNDMScheduler.step_plms` with `skip_prk_steps=True` (the Runge–Kutta
/// warm-up of `skip_prk_steps=False` is not implemented). Aliases: diffusers `PNDMScheduler`,
/// A1111 "PLMS". Schedule: `DiscreteSchedule(formula: .ddim)` (PNDM's timesteps are DDIM's);
/// `finalSigmaIsZero` is `set_alpha_to_one`. Deterministic.
public struct PNDM: Sampler {
    /// What the multistep combination runs on: diffusers combines the network's raw output and
    /// converts the result to ε at the current step, so a v-prediction model's history is
    /// combined as v (for ε models the two agree).
    public var combinedOutput: PredictionType

    /// PLMS combining `combinedOutput` (`.epsilon` or `.vPrediction`; others combine ε).
    public init(combining combinedOutput: PredictionType = .epsilon) { self.combinedOutput = combinedOutput }

    public func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                       denoise: (Tensor, Double) throws -> Tensor,
                       observe: (SamplerStep) throws -> Void) throws -> Tensor {
        var x = x                                                            // [B, C, …]
        var history: [Tensor] = []                                           // network outputs, newest last
        let total = sigmas.count - 1
        for i in 0..<total {
            let sigma = sigmas[i], sigmaNext = sigmas[i + 1]
            let denoised = try denoise(x, sigma)
            try observe(SamplerStep(step: i, total: total, sigma: sigma, denoised: denoised))
            let output = self.output(x, denoised, sigma: sigma)              // [B, C, …]
            history.append(output)
            if history.count > 4 { history.removeFirst() }
            let combined: Tensor
            if i == 0 && total > 1 {
                let trial = combine(1, x, sigmaNext - sigma, epsilon(from: output, x, sigma: sigma))
                let trialOutput = self.output(trial, try denoise(trial, sigmaNext), sigma: sigmaNext)
                combined = combine(0.5, output, 0.5, trialOutput)
            } else {
                combined = Self.adamsBashforth(history)
            }
            x = combine(1, x, sigmaNext - sigma, epsilon(from: combined, x, sigma: sigma))
        }
        return x
    }

    /// The network output implied by x̂0 at (x, σ): ε = (x − x̂0)/σ, or in VE form
    /// v = (ε − σ·x̂0)/√(1+σ²) (v = √ᾱ·ε − √(1−ᾱ)·x̂0).
    func output(_ x: Tensor, _ denoised: Tensor, sigma: Double) -> Tensor {
        let eps = derivative(x, denoised, sigma: sigma)
        guard combinedOutput == .vPrediction else { return eps }
        let s = 1 / (1 + sigma * sigma).squareRoot()
        return combine(s, eps, -sigma * s, denoised)
    }

    /// ε from a (combined) output at (x, σ): diffusers' `_get_prev_sample` conversion
    /// ε = √ᾱ·v + √(1−ᾱ)·x_vp, i.e. v/√(1+σ²) + σ·x/(1+σ²) in VE form.
    func epsilon(from output: Tensor, _ x: Tensor, sigma: Double) -> Tensor {
        guard combinedOutput == .vPrediction else { return output }
        let s2 = 1 + sigma * sigma
        return combine(1 / s2.squareRoot(), output, sigma / s2, x)
    }

    /// diffusers' `step_plms` combination of the history (newest last, 1…4 entries).
    static func adamsBashforth(_ e: [Tensor]) -> Tensor {
        let n = e.count
        switch n {
        case 1: return e[0]
        case 2: return combine([(3.0 / 2, e[1]), (-1.0 / 2, e[0])])
        case 3: return combine([(23.0 / 12, e[2]), (-16.0 / 12, e[1]), (5.0 / 12, e[0])])
        default: return combine([(55.0 / 24, e[n - 1]), (-59.0 / 24, e[n - 2]), (37.0 / 24, e[n - 3]), (-9.0 / 24, e[n - 4])])
        }
    }
}
