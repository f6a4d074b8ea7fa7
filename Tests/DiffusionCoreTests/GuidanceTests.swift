import DiffusionCore
import Testing
import Tensors

/// Classifier-free guidance, guidance rescale and img2img starts against diffusers' pipeline
/// formulas (fixture "samplers", tools/fixtures/fx_samplers.py).
/// Tolerance on final latents: |actual − expected| ≤ 1e-5 + 1e-5·|expected|.
@Suite struct GuidanceTests {
    let file = try! Fixtures.load("samplers")
    static let training = SamplerParityTests.training

    @Test func rescaleNoiseCFGMatchesDiffusers() throws {
        let result = rescaledGuidance(try file.tensor("rescale.cfg"), conditional: try file.tensor("rescale.text"), rescale: 0.7)
        expectClose(result, try file.tensor("rescale.result"), abs: 1e-6, rel: 1e-6, "rescale_noise_cfg")
    }

    func guidedRun(_ name: String, sampler: some Sampler, schedule: DiscreteSchedule, prediction: PredictionType,
                   scale: Double, rescale: Double, evaluations: inout [Int]) throws -> Tensor {
        let emb = try file.tensor("\(name).emb")                                    // [2, 8]: uncond, cond
        let uncond = Conditioning(["emb": Tensor(shape: [1, 8], scalars: Array(emb.scalars[0..<8]))])
        let cond = Conditioning(["emb": Tensor(shape: [1, 8], scalars: Array(emb.scalars[8..<16]))])
        var batches: [Int] = []
        let model = ModelDenoiser(prediction: prediction, training: Self.training) { x, t, c in
            batches.append(x.shape[0])
            return try dummyNetwork(x, t, c)
        }
        let guided = try ClassifierFreeGuidance(model, scale: scale, rescale: rescale, unconditional: uncond)
        var noise = try RecordedNoise(fixture: file, case: name)
        let result = try generate(start: .noise(shape: [1, 4, 4, 4]), schedule: try schedule.schedule(steps: 10),
                                  sampler: sampler, denoiser: guided, conditioning: cond, noise: &noise)
        evaluations = batches
        return result
    }

    @Test func classifierFreeGuidanceOneBatchedPass() throws {
        var batches: [Int] = []
        let result = try guidedRun("cfg_euler_linspace_eps", sampler: Euler(),
                                   schedule: DiscreteSchedule(training: Self.training), prediction: .epsilon,
                                   scale: 7.5, rescale: 0, evaluations: &batches)
        expectClose(result, try file.tensor("cfg_euler_linspace_eps.result"), abs: 1e-5, rel: 1e-5, "CFG 7.5 Euler ε")
        #expect(batches == Array(repeating: 2, count: 10), "one [uncond; cond] pass per step")
    }

    @Test func guidanceRescaleOnVPrediction() throws {
        var batches: [Int] = []
        let schedule = DiscreteSchedule(training: Self.training, formula: .ddim, spacing: .trailing)
        let result = try guidedRun("cfg_ddim_trailing_v_rescale", sampler: DDIM(), schedule: schedule,
                                   prediction: .vPrediction, scale: 7.5, rescale: 0.7, evaluations: &batches)
        expectClose(result, try file.tensor("cfg_ddim_trailing_v_rescale.result"), abs: 1e-5, rel: 1e-5, "CFG 7.5 rescale 0.7 DDIM v")
    }

    @Test func scaleOneSkipsTheUnconditionalPass() throws {
        var batches: [Int] = []
        let result = try guidedRun("cfg_euler_linspace_eps_scale1", sampler: Euler(),
                                   schedule: DiscreteSchedule(training: Self.training), prediction: .epsilon,
                                   scale: 1, rescale: 0, evaluations: &batches)
        expectClose(result, try file.tensor("cfg_euler_linspace_eps_scale1.result"), abs: 1e-5, rel: 1e-5, "CFG 1")
        #expect(batches == Array(repeating: 1, count: 10), "no unconditional rows at scale 1")
    }

    @Test(arguments: [
        ("img2img_euler_leading_eps", SamplerName.euler, TimestepSpacing.leading, 1, PredictionType.epsilon),
        ("img2img_ddim_leading_eps", .ddim, .leading, 1, .epsilon),
        ("img2img_dpmpp_2m_linspace_v", .dpmpp2m, .linspace, 0, .vPrediction),
        ("img2img_heun_linspace_eps", .heun, .linspace, 0, .epsilon),
    ])
    func img2imgStrength(_ name: String, _ sampler: SamplerName, _ spacing: TimestepSpacing, _ offset: Int,
                         _ prediction: PredictionType) throws {
        let schedule = try DiscreteSchedule(training: Self.training, formula: sampler.timestepFormula, spacing: spacing,
                                            stepsOffset: offset, finalSigmaIsZero: sampler != .ddim).schedule(steps: 10)
        let model = ModelDenoiser(prediction: prediction, training: Self.training, network: dummyNetwork)
        var noise = try RecordedNoise(fixture: file, case: name)
        var steps = 0
        let result = try generate(start: .latent(try file.tensor("\(name).image"), strength: 0.6), schedule: schedule,
                                  sampler: sampler.sampler(), denoiser: model, noise: &noise) { _ in steps += 1 }
        #expect(steps == 6, "strength 0.6 of 10 steps runs 6")
        expectClose(result, try file.tensor("\(name).result"), abs: 1e-5, rel: 1e-5, name)
    }

    @Test func img2imgFlow() throws {
        let name = "img2img_flow_shift3_flow"
        let model = ModelDenoiser(prediction: .flow, training: nil, network: dummyNetwork)
        var noise = try RecordedNoise(fixture: file, case: name)
        let result = try generate(start: .latent(try file.tensor("\(name).image"), strength: 0.6),
                                  schedule: try FlowMatchSchedule(shift: .static(3)).schedule(steps: 10),
                                  sampler: FlowMatchEuler(), denoiser: model, noise: &noise)
        expectClose(result, try file.tensor("\(name).result"), abs: 1e-5, rel: 1e-5, name)
    }

    @Test func observerSeesEveryStepAndCanCancel() throws {
        struct Cancelled: Error {}
        let model = ModelDenoiser(prediction: .epsilon, training: Self.training, network: dummyNetwork)
        let schedule = try DiscreteSchedule(training: Self.training).schedule(steps: 10)
        var noise = try RecordedNoise(fixture: file, case: "euler_linspace_eps")
        var seen: [SamplerStep] = []
        #expect(throws: Cancelled.self) {
            _ = try generate(start: .noise(shape: [1, 4, 4, 4]), schedule: schedule, sampler: Euler(), denoiser: model,
                             noise: &noise) { step in
                seen.append(step)
                if step.step == 3 { throw Cancelled() }
            }
        }
        #expect(seen.map(\.step) == [0, 1, 2, 3])
        #expect(seen.allSatisfy { $0.total == 10 && $0.denoised.shape == [1, 4, 4, 4] })
        #expect(seen.map(\.sigma) == Array(schedule.sigmas[0..<4]))
    }
}
