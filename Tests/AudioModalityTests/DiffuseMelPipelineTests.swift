import AudioModality
import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import Testing
import Tensors

/// `DiffuseMelPipeline` on the bundled default model `Models/diffuse-audio-16k` against the
/// recipe's Python loop (`Models/recipes/eval_audio.py: Sampler`, `data_audio_mel.griffin_lim`),
/// fixtures "diffuse_mel_pipeline" and "diffuse_mel_vocoder" from tools/fixtures/fx_diffuse_mel.py
/// (prompt "a piano playing a low note", seed 0, 3 steps, guidance 3; Griffin-Lim 4 iterations).
/// The UNet's fp16 weights are run in float32 on both sides.
@Suite struct DiffuseMelPipelineTests {
    static let folder = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/diffuse-audio-16k")
    /// Loaded once for the suite (debug builds load it in seconds).
    static let shared = Result { try DiffuseMelPipeline(folder: folder) }

    @Test func configsAreRead() throws {
        let pipeline = try Self.shared.get()
        #expect(pipeline.mel.numSamples == 65280 && pipeline.mel.frames == 256 && pipeline.mel.nMels == 64)
        #expect(pipeline.vocoder.griffinLim.iterations == 64 && pipeline.vocoder.griffinLim.momentum == 0.99)
        #expect(pipeline.defaultSteps == 20 && pipeline.defaultGuidanceScale == 5)
        #expect(pipeline.scheduler.defaultSampler == .dpmpp2m && pipeline.scheduler.prediction == .vPrediction)
        #expect(abs(pipeline.clipSeconds - 4.08) < 1e-12)
    }

    @Test func promptEmbeddingsMatchBert() throws {
        let pipeline = try Self.shared.get()
        let file = try Fixtures.load("diffuse_mel_pipeline")
        expectClose(try pipeline.textEncoder.encode("a piano playing a low note").hiddenStates,
                    try file.tensor("prompt_embeds"), abs: 1e-4, rel: 1e-4, "prompt_embeds")
        expectClose(try pipeline.textEncoder.encode("").hiddenStates, try file.tensor("negative_prompt_embeds"),
                    abs: 1e-4, rel: 1e-4, "negative_prompt_embeds")
    }

    /// The final normalised log-mel after 3 DPM++ 2M steps with CFG 3 (first-, second-, then
    /// first-order: `lower_order_final`): max-abs 1e-4 on values in about [-1, 1] (float32 on
    /// both sides; measured 5e-6).
    @Test func finalMelMatchesPythonLoop() throws {
        let pipeline = try Self.shared.get()
        let file = try Fixtures.load("diffuse_mel_pipeline")
        let settings = try file.tensor("settings").scalars                                     // [steps, seed, guidance]
        #expect(settings == [3, 0, 3], "the fixture's steps, seed and guidance")
        let request = AudioRequest(prompt: "a piano playing a low note", steps: Int(settings[0]),
                                   guidanceScale: Double(settings[2]), seed: TorchSeed(UInt64(settings[1])))
        let result = try pipeline.sample(request)
        expectClose(result.latents, try file.tensor("mel"), abs: 1e-4, rel: 0, "final normalised mel")
        #expect(result.settings.sampler == .dpmpp2m && result.settings.sampleRate == 16000)
    }

    /// Griffin-Lim (4 iterations) of a fixed log-mel. Fast Griffin-Lim with momentum 0.99 is
    /// ill-conditioned: the Python reference itself moves by max-abs 0.013 (PSNR 67 dB, peak 1)
    /// when its input is perturbed by 1e-6 relative noise, so the test asks for max-abs ≤ 0.03
    /// and PSNR ≥ 60 dB (measured: 0.011).
    @Test func vocoderMatchesPythonGriffinLim() throws {
        let pipeline = try Self.shared.get()
        let file = try Fixtures.load("diffuse_mel_vocoder")
        let mel = try pipeline.mel.melSpectrogram()
        let vocoder = try GriffinLimVocoder(melSpectrogram: mel, iterations: 4, momentum: 0.99)
        let waveform = try vocoder(logMel: try file.tensor("log_mel"), length: 65280)         // [1, 65280]
        let expected = try file.tensor("waveform")                                             // [1, 65280]
        expectClose(waveform, expected, abs: 0.03, rel: 0, "Griffin-Lim waveform")
        let squares = zip(waveform.scalars, expected.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let psnr = 10 * log10(1 / max(squares / Double(expected.count), 1e-30))
        #expect(psnr >= 60, "Griffin-Lim waveform: PSNR \(psnr) dB (peak 1)")
    }

    @Test func normalisationIsUndone() throws {
        let pipeline = try Self.shared.get()
        let x = Tensor(shape: [1, 1, 64, 256], scalars: [Float](repeating: 1, count: 64 * 256))
        let logMel = try pipeline.logMel(fromNormalized: x)                                   // [1, 64, 256]
        #expect(abs(logMel.scalars[0] - 2.5) < 1e-3, "x = 1 is log-mel 2.5 (data_audio_mel.LOG_MAX)")
        var bad = x
        bad.scalars[3 * 256 + 5] = .nan
        #expect(throws: AudioError.self) { try pipeline.logMel(fromNormalized: bad) }
    }

    @Test func durationIsTheModelsClipOrShorter() throws {
        let pipeline = try Self.shared.get()
        let full = try pipeline.resolve(AudioRequest(prompt: "x"))
        #expect(full.geometry.samples == 65280 && full.geometry.latentShape == [1, 64, 256])
        let short = try pipeline.resolve(AudioRequest(prompt: "x", seconds: 1))
        #expect(short.geometry.samples == 16000)
        #expect(throws: AudioError.self) { try pipeline.resolve(AudioRequest(prompt: "x", seconds: 5)) }
        let clip = try PCMAudio(sampleRate: 16000, mono: [0.1, 0.2])
        #expect(throws: AudioError.self) { try pipeline.resolve(AudioRequest(prompt: "x", initAudio: clip)) }
    }
}
