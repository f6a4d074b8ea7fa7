import AudioModality
import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import Testing
import Tensors

/// Latent geometry, bad durations, silence and NaN detection, audio-to-audio and resampled
/// output on Tests/Fixtures/tiny-audioldm (16 kHz, 4 samples a frame, VAE factor 2, 8 mels).
@Suite struct AudioAdapterTests {
    let adapter = try! TinyAudioLDM.adapter()

    @Test func geometryFollowsAudioLDMPipelineCall() throws {
        #expect(adapter.vocoderUpsampleFactor == 4.0 / 16000)
        #expect(adapter.minimumSeconds == 0.0005)
        #expect(adapter.defaultSeconds == 8 * 2 * 4.0 / 16000)      // sample_size · vae factor · upsample factor
        let even = try adapter.geometry(seconds: 0.01)
        #expect(even.frames == 40 && even.samples == 160 && even.latentShape == [4, 20, 4])
        // int(0.0123 / 0.00025) = 49 frames → 50 (a multiple of 2); int(0.0123 · 16000) = 196 samples.
        let odd = try adapter.geometry(seconds: 0.0123)
        #expect(odd.frames == 50 && odd.samples == 196 && odd.latentShape == [4, 25, 4])
        #expect(try adapter.latentShape(for: AudioRequest(prompt: "", seconds: 0.0123, count: 3)) == [3, 4, 25, 4])
        #expect(try adapter.geometry(for: AudioRequest(prompt: "")).frames == 16)
    }

    @Test func geometryOfAudioLDMSmall() throws {
        // cvssp/audioldm-s-full-v2: 16 kHz, hop 160, 64 mels, VAE factor 4, 8 latent channels.
        let five = try AudioGeometry(seconds: 5, hopLength: 160, sampleRate: 16000, melBins: 64, vaeFactor: 4, latentChannels: 8)
        #expect(five.frames == 500 && five.samples == 80000 && five.latentShape == [8, 125, 16])
        let long = try AudioGeometry(seconds: 10.24, hopLength: 160, sampleRate: 16000, melBins: 64, vaeFactor: 4, latentChannels: 8)
        #expect(long.frames == 1024 && long.samples == 163_840 && long.latentShape == [8, 256, 16])
        let short = try AudioGeometry(seconds: 0.5, hopLength: 160, sampleRate: 16000, melBins: 64, vaeFactor: 4, latentChannels: 8)
        #expect(short.frames == 52 && short.samples == 8000)      // 50 frames → 52
        #expect(throws: AudioError.self) {
            try AudioGeometry(seconds: 1, hopLength: 160, sampleRate: 16000, melBins: 66, vaeFactor: 4, latentChannels: 8)
        }
    }

    @Test(arguments: [0, -1, Double.nan, Double.infinity, 1e9, 0.0004, 601])
    func badDurationsAreRejected(_ seconds: Double) throws {
        let error = try #require(throws: AudioError.self) { try adapter.geometry(seconds: seconds) }
        guard case let .invalidValue(name, _, rule) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(name == "duration")
        #expect(!rule.isEmpty && !"\(error)".contains("\n"), "\(error)")
    }

    @Test func durationBeyondMemoryIsRejected() throws {
        let small = try AudioAdapter(vae: adapter.vae, vocoder: adapter.vocoder, sampleSize: 8, memoryLimit: 1 << 20)
        let error = try #require(throws: AudioError.self) { try small.geometry(seconds: 10) }
        #expect("\(error)".contains("GiB of memory"), "\(error)")
    }

    @Test func requestValidation() throws {
        try AudioRequest(prompt: "a", sampleRate: 44100).validate()
        for request in [AudioRequest(prompt: "a", steps: 0), AudioRequest(prompt: "a", count: 0),
                        AudioRequest(prompt: "a", seconds: -2), AudioRequest(prompt: "a", guidanceScale: .nan),
                        AudioRequest(prompt: "a", sampleRate: 7999), AudioRequest(prompt: "a", sampleRate: 1_000_000),
                        AudioRequest(prompt: "a", strength: 1.5)] {
            #expect(throws: AudioError.self, "\(request)") { try request.validate() }
        }
    }

    @Test func silenceAndNaNAreDetected() throws {
        let silent = Tensor(shape: [2, 8], scalars: [Float](repeating: 0.1, count: 8) + [Float](repeating: 1e-6, count: 8))
        #expect(throws: AudioError.silentWaveform(index: 1, peak: 1e-6)) { try AudioAdapter.checkAudible(silent) }
        var broken = [Float](repeating: 0.1, count: 8)
        broken[5] = .nan
        let error = try #require(throws: AudioError.self) { try AudioAdapter.checkAudible(Tensor(shape: [1, 8], scalars: broken)) }
        #expect("\(error)".hasPrefix("waveform 1: the vocoder produced nan at sample 5"), "\(error)")
        try AudioAdapter.checkAudible(Tensor(shape: [1, 8], scalars: [Float](repeating: -0.01, count: 8)))
    }

    @Test func encodeGivesTheLatentShape() throws {
        let geometry = try adapter.geometry(seconds: 0.0123)
        let sine = (0..<441).map { Float(sin(Double($0) * 0.3)) * 0.4 }          // 10 ms at 44.1 kHz, stereo
        let clip = try PCMAudio(sampleRate: 44100, channels: 2, samples: sine.flatMap { [$0, -$0 * 0.5] })
        let image = try adapter.logMelImage(of: clip, geometry: geometry)
        #expect(image.shape == [1, 1, 50, 8])
        #expect(image.scalars.allSatisfy { $0.isFinite })
        var noise = TorchGenerator(seed: 1)
        let latents = try adapter.encode(clip, geometry: geometry, count: 2, noise: &noise)
        #expect(latents.shape == [2, 4, 25, 4])
        #expect(Array(latents.scalars[0..<400]) == Array(latents.scalars[400..<800]), "one encoding repeated")
    }

    @Test func audioToAudioAndResampledOutput() throws {
        let pipeline = try AudioLDMPipeline(folder: TinyAudioLDM.folder)
        let tone = try PCMAudio(sampleRate: 16000, mono: (0..<200).map { Float(sin(Double($0) * 0.2)) * 0.5 })
        var request = AudioRequest(prompt: "rain", steps: 4, guidanceScale: 2.5, seed: TorchSeed(4), sampleRate: 22050,
                                   initAudio: tone, strength: 0.5)
        var evaluations = 0
        let result = try pipeline.generate(request) { _ in evaluations += 1 }
        #expect(evaluations == 2 && result.settings.stepsRun == 2)
        #expect(result.settings.geometry.seconds == 0.0125 && result.settings.geometry.samples == 200)
        #expect(result.waveforms.shape == [1, 200])
        #expect(result.audio[0].sampleRate == 22050 && result.audio[0].frameCount == 276)   // round(200 · 22050 / 16000)
        request.strength = 0
        let kept = try pipeline.generate(request) { _ in Issue.record("strength 0 runs no step") }
        let adapter = pipeline.adapter
        var noise = TorchGenerator(seed: 4)
        let encoded = try adapter.encode(tone, geometry: kept.settings.geometry, count: 1, noise: &noise)
        expectClose(kept.latents, encoded, abs: 0, "strength 0 keeps the init latents")
    }
}
