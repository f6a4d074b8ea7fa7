import DiffusionCore
import Networks

/// A diffusers scheduler config read as DiffusionCore pieces: the training noise schedule, the
/// prediction type, the sampler the config's class names, and the `DiscreteSchedule` that
/// reproduces `SamplerClass.from_config(config, use_karras_sigmas=…)`'s timesteps and σ.
///
/// Switching sampler keeps the config's `timestep_spacing` and `steps_offset`, as diffusers'
/// `from_config` does (a Stable Diffusion 1.x folder's "leading" spacing with offset 1 carries
/// over to Euler a or DPM++ 2M).
///
/// Limitations: `PNDMScheduler` runs as PLMS (`skip_prk_steps=True`, as Stable Diffusion ships
/// it; the Runge–Kutta warm-up is not implemented). Unknown classes default to Euler. `trained_betas`,
/// `clip_sample`, `thresholding` and DPM-Solver's `algorithm_type` are not read.
public struct SchedulerMapping: Sendable {
    /// The decoded `scheduler_config.json`.
    public let config: SchedulerConfig
    /// β, ᾱ and σ of the training process.
    public let training: TrainingNoiseSchedule
    /// What the network predicts (`prediction_type`).
    public let prediction: PredictionType

    /// Reads `config`; throws `PipelineError.unsupportedScheduler` for settings not implemented.
    public init(_ config: SchedulerConfig) throws {
        try config.validate()
        self.config = config
        guard config.trainedBetas == nil else {
            throw PipelineError.unsupportedScheduler("trained_betas is not supported; use beta_schedule")
        }
        let betas: BetaSchedule
        switch config.betaSchedule {
        case "linear": betas = .linear(start: config.betaStart, end: config.betaEnd)
        case "scaled_linear": betas = .scaledLinear(start: config.betaStart, end: config.betaEnd)
        default: betas = .squaredCosCapV2
        }
        training = try TrainingNoiseSchedule(betas, trainingSteps: config.numTrainTimesteps,
                                             rescaleZeroTerminalSNR: config.rescaleBetasZeroSnr)
        guard let prediction = PredictionType(rawValue: config.predictionType), prediction != .flow else {
            throw PipelineError.unsupportedScheduler("prediction_type \"\(config.predictionType)\" is not supported")
        }
        self.prediction = prediction
    }

    /// The sampler the config's `_class_name` names (diffusers class → `SamplerName`).
    public var defaultSampler: SamplerName {
        switch config.className {
        case let name?: return (try? SamplerName(parsing: name)) ?? .euler
        case nil: return .euler
        }
    }

    /// Whether Karras σ are on when the request does not say (`use_karras_sigmas`), for a
    /// sampler that supports them.
    public func defaultKarras(for sampler: SamplerName) -> Bool { config.useKarrasSigmas && sampler.supportsKarras }

    /// The sampler and Karras choice a request resolves to (nil: the config's), and its schedule.
    public func sampling(sampler: SamplerName?, karras: Bool?) throws -> (sampler: SamplerName, karras: Bool, schedule: DiscreteSchedule) {
        let sampler = sampler ?? defaultSampler
        let karras = karras ?? defaultKarras(for: sampler)
        return (sampler, karras, try schedule(for: sampler, karras: karras))
    }

    /// The schedule for `sampler`, with Karras σ when `karras`. Throws `PipelineError` for
    /// Karras with a sampler diffusers offers it for not, or a flow-matching sampler.
    public func schedule(for sampler: SamplerName, karras: Bool) throws -> DiscreteSchedule {
        if sampler == .flowMatchEuler {
            throw PipelineError.invalidValue("sampler", sampler.rawValue, "it needs a flow-matching model; this one predicts \(config.predictionType)")
        }
        if karras && !sampler.supportsKarras {
            let valid = SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", ")
            throw PipelineError.invalidValue("karras", "with sampler \(sampler.rawValue)", "Karras sigmas are available with \(valid)")
        }
        let spacing = TimestepSpacing(rawValue: config.timestepSpacing) ?? .leading
        let finalSigmaIsZero: Bool
        switch sampler {
        case .ddim, .pndm: finalSigmaIsZero = config.setAlphaToOne
        default: finalSigmaIsZero = true
        }
        return DiscreteSchedule(training: training, formula: sampler.timestepFormula, spacing: spacing,
                                stepsOffset: config.stepsOffset, ramp: karras ? .karras() : .none,
                                finalSigmaIsZero: finalSigmaIsZero)
    }
}
