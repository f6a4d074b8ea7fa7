import Tensors

/// Where a run starts.
public enum LatentStart: Sendable {
    /// Pure noise of this shape ([B, C, H, W] for images, [B, C, mel, frames] audio,
    /// [B, C, F, H, W] video), scaled by the schedule's `initNoiseSigma` (txt2img).
    case noise(shape: [Int])
    /// A given latent noised to the level `strength` of the way up the schedule, skipping the
    /// first steps (img2img, audio2audio, video2video). Strength 1 starts from pure-noise level
    /// (still keeping the latent's content through the forward process); 0 returns the latent.
    case latent(Tensor, strength: Double)
}

/// The number of steps kept and the first step run for an img2img `strength`, as diffusers'
/// `get_timesteps`: init = min(⌊steps·strength⌋, steps), t_start = steps − init.
public func stepsKept(steps: Int, strength: Double) throws -> (start: Int, kept: Int) {
    guard strength.isFinite, strength >= 0, strength <= 1 else { throw DiffusionError.invalidStrength(strength) }
    let kept = min(Int(Double(steps) * strength), steps)
    return (steps - kept, kept)
}

/// The one denoising loop of Diffuse, shared by every modality: builds the starting latent,
/// then lets `sampler` walk `schedule` with `denoiser`.
///
/// - Parameters:
///   - start: pure noise of a shape, or a latent with an img2img strength.
///   - schedule: noise levels and the scheduler's own timesteps (`Schedule.schedule(steps:)`).
///   - sampler: the integrator (`SamplerName.sampler()` or a concrete type).
///   - denoiser: the model with its prediction type, possibly wrapped by guidance.
///   - conditioning: handed to the denoiser at every evaluation.
///   - noise: the source of x_T, of the img2img noise and of every ancestral draw, in that order
///     (diffusers: `prepare_latents`' `randn_tensor`, then the scheduler's).
///   - observe: called after each model evaluation with (step, total, σ, x̂0); throw to cancel.
/// - Returns: the final latent x_0 (in VP form x/√(1+σ²) when the schedule is variance
///   preserving and ends above 0, as DDIM with `set_alpha_to_one=False` returns it).
public func generate<N: NoiseSource>(
    start: LatentStart, schedule: SigmaSchedule, sampler: some Sampler, denoiser: some Denoiser,
    conditioning: Conditioning = Conditioning(), noise: inout N,
    observe: (SamplerStep) throws -> Void = { _ in }
) throws -> Tensor {
    var schedule = schedule
    let x: Tensor
    switch start {
    case let .noise(shape):
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw DiffusionError.invalidParameter(name: "latent shape", value: "\(shape)", reason: "every dimension must be positive")
        }
        x = scaled(noise.randn(shape), by: schedule.initNoiseSigma)                  // [B, C, …]
    case let .latent(latent, strength):
        let (first, kept) = try stepsKept(steps: schedule.steps, strength: strength)
        if kept == 0 { return latent }
        schedule = schedule.dropping(first: first)
        let z = noise.randn(latent.shape)                                            // [B, C, …]
        x = denoiser.noised(latent, noise: z, sigma: schedule.sigmas[0])
    }
    let levels = schedule
    let result = try sampler.sample(x, sigmas: levels.sigmas, noise: &noise, denoise: { x, sigma in
        try denoiser.denoised(x, at: NoiseLevel(sigma: sigma, timestep: levels.timestep(forSigma: sigma)),
                              conditioning: conditioning)
    }, observe: observe)                                                             // [B, C, …]
    let last = levels.sigmas[levels.sigmas.count - 1]
    return levels.isVariancePreserving && last > 0 ? scaled(result, by: 1 / (1 + last * last).squareRoot()) : result
}
