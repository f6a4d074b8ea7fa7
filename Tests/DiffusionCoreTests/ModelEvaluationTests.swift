import DiffusionCore
import Testing
import Tensors

/// `SamplerName.modelEvaluations(steps:)` (the denominator of `diffuse compare`'s time per
/// evaluation) against the calls each sampler really makes to a counting denoiser.
@Suite struct ModelEvaluationTests {
    @Test(arguments: SamplerName.allCases.filter { $0 != .flowMatchEuler }, [1, 2, 5])
    func countMatchesTheSampler(_ name: SamplerName, steps: Int) throws {
        var calls = 0
        let model = ModelDenoiser(prediction: .epsilon, training: SamplerParityTests.training) { x, t, c in
            calls += 1
            return try dummyNetwork(x, t, c)
        }
        let schedule = try DiscreteSchedule(training: SamplerParityTests.training).schedule(steps: steps)
        var noise = TorchGenerator(seed: 0)
        _ = try generate(start: .noise(shape: [1, 2, 2, 2]), schedule: schedule, sampler: name.sampler(), denoiser: model,
                         noise: &noise)
        #expect(calls == name.modelEvaluations(steps: steps), "\(name.rawValue), \(steps) steps: \(calls) calls")
    }
}
