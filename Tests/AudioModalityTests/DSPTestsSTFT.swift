import Foundation
import Testing
import Tensors
@testable import AudioModality

/// STFT / iSTFT against torch.stft / torch.istft and librosa.stft (tools/fixtures/fx_dsp.py,
/// references in float64 from the stored float32 chirp; the Swift side runs in float32).
@Suite("DSP: STFT")
struct DSPSTFTTests {
    @Test("torch.stft: n_fft 256, hop 64, win 200, reflect padding")
    func forwardMatchesTorch() throws {
        let f = try Fixtures.load("dsp_stft")
        let x = try f.tensor("signal")                                    // [4000]
        let stft = try STFT(nFFT: 256, hopLength: 64, winLength: 200)
        let s = try stft.forward(x)                                       // [129, 63]
        // |X| reaches ~50; float32 FFT rounding is ~1e-6 of that.
        expectClose(s.real, try f.tensor("real"), abs: 1e-4, rel: 1e-5, "stft real")
        expectClose(s.imag, try f.tensor("imag"), abs: 1e-4, rel: 1e-5, "stft imag")
        expectClose(s.magnitude(), try f.tensor("magnitude"), abs: 1e-4, rel: 1e-5, "stft magnitude")
        // Phase is compared where |X| ≥ 1e-2 (below that float32 rounding moves the angle freely),
        // as the difference wrapped to (−π, π] (a real bin may be +π in one and −π in the other).
        let magnitude = try f.tensor("magnitude"), phase = s.phase(), expectedPhase = try f.tensor("phase")
        let strong = (0..<magnitude.count).filter { magnitude.scalars[$0] >= 1e-2 }
        #expect(strong.count > magnitude.count / 8)
        let wrapped = strong.map { i -> Float in
            let d = Double(phase.scalars[i]) - Double(expectedPhase.scalars[i])
            return Float(d - 2 * Double.pi * (d / (2 * Double.pi)).rounded())
        }
        expectClose(Tensor(shape: [strong.count], scalars: wrapped), Tensor(zeros: [strong.count]),
                    abs: 1e-3, "stft phase difference where |X| ≥ 1e-2")
    }

    @Test("batched input gives each row's spectrogram")
    func batched() throws {
        let f = try Fixtures.load("dsp_stft")
        let x = try f.tensor("signal")
        let n = x.count
        var two = x.scalars
        two += x.scalars.map { -$0 }
        let stft = try STFT(nFFT: 256, hopLength: 64, winLength: 200)
        let s = try stft.forward(Tensor(shape: [2, n], scalars: two))    // [2, 129, 63]
        #expect(s.real.shape == [2, 129, 63])
        let real = try f.tensor("real")
        let plane = real.count
        expectClose(Tensor(shape: real.shape, scalars: Array(s.real.scalars[0..<plane])), real, abs: 1e-4, rel: 1e-5, "batch 0")
        expectClose(Tensor(shape: real.shape, scalars: Array(s.real.scalars[plane...])),
                    Tensor(shape: real.shape, scalars: real.scalars.map { -$0 }), abs: 1e-4, rel: 1e-5, "batch 1")
    }

    @Test("librosa.stft with its default constant padding")
    func forwardMatchesLibrosaConstantPadding() throws {
        let f = try Fixtures.load("dsp_stft")
        let stft = try STFT(nFFT: 256, hopLength: 64, winLength: 200, padMode: .constant)
        let s = try stft.forward(try f.tensor("signal"))
        expectClose(s.real, try f.tensor("librosa_constant_real"), abs: 1e-4, rel: 1e-5, "librosa real")
        expectClose(s.imag, try f.tensor("librosa_constant_imag"), abs: 1e-4, rel: 1e-5, "librosa imag")
    }

    @Test("torch.istft with and without length; round trip")
    func inverseMatchesTorch() throws {
        let f = try Fixtures.load("dsp_stft")
        let x = try f.tensor("signal")
        let stft = try STFT(nFFT: 256, hopLength: 64, winLength: 200)
        let s = try ComplexSpectrogram(real: try f.tensor("real"), imag: try f.tensor("imag"))
        expectClose(try stft.inverse(s, length: x.count), try f.tensor("istft_length"), abs: 1e-5, "istft length")
        expectClose(try stft.inverse(s), try f.tensor("istft_default"), abs: 1e-5, "istft default length")
        expectClose(try stft.inverse(try stft.forward(x), length: x.count), x, abs: 1e-5, "istft(stft(x))")
        // A length past the last frame is zero-padded, as torch.istft does (with a warning).
        let full = try STFT(nFFT: 256, hopLength: 64)
        let longer = try full.inverse(try full.forward(x), length: x.count + 300)   // [4300]
        #expect(longer.shape == [x.count + 300])
        expectClose(Tensor(shape: [4000], scalars: Array(longer.scalars[..<4000])), x, abs: 1e-5, "padded istft")
        #expect(longer.scalars[4096...].allSatisfy { $0 == 0 })
    }

    @Test("periodic Hann window equals torch.hann_window")
    func hann() {
        let w = hannWindow(8)
        let expected: [Float] = [0, 0.14644662, 0.5, 0.8535534, 1, 0.8535534, 0.5, 0.14644662]
        expectClose(Tensor(shape: [8], scalars: w), Tensor(shape: [8], scalars: expected), abs: 1e-7, "hann(8)")
    }

    @Test("bad settings and inputs throw")
    func badInput() throws {
        #expect(throws: DSPError.self) { _ = try STFT(nFFT: 256, winLength: 300) }
        #expect(throws: DSPError.self) { _ = try STFT(nFFT: 0) }
        #expect(throws: DSPError.self) { _ = try STFT(nFFT: 256, hopLength: 0) }
        let stft = try STFT(nFFT: 256, hopLength: 64)
        #expect(throws: DSPError.self) { _ = try stft.forward(Tensor(zeros: [100])) }   // reflect pad 128 ≥ 100
        let zeros = try ComplexSpectrogram(real: Tensor(zeros: [100, 4]), imag: Tensor(zeros: [100, 4]))
        #expect(throws: DSPError.self) { _ = try stft.inverse(zeros) }                 // 100 ≠ 129 rows
        let gappy = try STFT(nFFT: 16, hopLength: 16, winLength: 8)                    // window covers half
        let s = try ComplexSpectrogram(real: Tensor(zeros: [9, 4]), imag: Tensor(zeros: [9, 4]))
        #expect(throws: DSPError.self) { _ = try gappy.inverse(s) }
    }
}
