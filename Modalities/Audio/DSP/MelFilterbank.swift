// Mel filterbanks, mel spectrograms and log-mel.
// References: librosa.filters.mel (librosa 0.11), torchaudio.functional.melscale_fbanks,
// AudioLDM's TacotronSTFT.mel_spectrogram (audioldm/audio/stft.py).
import Foundation
import Tensors

/// The Hz ↔ mel mapping: librosa's `htk=False` / torchaudio's `mel_scale="slaney"` (linear below
/// 1 kHz, logarithmic above), or `htk=True` / `mel_scale="htk"` (`2595·log10(1 + f/700)`).
public enum MelScale: Sendable, Equatable {
    /// Slaney's Auditory Toolbox scale, librosa's default.
    case slaney
    /// The HTK scale, torchaudio's default.
    case htk

    /// `librosa.hz_to_mel(hz, htk:)`.
    public func mel(fromHz hz: Double) -> Double {
        switch self {
        case .htk: return 2595 * log10(1 + hz / 700)
        case .slaney:
            let fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
            return hz >= minLogHz ? minLogMel + log(hz / minLogHz) / logStep : hz / fSp
        }
    }

    /// `librosa.mel_to_hz(mel, htk:)`.
    public func hz(fromMel mel: Double) -> Double {
        switch self {
        case .htk: return 700 * (pow(10, mel / 2595) - 1)
        case .slaney:
            let fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
            return mel >= minLogMel ? minLogHz * exp(logStep * (mel - minLogMel)) : fSp * mel
        }
    }
}

/// Filter normalization: `norm="slaney"` divides each triangle by its width in Hz (constant
/// energy per channel); `.none` keeps peaks at 1 (librosa `norm=None`, torchaudio `norm=None`).
public enum MelNorm: Sendable, Equatable {
    /// Area normalization, `2 / (f[i+2] − f[i])`.
    case slaney
    /// Triangles with peak 1.
    case none
}

/// `librosa.filters.mel(sr:, n_fft:, n_mels:, fmin:, fmax:, htk:, norm:)` as a `[nMels, nFFT/2 + 1]`
/// tensor, computed in Double. `torchaudio.functional.melscale_fbanks(n_fft/2 + 1, fmin, fmax,
/// n_mels, sr, norm, mel_scale)` is its transpose for even sample rates (torchaudio spaces the
/// bins up to `sr // 2`, librosa up to `sr / 2`). `fMax` defaults to `sampleRate / 2`.
public func melFilterbank(sampleRate: Int, nFFT: Int, nMels: Int, fMin: Double = 0, fMax: Double? = nil,
                          scale: MelScale = .slaney, norm: MelNorm = .slaney) throws -> Tensor {
    let top = fMax ?? Double(sampleRate) / 2
    guard sampleRate > 0, nFFT >= 1, nMels >= 1, fMin >= 0, fMin < top, top.isFinite else {
        throw DSPError("melFilterbank: invalid settings sr \(sampleRate), n_fft \(nFFT), n_mels \(nMels), fmin \(fMin), fmax \(top)")
    }
    let bins = nFFT / 2 + 1
    let nyquist = Double(sampleRate) / 2
    let fftFrequencies = (0..<bins).map { bins == 1 ? 0 : nyquist * Double($0) / Double(bins - 1) }
    let melMin = scale.mel(fromHz: fMin), melMax = scale.mel(fromHz: top)
    let melHz = (0..<(nMels + 2)).map { i in                     // filter edges, Hz
        scale.hz(fromMel: melMin + (melMax - melMin) * Double(i) / Double(nMels + 1))
    }
    var weights = [Float](repeating: 0, count: nMels * bins)     // [n_mels, n_freqs]
    for m in 0..<nMels {
        let lowWidth = melHz[m + 1] - melHz[m], highWidth = melHz[m + 2] - melHz[m + 1]
        let enorm = norm == .slaney ? 2 / (melHz[m + 2] - melHz[m]) : 1
        for k in 0..<bins {
            let lower = (fftFrequencies[k] - melHz[m]) / lowWidth
            let upper = (melHz[m + 2] - fftFrequencies[k]) / highWidth
            weights[m * bins + k] = Float(max(0, min(lower, upper)) * enorm)
        }
    }
    return Tensor(shape: [nMels, bins], scalars: weights)
}

/// Applies a `[rows, F]` matrix to every `[F, frames]` plane of `x` (`[..., F, frames]`).
func applyMatrix(_ matrix: Tensor, _ x: Tensor) -> Tensor {
    let rows = matrix.shape[0], inner = matrix.shape[1], frames = x.shape[x.rank - 1]
    let batch = x.count / max(1, inner * frames)
    return Tensor(shape: Array(x.shape.dropLast(2)) + [rows, frames]) { out in
        matrix.scalars.withUnsafeBufferPointer { a in
            x.scalars.withUnsafeBufferPointer { b in
                for i in 0..<batch {
                    sgemm(transposeA: false, transposeB: false, m: rows, n: frames, k: inner, alpha: 1,
                          a: a.baseAddress!, b: b.baseAddress! + i * inner * frames, beta: 0,
                          c: out.baseAddress! + i * rows * frames)
                }
            }
        }
    }
}

/// A mel spectrogram: `filterbank @ |STFT(x)|^power`, as `torchaudio.transforms.MelSpectrogram`
/// (with a librosa filterbank) and AudioLDM's `TacotronSTFT.mel_spectrogram` before the log.
public struct MelSpectrogram: Sendable {
    /// The STFT applied to the waveform.
    public let stft: STFT
    /// `[nMels, nFFT/2 + 1]`, from `melFilterbank`.
    public let filterbank: Tensor
    /// Exponent of the magnitude: 1 (AudioLDM, HiFi-GAN) or 2 (power, torchaudio's default).
    public let power: Float

    /// Combines an STFT with a filterbank whose column count is `stft.frequencyCount`.
    public init(stft: STFT, filterbank: Tensor, power: Float = 1) throws {
        guard filterbank.rank == 2, filterbank.shape[1] == stft.frequencyCount else {
            throw DSPError("MelSpectrogram: filterbank \(filterbank.shape) needs \(stft.frequencyCount) columns for n_fft \(stft.nFFT)")
        }
        guard power == 1 || power == 2 else { throw DSPError("MelSpectrogram: power \(power) must be 1 or 2") }
        self.stft = stft
        self.filterbank = filterbank
        self.power = power
    }

    /// AudioLDM's settings (audioldm `default_audioldm_config`: sr 16000, filter_length 1024,
    /// hop 160, win 1024, 64 mels, 0–8000 Hz, Slaney scale and norm, magnitude).
    public static func audioLDM() throws -> MelSpectrogram {
        try MelSpectrogram(stft: STFT(nFFT: 1024, hopLength: 160, winLength: 1024),
                           filterbank: melFilterbank(sampleRate: 16000, nFFT: 1024, nMels: 64, fMin: 0, fMax: 8000),
                           power: 1)
    }

    /// `[..., T]` waveform → `[..., nMels, frames]` mel spectrogram.
    public func callAsFunction(_ waveform: Tensor) throws -> Tensor {
        var magnitude = try stft.forward(waveform).magnitude()     // [..., F, frames]
        if power == 2 { for i in 0..<magnitude.count { magnitude.scalars[i] *= magnitude.scalars[i] } }
        return applyMatrix(filterbank, magnitude)
    }
}

/// `log(clamp(x, min: clamp))`: AudioLDM's and HiFi-GAN's `dynamic_range_compression_torch`
/// with `C = 1`, `clip_val = 1e-5`.
public func logMel(_ mel: Tensor, clamp: Float = 1e-5) -> Tensor {
    Tensor(shape: mel.shape) { out in
        for i in 0..<out.count { out[i] = log(max(mel.scalars[i], clamp)) }
    }
}
