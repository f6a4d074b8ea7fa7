import DiffusionCore
import Testing
import Tensors

/// Schedules against diffusers 0.42.1 (fixture "schedules", tools/fixtures/fx_schedules.py):
/// float values within rel 1e-6, integer timesteps exactly.
@Suite struct ScheduleTests {
    let file = try! Fixtures.load("schedules")
    static let sd = BetaSchedule.scaledLinear(start: 0.00085, end: 0.012)

    func vector(_ values: [Double]) -> Tensor { Tensor(shape: [values.count], scalars: values.map { Float($0) }) }

    func check(_ schedule: SigmaSchedule, _ name: String, integerTimesteps: Bool, initNoise: Bool = true) throws {
        expectClose(vector(schedule.sigmas), try file.tensor("\(name).sigmas"), abs: 0, rel: 1e-6, "\(name) sigmas")
        let timesteps = try file.tensor("\(name).timesteps")
        if integerTimesteps {
            #expect(schedule.timesteps == timesteps.scalars.map(Double.init), "\(name) timesteps")
        } else {
            expectClose(vector(schedule.timesteps), timesteps, abs: 1e-6, rel: 1e-6, "\(name) timesteps")
        }
        if initNoise {
            expectClose(vector([schedule.initNoiseSigma]), try file.tensor("\(name).init_noise_sigma"), abs: 0, rel: 1e-6, "\(name) init_noise_sigma")
        }
    }

    @Test func betasAndAlphasCumprod() throws {
        let cases: [(String, BetaSchedule, Bool)] = [
            ("linear", .linear(), false), ("scaled_linear", Self.sd, false),
            ("squaredcos_cap_v2", .squaredCosCapV2, false), ("scaled_linear_zsnr", Self.sd, true),
        ]
        for (name, betas, zsnr) in cases {
            let training = try TrainingNoiseSchedule(betas, rescaleZeroTerminalSNR: zsnr)
            // Zero terminal SNR differences of nearly equal √ᾱ near t = T amplify the one-ulp
            // differences between torch.linspace's float32 kernel and a correctly rounded linspace.
            let rel: Float = zsnr ? 2e-5 : 1e-6
            expectClose(vector(training.betas), try file.tensor("betas.\(name)"), abs: zsnr ? 1e-6 : 1e-9, rel: rel, "betas \(name)")
            expectClose(vector(training.alphasCumprod), try file.tensor("alphas_cumprod.\(name)"), abs: 1e-9, rel: zsnr ? 2e-6 : 1e-6, "ᾱ \(name)")
        }
    }

    @Test func eulerFamilySpacings() throws {
        let training = try TrainingNoiseSchedule(Self.sd)
        for steps in [10, 7, 25] {
            for (spacing, offset) in [(TimestepSpacing.linspace, 0), (.leading, 1), (.trailing, 0)] {
                let s = DiscreteSchedule(training: training, formula: .eulerDiscrete, spacing: spacing, stepsOffset: offset)
                try check(try s.schedule(steps: steps), "euler_\(spacing.rawValue)_\(steps)", integerTimesteps: false)
            }
        }
    }

    @Test func karrasAndExponentialRamps() throws {
        let training = try TrainingNoiseSchedule(Self.sd)
        for (ramp, tag) in [(SigmaRamp.karras(), "karras"), (.exponential, "exponential")] {
            for (spacing, offset) in [(TimestepSpacing.linspace, 0), (.leading, 1)] {
                let s = DiscreteSchedule(training: training, spacing: spacing, stepsOffset: offset, ramp: ramp)
                try check(try s.schedule(steps: 10), "euler_\(spacing.rawValue)_\(tag)_10", integerTimesteps: false)
            }
        }
        for tag in ["dpm", "unipc"] {
            let s = DiscreteSchedule(training: training, formula: .dpmSolver, ramp: .karras())
            try check(try s.schedule(steps: 10), "\(tag)_linspace_karras_10", integerTimesteps: true, initNoise: false)
        }
        let exponential = DiscreteSchedule(training: training, formula: .dpmSolver, ramp: .exponential)
        try check(try exponential.schedule(steps: 10), "dpm_linspace_exponential_10", integerTimesteps: true, initNoise: false)
    }

    @Test func zeroTerminalSNRAndCosine() throws {
        let zsnr = DiscreteSchedule(training: try TrainingNoiseSchedule(Self.sd, rescaleZeroTerminalSNR: true), spacing: .trailing)
        try check(try zsnr.schedule(steps: 10), "euler_trailing_zsnr_10", integerTimesteps: false)
        let cosine = DiscreteSchedule(training: try TrainingNoiseSchedule(.squaredCosCapV2))
        try check(try cosine.schedule(steps: 10), "euler_cosine_linspace_10", integerTimesteps: false)
    }

    @Test func integerTimestepFormulas() throws {
        let training = try TrainingNoiseSchedule(Self.sd)
        for steps in [10, 7, 25] {
            for (spacing, offset) in [(TimestepSpacing.linspace, 0), (.leading, 1), (.trailing, 0)] {
                let ddim = DiscreteSchedule(training: training, formula: .ddim, spacing: spacing, stepsOffset: offset)
                let expected = try file.tensor("ddim_\(spacing.rawValue)_\(steps).timesteps").scalars.map(Double.init)
                #expect(try ddim.timesteps(steps: steps) == expected, "ddim \(spacing) \(steps)")
            }
        }
        for tag in ["dpm", "unipc"] {
            for steps in [10, 7] {
                for (spacing, offset) in [(TimestepSpacing.linspace, 0), (.leading, 1), (.trailing, 0)] {
                    let s = DiscreteSchedule(training: training, formula: .dpmSolver, spacing: spacing, stepsOffset: offset)
                    try check(try s.schedule(steps: steps), "\(tag)_\(spacing.rawValue)_\(steps)", integerTimesteps: true, initNoise: false)
                }
            }
        }
        for steps in [4, 8] {
            let lcm = DiscreteSchedule(training: training, formula: .lcm(), spacing: .leading)
            #expect(try lcm.timesteps(steps: steps) == (try file.tensor("lcm_\(steps).timesteps")).scalars.map(Double.init), "lcm \(steps)")
        }
    }

    @Test func flowMatching() throws {
        for shift in [1.0, 3.0] {
            try check(try FlowMatchSchedule(shift: .static(shift)).schedule(steps: 10), "flow_shift\(Int(shift))_10",
                      integerTimesteps: false, initNoise: false)
        }
        let mu = FlowMatchSchedule.mu(imageSequenceLength: 1024)
        expectClose(vector([mu]), try file.tensor("flow_mu_1024"), abs: 0, rel: 1e-7, "calculate_shift(1024)")
        try check(try FlowMatchSchedule(shift: .dynamic(mu: mu)).schedule(steps: 10), "flow_dynamic_10",
                  integerTimesteps: false, initNoise: false)
        try check(try FlowMatchSchedule(shift: .dynamic(mu: mu), ramp: .flux).schedule(steps: 10), "flow_flux_dynamic_10",
                  integerTimesteps: false, initNoise: false)
    }

    @Test func sigmaToTimestepInvertsTheTable() throws {
        let training = try TrainingNoiseSchedule(Self.sd)
        // The table holds float32 log σ, as diffusers' does, so the round trip is exact to ~1e-5 only.
        for t in [0, 1, 250, 500, 998, 999] {
            #expect(abs(training.timestep(forSigma: training.sigmas[t]) - Double(t)) < 1e-4)
        }
        let between = training.timestep(forSigma: (training.sigmas[400] * training.sigmas[401]).squareRoot())
        #expect(between > 400 && between < 401)
        #expect(training.timestep(forSigma: 1e-6) == 0)
        #expect(training.timestep(forSigma: 1e6) == 999)
    }
}
