import DiffusionCore
import Foundation
import ImageModality
import PipelineComponents
import MediaIO
import Networks
import Testing
import Tensors

/// The image pipeline against diffusers 0.42.1's StableDiffusionPipeline and
/// StableDiffusionImg2ImgPipeline on Tests/Fixtures/tiny-sd (fixture "sd_pipeline", from
/// tools/fixtures/fx_sd_pipeline.py, whose CASES these settings repeat). Images are compared
/// in [0, 1] before quantisation: max-abs ≤ 3e-3 (ARCHITECTURE.md, pipelines).
@Suite struct PipelineParityTests {
    let file = try! Fixtures.load("sd_pipeline")

    /// One fixture case.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var request: ImageRequest
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ddim", request: ImageRequest(prompt: "a cat on the dog", negativePrompt: "the dog", width: 16, height: 16,
                                                 steps: 4, guidanceScale: 7.5, seed: TorchSeed(42), count: 2)),
        Case(name: "euler_a", request: ImageRequest(prompt: "the cat", width: 16, height: 16, steps: 4,
                                                    sampler: .eulerAncestral, guidanceScale: 7.5, seed: TorchSeed(7))),
        Case(name: "dpmpp_2m_karras", request: ImageRequest(prompt: "a dog", width: 24, height: 16, steps: 4, sampler: .dpmpp2m,
                                                            karras: true, guidanceScale: 5, seed: TorchSeed(3))),
        Case(name: "euler_guidance1", request: ImageRequest(prompt: "a cat", width: 16, height: 16, steps: 3, sampler: .euler,
                                                            guidanceScale: 1, seed: TorchSeed(9))),
        Case(name: "ddim_rescale", request: ImageRequest(prompt: "a dog", width: 16, height: 16, steps: 3, guidanceScale: 7.5,
                                                         guidanceRescale: 0.7, seed: TorchSeed(13))),
        Case(name: "ddim_eta_clipskip", request: ImageRequest(prompt: "the cat on the dog", negativePrompt: "a cat", width: 16,
                                                              height: 16, steps: 4, guidanceScale: 6, eta: 0.5, clipSkip: 1,
                                                              seed: TorchSeed(21))),
        Case(name: "pndm", request: ImageRequest(prompt: "a dog on the cat", width: 16, height: 16, steps: 5, sampler: .pndm,
                                                 guidanceScale: 7.5, seed: TorchSeed(17))),
        Case(name: "img2img_ddim", request: ImageRequest(prompt: "a cat", steps: 5, guidanceScale: 7.5, seed: TorchSeed(5),
                                                         strength: 0.6)),
        Case(name: "img2img_euler_a", request: ImageRequest(prompt: "a cat", negativePrompt: "the dog", steps: 5,
                                                            sampler: .eulerAncestral, guidanceScale: 3, seed: TorchSeed(11),
                                                            strength: 0.6)),
    ]

    /// The img2img input: the fixture's [16, 16, 3] bytes.
    func initImage() throws -> RGBImage {
        try RGBImage(width: 16, height: 16, pixels: try file.tensor("init_image").scalars.map { UInt8($0) })
    }

    /// [B, 3, H, W] → [B, H, W, 3] as diffusers' "np" output.
    func channelsLast(_ x: Tensor) -> Tensor { x.permuted([0, 2, 3, 1]) }

    /// Expects max-abs ≤ `tolerance` and prints the worst pixel either way (the parity figure).
    func expectImages(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String) {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) ≠ \(expected.shape)")
        guard actual.shape == expected.shape else { return }
        var worst = 0
        var worstDiff: Float = -1
        for i in 0..<actual.count {
            let diff = abs(actual.scalars[i] - expected.scalars[i])
            if !(diff <= worstDiff) { worst = i; worstDiff = diff }
        }
        let line = "\(what): max-abs \(worstDiff) at \(unravel(worst, actual.shape)) (actual \(actual.scalars[worst]), expected \(expected.scalars[worst]))"
        print(line)
        #expect(worstDiff <= tolerance, "\(line), tolerance \(tolerance)")
    }

    @Test func promptEmbeddingsMatchEncodePrompt() throws {
        let encoder = try TinySD.textEncoder()
        let cond = try encoder.encode("a cat on the dog").hiddenStates            // [1, 77, 16]
        let uncond = try encoder.encode("the dog").hiddenStates                    // [1, 77, 16]
        let expected = try file.tensor("ddim.prompt_embeds")                       // [4, 77, 16]
        let actual = concat([uncond, uncond, cond, cond], axis: 0)
        expectClose(actual, expected, abs: 1e-4, rel: 1e-4, "prompt_embeds")
    }

    @Test(arguments: cases) func decodeMatchesPostprocess(_ c: Case) throws {
        let adapter = ImageAdapter(vae: try TinySD.vae(), defaultWidth: 16, defaultHeight: 16)
        let pixels = try adapter.decodeToUnitRange(try file.tensor("\(c.name).latents"))
        expectImages(channelsLast(pixels), try file.tensor("\(c.name).images"), tolerance: 1e-4, "\(c.name) decode")
    }

    @Test(arguments: cases) func pipelineMatchesDiffusers(_ c: Case) throws {
        let pipeline = try StableDiffusionPipeline(folder: TinySD.folder)
        var request = c.request
        if c.name.hasPrefix("img2img") { request.initImage = try initImage() }
        var evaluations = 0
        let result = try pipeline.generate(request) { _ in evaluations += 1 }
        #expect(evaluations == result.settings.stepsRun, "\(c.name): observed \(evaluations) steps")
        expectClose(result.latents, try file.tensor("\(c.name).latents"), abs: 1e-3, rel: 1e-3, "\(c.name) latents")
        expectImages(channelsLast(result.pixels), try file.tensor("\(c.name).images"), tolerance: 3e-3, "\(c.name) image")
        #expect(result.images.count == request.count)
    }
}
