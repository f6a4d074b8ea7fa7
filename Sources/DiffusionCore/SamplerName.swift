/// The samplers by the names users know (ComfyUI's where it has one), with what each needs
/// from the schedule to reproduce its diffusers scheduler.
public enum SamplerName: String, Sendable, CaseIterable {
    case ddim
    case ddpm
    case pndm
    case euler
    case eulerAncestral = "euler_ancestral"
    case heun
    case lms
    case dpmpp2m = "dpmpp_2m"
    case dpmpp2mSDE = "dpmpp_2m_sde"
    case uniPC = "uni_pc_bh2"
    case lcm
    case flowMatchEuler = "flow_match_euler"

    /// Other spellings accepted by `init(parsing:)` (A1111, k-diffusion and diffusers names).
    public var aliases: [String] {
        switch self {
        case .ddim: ["DDIMScheduler"]
        case .ddpm: ["DDPMScheduler"]
        case .pndm: ["plms", "PNDMScheduler"]
        case .euler: ["k_euler", "sample_euler", "EulerDiscreteScheduler"]
        case .eulerAncestral: ["euler_a", "k_euler_a", "k_euler_ancestral", "sample_euler_ancestral", "EulerAncestralDiscreteScheduler"]
        case .heun: ["k_heun", "sample_heun", "HeunDiscreteScheduler"]
        case .lms: ["k_lms", "sample_lms", "LMSDiscreteScheduler"]
        case .dpmpp2m: ["dpm++_2m", "k_dpmpp_2m", "sample_dpmpp_2m", "DPMSolverMultistepScheduler"]
        case .dpmpp2mSDE: ["dpm++_2m_sde", "k_dpmpp_2m_sde", "sample_dpmpp_2m_sde"]
        case .uniPC: ["unipc", "uni_pc", "UniPCMultistepScheduler"]
        case .lcm: ["sample_lcm", "LCMScheduler"]
        case .flowMatchEuler: ["FlowMatchEulerDiscreteScheduler"]
        }
    }

    /// The name AUTOMATIC1111 writes in a PNG's `parameters` (`Euler a`, `DPM++ 2M`, `PLMS`).
    public var displayName: String {
        switch self {
        case .ddim: "DDIM"
        case .ddpm: "DDPM"
        case .pndm: "PLMS"
        case .euler: "Euler"
        case .eulerAncestral: "Euler a"
        case .heun: "Heun"
        case .lms: "LMS"
        case .dpmpp2m: "DPM++ 2M"
        case .dpmpp2mSDE: "DPM++ 2M SDE"
        case .uniPC: "UniPC"
        case .lcm: "LCM"
        case .flowMatchEuler: "Euler (flow)"
        }
    }

    /// Looks a sampler up by its name or an alias (case-insensitive); an unknown name throws
    /// `DiffusionError.unknownSampler` listing the valid names.
    public init(parsing name: String) throws {
        let key = name.lowercased()
        guard let found = Self.allCases.first(where: { $0.rawValue == key || $0.aliases.contains { $0.lowercased() == key } }) else {
            throw DiffusionError.unknownSampler(name, valid: Self.allCases.map(\.rawValue))
        }
        self = found
    }

    /// Denoiser evaluations of a `steps`-step run from pure noise: Heun evaluates twice per step
    /// except the last (an Euler step to σ = 0); PLMS once more at its first step (the trial
    /// step that stands in for the missing history); every other sampler once per step.
    public func modelEvaluations(steps: Int) -> Int {
        switch self {
        case .heun: max(2 * steps - 1, 0)
        case .pndm: steps > 1 ? steps + 1 : steps
        default: steps
        }
    }

    /// A sampler of this kind (`eta` is used by DDIM only; `prediction`, the network's output
    /// type, by PNDM, whose history diffusers combines in that parameterisation).
    public func sampler(eta: Double = 0, prediction: PredictionType = .epsilon) -> any Sampler {
        switch self {
        case .ddim: DDIM(eta: eta)
        case .ddpm: DDPM()
        case .pndm: PNDM(combining: prediction)
        case .euler: Euler()
        case .eulerAncestral: EulerAncestral()
        case .heun: Heun()
        case .lms: LMS()
        case .dpmpp2m: DPMSolverPP2M()
        case .dpmpp2mSDE: DPMSolverPP2MSDE()
        case .uniPC: UniPC()
        case .lcm: LCM()
        case .flowMatchEuler: FlowMatchEuler()
        }
    }

    /// The diffusers timestep formula of the scheduler this sampler reproduces.
    public var timestepFormula: TimestepFormula {
        switch self {
        case .ddim, .ddpm, .pndm: .ddim
        case .euler, .eulerAncestral, .heun, .lms, .flowMatchEuler: .eulerDiscrete
        case .dpmpp2m, .dpmpp2mSDE, .uniPC: .dpmSolver
        case .lcm: .lcm()
        }
    }

    /// diffusers' default `timestep_spacing` for that scheduler class.
    public var defaultSpacing: TimestepSpacing {
        switch self {
        case .ddim, .ddpm, .pndm, .lcm: .leading
        default: .linspace
        }
    }

    /// Whether diffusers offers Karras σ for that scheduler (`use_karras_sigmas`).
    public var supportsKarras: Bool {
        switch self {
        case .euler, .heun, .lms, .dpmpp2m, .dpmpp2mSDE, .uniPC: true
        default: false
        }
    }
}
