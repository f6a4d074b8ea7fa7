import DiffusionCore
import Testing
import Tensors

/// Bad input gives a `DiffusionError` with a one-line description, never a trap.
@Suite struct BadInputTests {
    static let training = try! TrainingNoiseSchedule(.scaledLinear())

    @Test(arguments: [0, -1, 1001]) func stepCountsOutOfRange(_ steps: Int) throws {
        for formula in [TimestepFormula.eulerDiscrete, .ddim, .dpmSolver, .lcm()] {
            let schedule = DiscreteSchedule(training: Self.training, formula: formula)
            #expect(throws: DiffusionError.self) { try schedule.schedule(steps: steps) }
        }
        #expect(throws: DiffusionError.invalidStepCount(steps, trainingSteps: 1000)) {
            try FlowMatchSchedule().schedule(steps: steps)
        }
        let message = DiffusionError.invalidStepCount(steps, trainingSteps: 1000).description
        #expect(message.contains("\(steps)") && message.contains("1000") && !message.contains("\n"))
    }

    @Test(arguments: [-0.1, 1.5, Double.nan, Double.infinity]) func strengthOutsideZeroOne(_ strength: Double) throws {
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training, network: dummyNetwork)
        var noise = RecordedNoise([])
        #expect(throws: DiffusionError.self) {
            _ = try generate(start: .latent(Tensor(zeros: [1, 4, 4, 4]), strength: strength),
                             schedule: try DiscreteSchedule(training: Self.training).schedule(steps: 10),
                             sampler: Euler(), denoiser: model, noise: &noise)
        }
        #expect(throws: DiffusionError.self) { try stepsKept(steps: 10, strength: strength) }
    }

    @Test func strengthZeroReturnsTheLatent() throws {
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training, network: dummyNetwork)
        var noise = RecordedNoise([])
        let latent = Tensor(shape: [1, 1, 1, 2], scalars: [0.25, -0.5])
        let result = try generate(start: .latent(latent, strength: 0), schedule: try DiscreteSchedule(training: Self.training).schedule(steps: 10),
                                  sampler: Euler(), denoiser: model, noise: &noise)
        #expect(result == latent)
        #expect(try stepsKept(steps: 10, strength: 1) == (0, 10))
        #expect(try stepsKept(steps: 10, strength: 0.3) == (7, 3))
    }

    @Test(arguments: [Double.nan, Double.infinity, -Double.infinity]) func nonFiniteGuidance(_ value: Double) throws {
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training, network: dummyNetwork)
        let error = #expect(throws: DiffusionError.self) {
            try ClassifierFreeGuidance(model, scale: value, unconditional: Conditioning())
        }
        #expect(error?.description.hasPrefix("guidance scale") == true)
        #expect(throws: DiffusionError.self) {
            try ClassifierFreeGuidance(model, scale: 7.5, rescale: value, unconditional: Conditioning())
        }
    }

    @Test func unknownSamplerListsTheValidOnes() throws {
        #expect(throws: DiffusionError.self) { try SamplerName(parsing: "euler_b") }
        do {
            _ = try SamplerName(parsing: "euler_b")
        } catch let error as DiffusionError {
            let message = error.description
            #expect(message.contains("euler_b"))
            for name in SamplerName.allCases { #expect(message.contains(name.rawValue)) }
            #expect(!message.contains("\n"))
        }
        #expect(try SamplerName(parsing: "Euler_A") == .eulerAncestral)
        #expect(try SamplerName(parsing: "DPMSolverMultistepScheduler") == .dpmpp2m)
        #expect(try SamplerName(parsing: "dpmpp_2m_sde") == .dpmpp2mSDE)
    }

    @Test func badFlowShiftAndLatentShape() throws {
        #expect(throws: DiffusionError.self) { try FlowMatchSchedule(shift: .static(0)).schedule(steps: 10) }
        #expect(throws: DiffusionError.self) { try FlowMatchSchedule(shift: .static(.nan)).schedule(steps: 10) }
        #expect(throws: DiffusionError.self) { try FlowMatchSchedule(shift: .dynamic(mu: .infinity)).schedule(steps: 10) }
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training, network: dummyNetwork)
        var noise = RecordedNoise([])
        #expect(throws: DiffusionError.self) {
            _ = try generate(start: .noise(shape: [1, 0, 4]), schedule: try DiscreteSchedule(training: Self.training).schedule(steps: 4),
                             sampler: Euler(), denoiser: model, noise: &noise)
        }
    }

    @Test func networkReturningTheWrongShape() throws {
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training) { _, _, _ in Tensor(zeros: [1]) }
        var noise = RecordedNoise([Tensor(zeros: [1, 2])])
        #expect(throws: DiffusionError.networkOutputShape(got: [1], expected: [1, 2])) {
            _ = try generate(start: .noise(shape: [1, 2]), schedule: try DiscreteSchedule(training: Self.training).schedule(steps: 2),
                             sampler: Euler(), denoiser: model, noise: &noise)
        }
    }

    @Test func lcmNeedsFewerStepsThanItsGrid() throws {
        let lcm = DiscreteSchedule(training: Self.training, formula: .lcm(originalSteps: 50))
        #expect(throws: DiffusionError.self) { try lcm.schedule(steps: 51) }
    }
}
