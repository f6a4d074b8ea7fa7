import Tensors

/// What a sampler reports after each model evaluation: for progress bars, previews and
/// cancellation (throw from the observer to stop the run).
public struct SamplerStep: Sendable {
    /// Zero-based index of the step just taken.
    public var step: Int
    /// Number of steps in the run.
    public var total: Int
    /// Noise level at which the model was evaluated.
    public var sigma: Double
    /// The denoised estimate x̂0 at that level (a preview of the result).
    public var denoised: Tensor

    /// A progress report.
    public init(step: Int, total: Int, sigma: Double, denoised: Tensor) {
        self.step = step
        self.total = total
        self.sigma = sigma
        self.denoised = denoised
    }
}

/// A sampler: integrates from `sigmas[0]` to `sigmas.last` with a denoiser, as one function of
/// k-diffusion's `sampling.py`. Stateless: a multistep history lives in local variables of
/// `sample`, so one value can run any number of generations concurrently.
///
/// The latent `x` is in VE form (x = x0 + σ·ε; flow models: x = (1−σ)·x0 + σ·ε). Samplers that
/// diffusers runs in VP form (DDIM, DDPM, LCM, DPM-Solver, UniPC) convert with
/// x_vp = x/√(1+σ²), ᾱ = 1/(1+σ²), so they share the one loop and still match diffusers' numbers.
public protocol Sampler: Sendable {
    /// Runs the sampler over `sigmas` (descending, final level last) from the latent `x` at
    /// `sigmas[0]`. `denoise(x, σ)` returns x̂0; `noise` supplies fresh noise in the order
    /// diffusers draws it; `observe` is called once per step and may throw to cancel.
    func sample(_ x: Tensor, sigmas: [Double], noise: inout some NoiseSource,
                denoise: (Tensor, Double) throws -> Tensor,
                observe: (SamplerStep) throws -> Void) throws -> Tensor
}
