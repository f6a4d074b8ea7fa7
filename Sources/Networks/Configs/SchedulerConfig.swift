import Foundation

/// The keys the DDPM-family schedulers of diffusers share (`DDPMScheduler`, `DDIMScheduler`,
/// `PNDMScheduler`, `EulerDiscreteScheduler`, `DPMSolverMultistepScheduler`, … in
/// `diffusers/schedulers/`), decoded from `scheduler/scheduler_config.json`.
///
/// Keys absent from the file take the `__init__` default of the class named in `_class_name`
/// where the classes differ (`timestep_spacing`, `set_alpha_to_one`, `clip_sample`), and
/// `DDPMScheduler`'s otherwise. Keys only one sampler uses are ignored; Diffuse picks its
/// sampler separately and takes the training noise schedule from here.
public struct SchedulerConfig: DiffusersConfig, Equatable {
    /// `_class_name`, e.g. "PNDMScheduler".
    public var className: String?
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// `num_train_timesteps` (default 1000).
    public var numTrainTimesteps: Int
    /// `beta_start` (default 0.0001; Stable Diffusion 0.00085).
    public var betaStart: Double
    /// `beta_end` (default 0.02; Stable Diffusion 0.012).
    public var betaEnd: Double
    /// `beta_schedule`: "linear" (default), "scaled_linear" or "squaredcos_cap_v2".
    public var betaSchedule: String
    /// `trained_betas`: explicit β values replacing the schedule, if any.
    public var trainedBetas: [Double]?
    /// `prediction_type`: "epsilon" (default), "v_prediction" or "sample".
    public var predictionType: String
    /// `timestep_spacing`: "leading", "linspace" or "trailing" (default per class).
    public var timestepSpacing: String
    /// `steps_offset`: added to every inference timestep (default 0; Stable Diffusion 1).
    public var stepsOffset: Int
    /// `clip_sample`: clamp x̂0 to ±`clip_sample_range` (DDPM and DDIM default true).
    public var clipSample: Bool
    /// `clip_sample_range` (default 1).
    public var clipSampleRange: Double
    /// `set_alpha_to_one`: ᾱ of the step after the last is 1 (DDIM default true, PNDM false).
    public var setAlphaToOne: Bool
    /// `rescale_betas_zero_snr`: rescale to zero terminal SNR (Lin et al. 2023; default false).
    public var rescaleBetasZeroSnr: Bool
    /// `thresholding`: dynamic thresholding (default false).
    public var thresholding: Bool
    /// `skip_prk_steps`: PNDM without its Runge–Kutta warm-up (default false).
    public var skipPrkSteps: Bool
    /// `use_karras_sigmas`: Karras et al. noise levels (default false).
    public var useKarrasSigmas: Bool

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case diffusersVersion = "_diffusers_version"
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case setAlphaToOne = "set_alpha_to_one"
        case rescaleBetasZeroSnr = "rescale_betas_zero_snr"
        case thresholding
        case skipPrkSteps = "skip_prk_steps"
        case useKarrasSigmas = "use_karras_sigmas"
    }

    /// `scheduler_config.json`.
    public static var fileName: String { "scheduler_config.json" }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        className = try c.optional(.className)
        diffusersVersion = try c.optional(.diffusersVersion)
        let leading = ["DDPMScheduler", "DDIMScheduler", "PNDMScheduler", "LCMScheduler", "TCDScheduler", nil]
        let clipsByDefault = ["DDPMScheduler", "DDIMScheduler", "DDIMInverseScheduler", "DDPMParallelScheduler", "DDIMParallelScheduler", nil]
        numTrainTimesteps = try c.value(.numTrainTimesteps, default: 1000)
        betaStart = try c.value(.betaStart, default: 0.0001)
        betaEnd = try c.value(.betaEnd, default: 0.02)
        betaSchedule = try c.value(.betaSchedule, default: "linear")
        trainedBetas = try c.optional(.trainedBetas)
        predictionType = try c.value(.predictionType, default: "epsilon")
        timestepSpacing = try c.value(.timestepSpacing, default: leading.contains(className) ? "leading" : "linspace")
        stepsOffset = try c.value(.stepsOffset, default: 0)
        clipSample = try c.value(.clipSample, default: clipsByDefault.contains(className))
        clipSampleRange = try c.value(.clipSampleRange, default: 1)
        setAlphaToOne = try c.value(.setAlphaToOne, default: ["DDIMScheduler", "LCMScheduler", "TCDScheduler"].contains(className))
        rescaleBetasZeroSnr = try c.value(.rescaleBetasZeroSnr, default: false)
        thresholding = try c.value(.thresholding, default: false)
        skipPrkSteps = try c.value(.skipPrkSteps, default: false)
        useKarrasSigmas = try c.value(.useKarrasSigmas, default: false)
    }

    /// The `beta_schedule` names Diffuse computes.
    public static let betaScheduleNames = ["linear", "scaled_linear", "squaredcos_cap_v2"]
    /// The `prediction_type` names Diffuse's denoisers handle.
    public static let predictionTypeNames = ["epsilon", "v_prediction", "sample"]
    /// The `timestep_spacing` names.
    public static let timestepSpacingNames = ["leading", "linspace", "trailing"]

    /// Checks the step count, the β range, `trained_betas` and the names.
    public func validate() throws {
        try Check.positive(numTrainTimesteps, CodingKeys.numTrainTimesteps.stringValue)
        try Check.nonNegative(stepsOffset, CodingKeys.stepsOffset.stringValue)
        try Check.oneOf(betaSchedule, CodingKeys.betaSchedule.stringValue, Self.betaScheduleNames)
        try Check.oneOf(predictionType, CodingKeys.predictionType.stringValue, Self.predictionTypeNames)
        try Check.oneOf(timestepSpacing, CodingKeys.timestepSpacing.stringValue, Self.timestepSpacingNames)
        try Check.positive(clipSampleRange, CodingKeys.clipSampleRange.stringValue)
        guard numTrainTimesteps >= 2 else {
            throw ConfigError(field: CodingKeys.numTrainTimesteps.stringValue, "\(numTrainTimesteps) must be at least 2")
        }
        if let trainedBetas {
            let key = CodingKeys.trainedBetas.stringValue
            try Check.count(trainedBetas.count, key, matches: numTrainTimesteps, of: "num_train_timesteps")
            for (i, beta) in trainedBetas.enumerated() where !(beta > 0 && beta < 1) {
                throw ConfigError(field: "\(key)[\(i)]", "\(beta) is not in (0, 1)")
            }
        } else if betaSchedule != "squaredcos_cap_v2" {
            for (key, beta) in [(CodingKeys.betaStart, betaStart), (.betaEnd, betaEnd)] where !(beta > 0 && beta < 1) {
                throw ConfigError(field: key.stringValue, "\(beta) is not in (0, 1)")
            }
            guard betaStart <= betaEnd else {
                throw ConfigError(field: CodingKeys.betaEnd.stringValue, "\(betaEnd) is below beta_start \(betaStart)")
            }
        }
    }

    /// 0: a scheduler has no weights.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        return 0
    }
}
