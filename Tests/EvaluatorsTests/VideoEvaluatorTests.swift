import Evaluators
import Foundation
import MediaIO
import Testing
import Tensors

/// `VideoEvaluator` against `Models/recipes/eval_video.py: track` on clips rendered by
/// data_video.py (8 of their 16 frames; the second through the VAE): fixture "evaluators_video"
/// and `evaluators/cases.json` from tools/fixtures/fx_evaluators.py.
@Suite struct VideoEvaluatorTests {
    /// Centroids within 1e-4 pixels and the displacement within 1e-5 (numpy's float64 stored as
    /// float32; measured ≤ 1.5e-6), the median colour exactly.
    @Test func trackMatchesPython() throws {
        let file = try Fixtures.load("evaluators_video")
        let cases = try EvaluatorFixtures.cases().video
        #expect(cases.count == 2)
        for k in cases.indices {
            let t = VideoEvaluator.track(try EvaluatorFixtures.clip(try file.tensor("video_\(k)")))
            var centroids: [Float] = []                                                   // [frames, 3]
            for (f, c) in t.centroids.enumerated() {
                centroids += c.map { [Float(f), Float($0.x), Float($0.y)] } ?? [-1, 0, 0]
            }
            expectClose(Tensor(shape: [t.centroids.count, 3], scalars: centroids),
                        try file.tensor("centroids_\(k)"), abs: 1e-4, "centroids \(k)")
            expectClose(EvaluatorFixtures.tensor([t.displacement.dx, t.displacement.dy]), try file.tensor("displacement_\(k)"),
                        abs: 1e-5, "displacement \(k)")
            expectClose(EvaluatorFixtures.tensor(t.objectColour ?? []), try file.tensor("colour_\(k)"), abs: 0, "colour \(k)")
        }
    }

    @Test func verdictsMatchPython() throws {
        let file = try Fixtures.load("evaluators_video")
        for (k, c) in try EvaluatorFixtures.cases().video.enumerated() {
            let adherence = try VideoEvaluator.judge(try EvaluatorFixtures.clip(try file.tensor("video_\(k)")), prompt: c.prompt)
            #expect(adherence.judgements == [
                AttributeJudgement(attribute: "direction", expected: c.direction, observed: c.observed_direction,
                                   passed: c.direction_ok),
                AttributeJudgement(attribute: "colour", expected: c.colour, observed: c.observed_colour, passed: c.colour_ok),
            ], "\(c.prompt)")
            #expect(adherence.mainPassed == c.direction_ok)
        }
    }

    /// A still clip is "static"; a clip whose object is missing in most frames is "lost".
    @Test func staticAndLostClips() throws {
        let file = try Fixtures.load("evaluators_video")
        let first = try EvaluatorFixtures.clip(try file.tensor("video_0")).frames[0]
        let still = try VideoClip(frames: [RGBImage](repeating: first, count: 8), fps: 8)
        let judged = try VideoEvaluator.judge(still, prompt: "a red ball moving up")
        #expect(judged.judgement("direction")?.observed == "static" && judged.mainPassed == false)
        let blank = try RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 40, count: 64 * 64 * 3))
        let lost = try VideoClip(frames: [first, first, first] + [RGBImage](repeating: blank, count: 5), fps: 8)
        #expect(VideoEvaluator.track(lost).direction == "lost")
        #expect(try VideoEvaluator.judge(lost, prompt: "a red ball moving up").judgements.map(\.observed) == ["lost", "none"])
    }
}
