import AudioModality
import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import Testing
import Tensors

/// Tests/Fixtures/tiny-audioldm (tools/fixtures/make_tiny_audioldm.py) loaded piece by piece.
enum TinyAudioLDM {
    static let folder = Fixtures.folder.appendingPathComponent("tiny-audioldm")
    static func textEncoder() throws -> ClapPromptEncoder {
        try ClapPromptEncoder(tokenizerFolder: folder.appendingPathComponent("tokenizer"),
                              textEncoderFolder: folder.appendingPathComponent("text_encoder"))
    }
    static func adapter() throws -> AudioAdapter {
        try AudioAdapter(vae: try AutoencoderKL(folder: folder.appendingPathComponent("vae")),
                         vocoder: try SpeechT5HifiGan(folder: folder.appendingPathComponent("vocoder")), sampleSize: 8)
    }
}

/// The audio pipeline against diffusers 0.42.1's AudioLDMPipeline on Tests/Fixtures/tiny-audioldm
/// (fixture "audioldm_pipeline", from tools/fixtures/fx_audioldm_pipeline.py, whose CASES these
/// settings repeat). Waveforms are compared by max-abs ≤ 1e-3 on [-1, 1] (stricter than
/// ARCHITECTURE.md's PSNR ≥ 40 dB, which is also printed).
@Suite struct AudioPipelineParityTests {
    let file = try! Fixtures.load("audioldm_pipeline")

    /// One fixture case.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var request: AudioRequest
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ddim", request: AudioRequest(prompt: "a dog barks in the rain", negativePrompt: "the cat", seconds: 0.01,
                                                 steps: 4, guidanceScale: 2.5, seed: TorchSeed(42), count: 2)),
        Case(name: "euler", request: AudioRequest(prompt: "the cat", seconds: 0.0123, steps: 5, sampler: .euler,
                                                  guidanceScale: 3, seed: TorchSeed(7))),
        Case(name: "euler_a", request: AudioRequest(prompt: "rain", negativePrompt: "a dog", seconds: 0.02, steps: 4,
                                                    sampler: .eulerAncestral, guidanceScale: 2.5, seed: TorchSeed(3))),
        Case(name: "dpmpp_2m_karras", request: AudioRequest(prompt: "a bark", seconds: 0.01, steps: 4, sampler: .dpmpp2m,
                                                            karras: true, guidanceScale: 4, seed: TorchSeed(5))),
        Case(name: "ddim_guidance1", request: AudioRequest(prompt: "the rain", seconds: 0.01, steps: 3, guidanceScale: 1,
                                                           seed: TorchSeed(9))),
    ]

    /// Expects max-abs ≤ `tolerance` and prints the worst sample and the PSNR (peak 1) either way.
    func expectWaveforms(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String) {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) ≠ \(expected.shape)")
        guard actual.shape == expected.shape else { return }
        var worst = 0
        var worstDiff: Float = -1
        var squares = 0.0
        for i in 0..<actual.count {
            let diff = abs(actual.scalars[i] - expected.scalars[i])
            squares += Double(diff) * Double(diff)
            if !(diff <= worstDiff) { worst = i; worstDiff = diff }
        }
        let psnr = 10 * log10(1 / max(squares / Double(actual.count), 1e-30))
        let line = "\(what): max-abs \(worstDiff) at \(unravel(worst, actual.shape)) (actual \(actual.scalars[worst]), "
            + "expected \(expected.scalars[worst])), PSNR \(String(format: "%.1f", psnr)) dB"
        print(line)
        #expect(worstDiff <= tolerance, "\(line), tolerance \(tolerance)")
    }

    @Test func promptEmbeddingsMatchEncodePrompt() throws {
        let encoder = try TinyAudioLDM.textEncoder()
        let cond = try encoder.encode("a dog barks in the rain").hiddenStates       // [1, 8]
        let uncond = try encoder.encode("the cat").hiddenStates                     // [1, 8]
        let expected = try file.tensor("ddim.prompt_embeds")                         // [4, 8]
        expectClose(concat([uncond, uncond, cond, cond], axis: 0), expected, abs: 1e-5, rel: 1e-4, "prompt_embeds")
    }

    @Test func decodeMatchesVAEAndVocoder() throws {
        let adapter = try TinyAudioLDM.adapter()
        let geometry = try adapter.geometry(seconds: 0.01)
        let mel = try adapter.decodeMel(try file.tensor("ddim.latents"))             // [2, 40, 8]
        expectClose(mel.reshaped([2, 1, 40, 8]), try file.tensor("ddim.mel"), abs: 1e-4, rel: 1e-4, "mel")
        let wave = try adapter.waveforms(fromMel: mel, geometry: geometry)
        expectWaveforms(wave, try file.tensor("ddim.waveform"), tolerance: 1e-4, "ddim decode")
    }

    @Test(arguments: cases) func pipelineMatchesDiffusers(_ c: Case) throws {
        let pipeline = try AudioLDMPipeline(folder: TinyAudioLDM.folder)
        var evaluations = 0
        let result = try pipeline.generate(c.request) { _ in evaluations += 1 }
        #expect(evaluations == result.settings.stepsRun, "\(c.name): observed \(evaluations) steps")
        expectClose(result.latents, try file.tensor("\(c.name).latents"), abs: 1e-3, rel: 1e-3, "\(c.name) latents")
        expectWaveforms(result.waveforms, try file.tensor("\(c.name).waveform"), tolerance: 1e-3, "\(c.name) waveform")
        #expect(result.audio.count == c.request.count)
        #expect(result.audio.allSatisfy { $0.sampleRate == 16000 && $0.frameCount == result.waveforms.shape[1] })
    }
}
