import Foundation
import Testing
import Tensors
@testable import AudioModality

/// Griffin-Lim, InverseMelScale and the weight-free vocoder against torchaudio's functions
/// (transcribed in tools/fixtures/fx_dsp.py, run in float64; rand_init=False).
///
/// Tolerance: each iteration renormalises the phase by |angles| + 1e-16, so float32 rounding
/// in bins whose rebuilt magnitude is tiny turns into O(1) phase differences there; they are
/// weighted by a tiny magnitude, so the waveform stays within ~1e-5 of the float64 reference
/// after a handful of iterations. 2e-4 (signal amplitude 0.5) leaves room for that growth while a
/// wrong momentum rule (librosa's momentum/(1+momentum)) or a missing step is off by > 1e-2.
@Suite("DSP: Griffin-Lim")
struct DSPGriffinLimTests {
    @Test("torchaudio GriffinLim: momentum 0.99 and 0, power 1 and 2")
    func matchesTorchaudio() throws {
        let f = try Fixtures.load("dsp_griffinlim")
        let magnitude = try f.tensor("magnitude")                          // [129, 63]
        let stft = try STFT(nFFT: 256, hopLength: 64)
        let fast = try GriffinLim(stft: stft, iterations: 4, momentum: 0.99)
        expectClose(try fast(magnitude, length: 4000), try f.tensor("momentum_099"), abs: 2e-4, "momentum 0.99")
        let plain = try GriffinLim(stft: stft, iterations: 4, momentum: 0)
        expectClose(try plain(magnitude, length: 4000), try f.tensor("momentum_0"), abs: 2e-4, "momentum 0")
        var power = magnitude
        for i in 0..<power.count { power.scalars[i] *= power.scalars[i] }
        let squared = try GriffinLim(stft: stft, iterations: 3, momentum: 0.99, power: 2)
        expectClose(try squared(power), try f.tensor("power2_no_length"), abs: 2e-4, "power 2, no length")
    }

    @Test("InverseMelScale: minimum-norm least squares + ReLU")
    func inverseMel() throws {
        let f = try Fixtures.load("dsp_logmel")
        let mel = try MelSpectrogram.audioLDM()
        let inverse = try InverseMelScale(filterbank: mel.filterbank)
        var melMagnitude = try f.tensor("log_mel")                         // [64, 26]
        for i in 0..<melMagnitude.count { melMagnitude.scalars[i] = exp(melMagnitude.scalars[i]) }
        let linear = try inverse(melMagnitude)                             // [513, 26]
        expectClose(linear, try f.tensor("linear"), abs: 1e-4, rel: 1e-4, "inverse mel")
        let back = applyMatrix(mel.filterbank, linear)                     // the fit reproduces the mel
        expectClose(back, melMagnitude, abs: 2e-2, rel: 5e-2, "fb @ inverse(mel)")
    }

    @Test("GriffinLimVocoder: AudioLDM log-mel → waveform")
    func vocoder() throws {
        let f = try Fixtures.load("dsp_logmel")
        let vocoder = try GriffinLimVocoder(melSpectrogram: .audioLDM(), iterations: 2)
        let waveform = try vocoder(logMel: try f.tensor("log_mel"), length: 4000)   // [4000]
        // Two iterations: the least-squares magnitude is not a consistent spectrogram, so phase
        // errors grow fast; torch float32 itself is 1.1e-4 from its float64 run after 2 iterations
        // (2.2e-2 after 4).
        expectClose(waveform, try f.tensor("griffin_lim"), abs: 5e-4, "vocoder")
    }

    @Test("bad settings throw")
    func badInput() throws {
        let stft = try STFT(nFFT: 256, hopLength: 64)
        #expect(throws: DSPError.self) { _ = try GriffinLim(stft: stft, momentum: 1) }
        #expect(throws: DSPError.self) { _ = try GriffinLim(stft: stft, iterations: -1) }
        #expect(throws: DSPError.self) { _ = try GriffinLim(stft: stft)(Tensor(zeros: [100, 5])) }
        let empty = try melFilterbank(sampleRate: 16000, nFFT: 64, nMels: 128, fMin: 0, fMax: 8000)
        #expect(throws: DSPError.self) { _ = try InverseMelScale(filterbank: empty) }
    }
}
