import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents
import Testing
import Tensors
import VideoModality

/// The video pipeline on an AnimateDiff folder against diffusers 0.42.1's AnimateDiffPipeline and
/// AnimateDiffVideoToVideoPipeline on Tests/Fixtures/tiny-animatediff (fixture "animatediff_pipeline", from
/// tools/fixtures/fx_animatediff_pipeline.py, whose CASES these settings repeat). The ancestral cases
/// check the order of the step noise, which differs from text-to-video-ms's. Frames are compared in
/// [0, 1] before quantisation: max-abs ≤ 3e-3 (ARCHITECTURE.md, pipelines).
@Suite struct AnimateDiffPipelineParityTests {
    static let folder = Fixtures.folder.appendingPathComponent("tiny-animatediff")
    let file = try! Fixtures.load("animatediff_pipeline")

    /// One fixture case.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var request: VideoRequest
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ddim", request: VideoRequest(prompt: "a cat on the dog", negativePrompt: "the dog", frames: 4, width: 32,
                                                 height: 32, steps: 3, guidanceScale: 7.5, seed: TorchSeed(42))),
        Case(name: "euler_a", request: VideoRequest(prompt: "a dog", negativePrompt: "the cat", frames: 5, width: 24, height: 16,
                                                    steps: 3, sampler: .eulerAncestral, guidanceScale: 7.5, seed: TorchSeed(3))),
        Case(name: "vid2vid_euler_a", request: VideoRequest(prompt: "a cat", negativePrompt: "the dog", steps: 5,
                                                            sampler: .eulerAncestral, guidanceScale: 3, seed: TorchSeed(11),
                                                            strength: 0.6)),
    ]

    @Test(arguments: cases) func pipelineMatchesDiffusers(_ c: Case) throws {
        let pipeline = try TextToVideoSDPipeline(folder: Self.folder)
        #expect(!pipeline.stepsOnFrames)
        var request = c.request
        if c.name.hasPrefix("vid2vid") { request.initVideo = try initVideo(try file.tensor("init_video")) }
        var evaluations = 0
        let result = try pipeline.generate(request) { _ in evaluations += 1 }
        #expect(evaluations == result.settings.stepsRun, "\(c.name): observed \(evaluations) steps")
        expectClose(result.latents, try file.tensor("\(c.name).latents"), abs: 2e-3, rel: 1e-3, "\(c.name) latents")
        let expected = try file.tensor("\(c.name).frames")
        let actual = channelsLast(result.pixels)
        expectClose(actual, expected, abs: 3e-3, "\(c.name) frames")
        if actual.shape == expected.shape {
            let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .nan
            print("\(c.name): frames max-abs \(worst) against diffusers")
        }
    }
}
