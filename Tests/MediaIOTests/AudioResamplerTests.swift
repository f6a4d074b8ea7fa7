import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// libswresample: lengths, alignment and frequency preserved.
    @Suite struct AudioResamplerTests {
        /// Least-squares fit of `a·sin(ωn) + b·cos(ωn)` over `range`; returns the residual's SNR
        /// in dB (high only if the signal is a sine of frequency `hz` at `rate`).
        static func sineSNR(_ x: [Float], stride: Int, offset: Int, hz: Double, rate: Int, range: Range<Int>) -> Double {
            let w = 2 * Double.pi * hz / Double(rate)
            var ss = 0.0, cc = 0.0, sc = 0.0, xs = 0.0, xc = 0.0
            for n in range {
                let s = sin(w * Double(n)), c = cos(w * Double(n)), v = Double(x[n * stride + offset])
                ss += s * s; cc += c * c; sc += s * c; xs += v * s; xc += v * c
            }
            let det = ss * cc - sc * sc
            let a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det
            var signal = 0.0, noise = 0.0
            for n in range {
                let v = Double(x[n * stride + offset])
                let fit = a * sin(w * Double(n)) + b * cos(w * Double(n))
                signal += fit * fit
                noise += (v - fit) * (v - fit)
            }
            return 10 * log10(signal / max(noise, 1e-30))
        }

        /// 1 s at 16 kHz → exactly 48000 frames; a 1 kHz sine stays a 1 kHz sine (≥ 60 dB SNR, 77 measured,
        /// against the best-fitting 1 kHz sine away from the edges, and in phase with the input:
        /// libswresample compensates its filter delay; max deviation 5e-4 measured); the right
        /// channel stays silent.
        @Test func upsample16kTo48kKeepsLengthFrequencyAndPhase() throws {
            let rate = 16000
            var samples = [Float](repeating: 0, count: rate * 2)
            for n in 0..<rate { samples[2 * n] = 0.5 * sin(2 * .pi * 1000 * Float(n) / Float(rate)) }
            let out = try AudioResampler.resample(try PCMAudio(sampleRate: rate, channels: 2, samples: samples), to: 48000)
            #expect(out.sampleRate == 48000 && out.channels == 2 && out.frameCount == 48000)
            let middle = 2000..<46000
            let snr = Self.sineSNR(out.samples, stride: 2, offset: 0, hz: 1000, rate: 48000, range: middle)
            #expect(snr >= 60, "1 kHz fit SNR \(snr) dB")
            let wrong = Self.sineSNR(out.samples, stride: 2, offset: 0, hz: 3000, rate: 48000, range: middle)
            #expect(wrong < 10, "a 3 kHz sine must not fit (SNR \(wrong) dB)")
            var phaseError: Float = 0
            for n in middle { phaseError = max(phaseError, abs(out.samples[2 * n] - 0.5 * sin(2 * .pi * 1000 * Float(n) / 48000))) }
            #expect(phaseError < 2e-3, "max deviation from the time-aligned sine \(phaseError)")
            let rightPeak = stride(from: 1, to: out.samples.count, by: 2).map { abs(out.samples[$0]) }.max() ?? 0
            #expect(rightPeak < 1e-6, "silent right channel peaks at \(rightPeak)")
        }

        @Test func downsampleLengthsRound() throws {
            let audio = try PCMAudio(sampleRate: 44100, mono: [Float](repeating: 0.25, count: 44101))
            let out = try AudioResampler.resample(audio, to: 16000)
            #expect(out.frameCount == 16000)  // round(44101 · 16000 / 44100) = round(16000.36)
            let middle = out.samples[100..<15900]
            #expect(middle.allSatisfy { abs($0 - 0.25) < 1e-3 }, "DC level kept: \(middle.min()!)…\(middle.max()!)")
        }

        @Test func sameRateIsIdentityAndBadRateIsAnError() throws {
            let audio = try PCMAudio(sampleRate: 16000, mono: [0.1, 0.2, 0.3])
            #expect(try AudioResampler.resample(audio, to: 16000) == audio)
            #expect(throws: MediaIOError.self) { _ = try AudioResampler.resample(audio, to: 0) }
        }
    }
}
