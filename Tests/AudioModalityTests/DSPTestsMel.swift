import Foundation
import Testing
import Tensors
@testable import AudioModality

/// Mel filterbanks against librosa.filters.mel (float64) and torchaudio's melscale_fbanks
/// (float32, transcribed in tools/fixtures/fx_dsp.py); AudioLDM's log-mel.
@Suite("DSP: mel")
struct DSPMelTests {
    @Test("librosa.filters.mel: Slaney and HTK scales, Slaney and no norm")
    func librosaFilterbanks() throws {
        let f = try Fixtures.load("dsp_mel")
        expectClose(try melFilterbank(sampleRate: 16000, nFFT: 1024, nMels: 64, fMin: 0, fMax: 8000),
                    try f.tensor("slaney_slaney"), abs: 1e-7, rel: 1e-5, "slaney/slaney (AudioLDM)")
        expectClose(try melFilterbank(sampleRate: 16000, nFFT: 256, nMels: 32, fMin: 0, fMax: 8000, scale: .htk, norm: .none),
                    try f.tensor("htk_none"), abs: 1e-6, "htk/none")
        expectClose(try melFilterbank(sampleRate: 22050, nFFT: 256, nMels: 24, fMin: 50, scale: .htk, norm: .slaney),
                    try f.tensor("htk_slaney_22050"), abs: 1e-7, rel: 1e-5, "htk/slaney 22050")
        expectClose(try melFilterbank(sampleRate: 22050, nFFT: 256, nMels: 24, fMin: 50, scale: .slaney, norm: .none),
                    try f.tensor("slaney_none_22050"), abs: 1e-6, "slaney/none 22050")
    }

    @Test("torchaudio.functional.melscale_fbanks (HTK), transposed")
    func torchaudioFilterbanks() throws {
        let f = try Fixtures.load("dsp_mel")
        // torchaudio computes in float32 (edges from a float32 linspace): allow its rounding.
        expectClose(try melFilterbank(sampleRate: 16000, nFFT: 256, nMels: 32, fMin: 0, fMax: 8000, scale: .htk, norm: .none),
                    try f.tensor("torchaudio_htk_none"), abs: 1e-5, "torchaudio htk/none")
        expectClose(try melFilterbank(sampleRate: 16000, nFFT: 256, nMels: 32, fMin: 0, fMax: 8000, scale: .htk, norm: .slaney),
                    try f.tensor("torchaudio_htk_slaney"), abs: 1e-6, rel: 1e-5, "torchaudio htk/slaney")
    }

    @Test("mel ↔ Hz round trip on both scales")
    func scaleRoundTrip() {
        for scale in [MelScale.slaney, .htk] {
            for hz in [0.0, 440, 999.9, 1000, 4321, 8000] {
                #expect(Swift.abs(scale.hz(fromMel: scale.mel(fromHz: hz)) - hz) < 1e-9)
            }
        }
        #expect(Swift.abs(MelScale.slaney.mel(fromHz: 1000) - 15) < 1e-12)
    }

    @Test("AudioLDM log-mel: log(clamp(fb @ |STFT|, 1e-5))")
    func audioLDMLogMel() throws {
        let x = try Fixtures.load("dsp_stft").tensor("signal")             // [4000]
        let f = try Fixtures.load("dsp_logmel")
        let mel = try MelSpectrogram.audioLDM()(x)                          // [64, 26]
        expectClose(mel, try f.tensor("mel"), abs: 1e-4, rel: 1e-5, "mel")
        // log amplifies the float32 error of mel values near the 1e-5 clamp (an absolute mel error
        // of 3e-8 is 3e-3 in log at 1e-5), so the log is compared tightly where the mel is ≥ 1e-3
        // and loosely (5e-3; a wrong clamp or log base is off by > 0.1) below that.
        let expectedMel = try f.tensor("mel"), expectedLog = try f.tensor("log_mel")
        let actualLog = logMel(mel)
        let loud = (0..<expectedMel.count).filter { expectedMel.scalars[$0] >= 1e-3 }
        let quiet = (0..<expectedMel.count).filter { expectedMel.scalars[$0] < 1e-3 }
        func pick(_ t: Tensor, _ i: [Int]) -> Tensor { Tensor(shape: [i.count], scalars: i.map { t.scalars[$0] }) }
        #expect(loud.count >= 500)
        expectClose(pick(actualLog, loud), pick(expectedLog, loud), abs: 1e-5, rel: 1e-5, "log-mel where mel ≥ 1e-3")
        expectClose(pick(actualLog, quiet), pick(expectedLog, quiet), abs: 5e-3, "log-mel where mel < 1e-3")
        #expect(actualLog.scalars.min()! >= log(Float(1e-5)) - 1e-6)
    }

    @Test("bad filterbank settings throw")
    func badInput() throws {
        #expect(throws: DSPError.self) { _ = try melFilterbank(sampleRate: 16000, nFFT: 1024, nMels: 0) }
        #expect(throws: DSPError.self) { _ = try melFilterbank(sampleRate: 16000, nFFT: 1024, nMels: 64, fMin: 9000, fMax: 8000) }
        #expect(throws: DSPError.self) {
            _ = try MelSpectrogram(stft: STFT(nFFT: 512), filterbank: melFilterbank(sampleRate: 16000, nFFT: 1024, nMels: 64))
        }
    }
}
