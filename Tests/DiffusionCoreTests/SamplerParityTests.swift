import DiffusionCore
import Testing
import Tensors

/// Full sampling loops against diffusers 0.42.1 scheduler loops (fixture "samplers",
/// tools/fixtures/fx_samplers.py): a [1, 4, 4, 4] latent, 10 steps (LCM 4, PNDM also 1 and 2), the dummy network of
/// `dummyNetwork`, and every noise tensor diffusers drew replayed in order.
/// Tolerance on the final latent: |actual − expected| ≤ 1e-5 + 1e-5·|expected|.
@Suite struct SamplerParityTests {
    let file = try! Fixtures.load("samplers")
    static let training = try! TrainingNoiseSchedule(.scaledLinear(start: 0.00085, end: 0.012))

    /// One fixture case: which sampler, schedule and prediction type reproduce it.
    struct Case: CustomStringConvertible {
        var name: String
        var sampler: SamplerName
        var spacing: TimestepSpacing
        var stepsOffset = 0
        var karras = false
        var finalSigmaIsZero = true
        var eta = 0.0
        var steps = 10
        var description: String { name }
    }

    static func cases(_ tag: String) -> [Case] {
        [
            Case(name: "ddim_leading_\(tag)", sampler: .ddim, spacing: .leading, stepsOffset: 1, finalSigmaIsZero: false),
            Case(name: "ddim_eta1_leading_\(tag)", sampler: .ddim, spacing: .leading, stepsOffset: 1, eta: 1),
            Case(name: "ddim_trailing_\(tag)", sampler: .ddim, spacing: .trailing),
            Case(name: "ddpm_leading_\(tag)", sampler: .ddpm, spacing: .leading),
            Case(name: "euler_linspace_\(tag)", sampler: .euler, spacing: .linspace),
            Case(name: "euler_leading_\(tag)", sampler: .euler, spacing: .leading, stepsOffset: 1),
            Case(name: "euler_karras_\(tag)", sampler: .euler, spacing: .linspace, karras: true),
            Case(name: "euler_ancestral_linspace_\(tag)", sampler: .eulerAncestral, spacing: .linspace),
            Case(name: "heun_linspace_\(tag)", sampler: .heun, spacing: .linspace),
            Case(name: "heun_karras_\(tag)", sampler: .heun, spacing: .linspace, karras: true),
            Case(name: "lms_linspace_\(tag)", sampler: .lms, spacing: .linspace),
            Case(name: "lms_karras_\(tag)", sampler: .lms, spacing: .linspace, karras: true),
            Case(name: "dpmpp_2m_linspace_\(tag)", sampler: .dpmpp2m, spacing: .linspace),
            Case(name: "dpmpp_2m_karras_\(tag)", sampler: .dpmpp2m, spacing: .linspace, karras: true),
            Case(name: "dpmpp_2m_sde_linspace_\(tag)", sampler: .dpmpp2mSDE, spacing: .linspace),
            Case(name: "dpmpp_2m_sde_karras_\(tag)", sampler: .dpmpp2mSDE, spacing: .linspace, karras: true),
            Case(name: "unipc_linspace_\(tag)", sampler: .uniPC, spacing: .linspace),
            Case(name: "unipc_karras_\(tag)", sampler: .uniPC, spacing: .linspace, karras: true),
            Case(name: "lcm_leading_\(tag)", sampler: .lcm, spacing: .leading, steps: 4),
            Case(name: "pndm_leading_\(tag)", sampler: .pndm, spacing: .leading, stepsOffset: 1, finalSigmaIsZero: false),
            Case(name: "pndm_2steps_leading_\(tag)", sampler: .pndm, spacing: .leading, stepsOffset: 1, finalSigmaIsZero: false, steps: 2),
            Case(name: "pndm_1step_leading_\(tag)", sampler: .pndm, spacing: .leading, stepsOffset: 1, finalSigmaIsZero: false, steps: 1),
            Case(name: "pndm_trailing_\(tag)", sampler: .pndm, spacing: .trailing),
        ]
    }

    func schedule(_ c: Case) throws -> SigmaSchedule {
        try DiscreteSchedule(training: Self.training, formula: c.sampler.timestepFormula, spacing: c.spacing,
                             stepsOffset: c.stepsOffset, ramp: c.karras ? .karras() : .none,
                             finalSigmaIsZero: c.finalSigmaIsZero).schedule(steps: c.steps)
    }

    func run(_ c: Case, prediction: PredictionType) throws {
        let levels = try schedule(c)
        let model = ModelDenoiser(prediction: prediction, training: Self.training, network: dummyNetwork)
        var noise = try RecordedNoise(fixture: file, case: c.name)
        let result: Tensor
        if c.sampler == .lcm {
            result = try generate(start: .noise(shape: [1, 4, 4, 4]), schedule: levels, sampler: c.sampler.sampler(eta: c.eta),
                                  denoiser: LCMBoundaryDenoiser(model, training: Self.training), noise: &noise)
        } else {
            result = try generate(start: .noise(shape: [1, 4, 4, 4]), schedule: levels, sampler: c.sampler.sampler(eta: c.eta, prediction: prediction),
                                  denoiser: model, noise: &noise)
        }
        #expect(noise.next == noise.draws.count, "\(c.name): used \(noise.next) of \(noise.draws.count) recorded noise draws")
        expectClose(result, try file.tensor("\(c.name).result"), abs: 1e-5, rel: 1e-5, c.name)
    }

    @Test(arguments: cases("eps")) func epsilonPrediction(_ c: Case) throws {
        try run(c, prediction: .epsilon)
    }

    @Test(arguments: cases("v")) func vPrediction(_ c: Case) throws {
        try run(c, prediction: .vPrediction)
    }

    @Test func schedulesOfTheLoopsMatch() throws {
        for c in Self.cases("eps") + Self.cases("v") {
            let levels = try schedule(c)
            let timesteps = try file.tensor("\(c.name).timesteps").scalars.map(Double.init)
            if c.sampler != .heun {
                // PNDM's table repeats its second timestep (the trial transfer of the first step).
                let reference = c.sampler == .pndm && timesteps.count > 2 ? [timesteps[0]] + timesteps.dropFirst(2) : timesteps
                expectClose(Tensor(shape: [levels.timesteps.count], scalars: levels.timesteps.map { Float($0) }),
                            Tensor(shape: [reference.count], scalars: reference.map { Float($0) }), abs: 0, rel: 1e-6, "\(c.name) timesteps")
            }
            // DDIM, DDPM and LCM keep ᾱ tables, not σ.
            if [.ddim, .ddpm, .lcm, .pndm].contains(c.sampler) { continue }
            let sigmas = Tensor(shape: [levels.sigmas.count], scalars: levels.sigmas.map { Float($0) })
            let expected = try file.tensor("\(c.name).sigmas")
            // Heun's diffusers table repeats every inner σ for its second stage.
            let reference = c.sampler == .heun
                ? Tensor(shape: [levels.sigmas.count], scalars: [expected.scalars[0]] + stride(from: 1, to: expected.count, by: 2).map { expected.scalars[$0] })
                : expected
            expectClose(sigmas, reference, abs: 0, rel: 1e-6, "\(c.name) sigmas")
            expectClose(Tensor(shape: [1], scalars: [Float(levels.initNoiseSigma)]) ,
                        c.sampler.timestepFormula == .eulerDiscrete ? try file.tensor("\(c.name).init_noise_sigma")
                            : Tensor(shape: [1], scalars: [Float((1 + levels.sigmas[0] * levels.sigmas[0]).squareRoot())]),
                        abs: 0, rel: 1e-6, "\(c.name) init_noise_sigma")
        }
    }

    @Test(arguments: ["flow_shift3_flow", "flow_flux_dynamic_flow"]) func flowMatchEuler(_ name: String) throws {
        let schedule = name == "flow_shift3_flow" ? FlowMatchSchedule(shift: .static(3))
            : FlowMatchSchedule(shift: .dynamic(mu: FlowMatchSchedule.mu(imageSequenceLength: 1024)), ramp: .flux)
        let model = ModelDenoiser(prediction: .flow, training: nil, network: dummyNetwork)
        var noise = try RecordedNoise(fixture: file, case: name)
        let result = try generate(start: .noise(shape: [1, 4, 4, 4]), schedule: try schedule.schedule(steps: 10),
                                  sampler: FlowMatchEuler(), denoiser: model, noise: &noise)
        expectClose(result, try file.tensor("\(name).result"), abs: 1e-5, rel: 1e-5, name)
    }
}
