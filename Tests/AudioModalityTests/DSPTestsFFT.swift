import Foundation
import Testing
import Tensors
@testable import AudioModality

/// `RealFFT` against a direct DFT in Double (numpy.fft.rfft / irfft semantics).
@Suite("DSP: RealFFT")
struct DSPFFTTests {
    /// A deterministic test signal: two tones and a ramp.
    static func signal(_ n: Int) -> [Float] {
        (0..<n).map { i in
            let t = Double(i)
            return Float(sin(0.37 * t) + 0.5 * cos(1.9 * t + 0.3) + 0.01 * t / Double(n))
        }
    }

    @Test("rfft and irfft match a direct DFT", arguments: [1, 2, 4, 6, 7, 8, 12, 400, 1024])
    func matchesDirectDFT(n: Int) throws {
        let fft = try RealFFT(count: n)
        let x = Self.signal(n)
        let bins = n / 2 + 1
        var re = [Float](repeating: 0, count: bins), im = re
        x.withUnsafeBufferPointer { xp in
            re.withUnsafeMutableBufferPointer { rp in
                im.withUnsafeMutableBufferPointer { ip in
                    fft.forward(xp.baseAddress!, real: rp.baseAddress!, imag: ip.baseAddress!)
                }
            }
        }
        var expectedRe = [Float](), expectedIm = [Float]()
        for k in 0..<bins {
            var sr = 0.0, si = 0.0
            for t in 0..<n {
                let angle = -2 * Double.pi * Double(k * t % n) / Double(n)
                sr += Double(x[t]) * cos(angle)
                si += Double(x[t]) * sin(angle)
            }
            expectedRe.append(Float(sr)); expectedIm.append(Float(si))
        }
        expectClose(Tensor(shape: [bins], scalars: re), Tensor(shape: [bins], scalars: expectedRe),
                    abs: 2e-4, rel: 1e-5, "rfft real n=\(n)")
        expectClose(Tensor(shape: [bins], scalars: im), Tensor(shape: [bins], scalars: expectedIm),
                    abs: 2e-4, rel: 1e-5, "rfft imag n=\(n)")
        var back = [Float](repeating: 0, count: n)
        re.withUnsafeBufferPointer { rp in
            im.withUnsafeBufferPointer { ip in
                back.withUnsafeMutableBufferPointer { bp in
                    fft.inverse(real: rp.baseAddress!, imag: ip.baseAddress!, output: bp.baseAddress!)
                }
            }
        }
        expectClose(Tensor(shape: [n], scalars: back), Tensor(shape: [n], scalars: x), abs: 1e-5, "irfft(rfft(x)) n=\(n)")
    }

    @Test("a zero or negative length is rejected with an error")
    func rejectsEmptyLengths() {
        #expect(throws: DSPError.self) { _ = try RealFFT(count: 0) }
        #expect(throws: DSPError.self) { _ = try RealFFT(count: -4) }
    }
}
