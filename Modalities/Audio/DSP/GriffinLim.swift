// Phase reconstruction and the weight-free vocoder.
// References: torchaudio.functional.griffinlim / torchaudio.transforms.GriffinLim,
// torchaudio.transforms.InverseMelScale (torchaudio 2.11).
import Foundation
import Tensors

/// Mel → linear magnitude by minimum-norm least squares followed by ReLU, as
/// `torchaudio.transforms.InverseMelScale` (`torch.linalg.lstsq(fb.T, mel, driver="gels")`,
/// whose solution for this under-determined system is the pseudo-inverse one). The pseudo-inverse
/// `Aᵀ(AAᵀ)⁻¹` of the `[nMels, F]` filterbank `A` is computed once in Double by Cholesky.
public struct InverseMelScale: Sendable {
    /// `[F, nMels]` pseudo-inverse of the filterbank.
    public let pseudoInverse: Tensor

    /// Throws when the filterbank has an empty (all-zero) filter or dependent rows.
    public init(filterbank: Tensor) throws {
        guard filterbank.rank == 2 else { throw DSPError("InverseMelScale: filterbank must be [n_mels, F], got \(filterbank.shape)") }
        let m = filterbank.shape[0], f = filterbank.shape[1]
        let a = filterbank.scalars.map(Double.init)
        var l = [Double](repeating: 0, count: m * m)              // Cholesky factor of A·Aᵀ
        for i in 0..<m {
            for j in 0...i {
                var s = 0.0
                for k in 0..<f { s += a[i * f + k] * a[j * f + k] }
                let rowNorm = s                                     // |A_i|² when i == j
                for k in 0..<j { s -= l[i * m + k] * l[j * m + k] }
                if i == j {
                    guard rowNorm > 0, s > 1e-10 * rowNorm else {
                        throw DSPError("InverseMelScale: mel filter \(i) of \(m) is empty or dependent (n_mels too high for F = \(f) bins); the filterbank cannot be inverted")
                    }
                    l[i * m + i] = s.squareRoot()
                } else {
                    l[i * m + j] = s / l[j * m + j]
                }
            }
        }
        var inverse = [Double](repeating: 0, count: m * m)        // (A·Aᵀ)⁻¹, column by column
        for c in 0..<m {
            var y = [Double](repeating: 0, count: m)
            for i in 0..<m {
                var s = i == c ? 1.0 : 0.0
                for k in 0..<i { s -= l[i * m + k] * y[k] }
                y[i] = s / l[i * m + i]
            }
            for i in stride(from: m - 1, through: 0, by: -1) {
                var s = y[i]
                for k in (i + 1)..<m { s -= l[k * m + i] * inverse[k * m + c] }
                inverse[i * m + c] = s / l[i * m + i]
            }
        }
        var pinv = [Float](repeating: 0, count: f * m)            // [F, n_mels] = Aᵀ·(A·Aᵀ)⁻¹
        for k in 0..<f {
            for c in 0..<m {
                var s = 0.0
                for i in 0..<m { s += a[i * f + k] * inverse[i * m + c] }
                pinv[k * m + c] = Float(s)
            }
        }
        pseudoInverse = Tensor(shape: [f, m], scalars: pinv)
    }

    /// `[..., nMels, frames]` mel magnitudes → `[..., F, frames]` non-negative linear magnitudes.
    public func callAsFunction(_ mel: Tensor) throws -> Tensor {
        guard mel.rank >= 2, mel.shape[mel.rank - 2] == pseudoInverse.shape[1] else {
            throw DSPError("InverseMelScale: mel \(mel.shape) needs \(pseudoInverse.shape[1]) mel rows")
        }
        var linear = applyMatrix(pseudoInverse, mel)
        for i in 0..<linear.count where !(linear.scalars[i] > 0) { linear.scalars[i] = 0 }
        return linear
    }
}

/// Fast Griffin-Lim phase reconstruction, as `torchaudio.transforms.GriffinLim(n_fft, n_iter,
/// win_length, hop_length, power=power, momentum=momentum, length, rand_init=False)`: the phase
/// starts at 0 (deterministic), each iteration is iSTFT → STFT → `angles = rebuilt − momentum·tprev`,
/// normalised by `|angles| + 1e-16`. torchaudio ≥ 0.10 uses `momentum` itself (librosa uses
/// `momentum / (1 + momentum)`).
public struct GriffinLim: Sendable {
    /// The STFT whose inverse and forward alternate.
    public let stft: STFT
    /// Number of iterations (`n_iter`).
    public let iterations: Int
    /// Fast Griffin-Lim momentum in [0, 1); 0 is the original algorithm.
    public let momentum: Float
    /// The input is `|X|^power`; it is raised to `1/power` first.
    public let power: Float

    /// torchaudio's defaults except `power` (1 here: AudioLDM's mels are magnitudes).
    public init(stft: STFT, iterations: Int = 32, momentum: Float = 0.99, power: Float = 1) throws {
        guard iterations >= 0 else { throw DSPError("GriffinLim: n_iter \(iterations) must not be negative") }
        guard momentum >= 0, momentum < 1 else { throw DSPError("GriffinLim: momentum \(momentum) must be in [0, 1)") }
        guard power > 0, power.isFinite else { throw DSPError("GriffinLim: power \(power) must be positive") }
        self.stft = stft
        self.iterations = iterations
        self.momentum = momentum
        self.power = power
    }

    /// `[..., F, frames]` magnitude (to the `power`) → `[..., samples]` waveform; `length` as in
    /// `torch.istft`.
    public func callAsFunction(_ specgram: Tensor, length: Int? = nil) throws -> Tensor {
        guard specgram.rank >= 2, specgram.shape[specgram.rank - 2] == stft.frequencyCount else {
            throw DSPError("GriffinLim: spectrogram \(specgram.shape) needs \(stft.frequencyCount) frequency rows (n_fft \(stft.nFFT))")
        }
        var magnitude = specgram                                   // [..., F, frames]
        if power != 1 {
            for i in 0..<magnitude.count { magnitude.scalars[i] = pow(magnitude.scalars[i], 1 / power) }
        }
        let shape = magnitude.shape, count = magnitude.count
        var angles = try ComplexSpectrogram(real: Tensor(repeating: 1, shape: shape), imag: Tensor(zeros: shape))
        var previous = try ComplexSpectrogram(real: Tensor(zeros: shape), imag: Tensor(zeros: shape))
        for _ in 0..<iterations {
            let inverse = try stft.inverse(scaled(angles, by: magnitude), length: length)
            let rebuilt = try stft.forward(inverse)
            guard rebuilt.real.shape == shape else {
                throw DSPError("GriffinLim: STFT of the \(inverse.shape) estimate has shape \(rebuilt.real.shape), not \(shape); pass length = hop·(frames−1) or nil")
            }
            Self.updateAngles(&angles, rebuilt: rebuilt, previous: previous, momentum: momentum, count: count)
            previous = rebuilt
        }
        return try stft.inverse(scaled(angles, by: magnitude), length: length)
    }

    /// `angles = (rebuilt − momentum·previous) / (|rebuilt − momentum·previous| + 1e-16)`.
    private static func updateAngles(_ angles: inout ComplexSpectrogram, rebuilt: ComplexSpectrogram,
                                     previous: ComplexSpectrogram, momentum: Float, count: Int) {
        angles.real.scalars.withUnsafeMutableBufferPointer { ar in
            angles.imag.scalars.withUnsafeMutableBufferPointer { ai in
                rebuilt.real.scalars.withUnsafeBufferPointer { rr in
                    rebuilt.imag.scalars.withUnsafeBufferPointer { ri in
                        previous.real.scalars.withUnsafeBufferPointer { pr in
                            previous.imag.scalars.withUnsafeBufferPointer { pi in
                                for i in 0..<count {
                                    let re = rr[i] - momentum * pr[i]
                                    let im = ri[i] - momentum * pi[i]
                                    let norm = (re * re + im * im).squareRoot() + 1e-16
                                    ar[i] = re / norm
                                    ai[i] = im / norm
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `magnitude · angles`, the complex spectrogram handed to the inverse STFT.
    private func scaled(_ angles: ComplexSpectrogram, by magnitude: Tensor) throws -> ComplexSpectrogram {
        var out = angles
        magnitude.scalars.withUnsafeBufferPointer { m in
            out.real.scalars.withUnsafeMutableBufferPointer { re in
                out.imag.scalars.withUnsafeMutableBufferPointer { im in
                    for i in 0..<m.count {
                        re[i] *= m[i]
                        im[i] *= m[i]
                    }
                }
            }
        }
        return out
    }
}

/// The vocoder that needs no weights: log-mel → `exp` → `InverseMelScale` → `GriffinLim`
/// (torchaudio's InverseMelScale + GriffinLim chain, applied to AudioLDM's log-mel).
public struct GriffinLimVocoder: Sendable {
    /// Undoes the mel projection.
    public let inverseMel: InverseMelScale
    /// Recovers the phase.
    public let griffinLim: GriffinLim

    /// Builds the chain for a mel spectrogram definition (its power is the Griffin-Lim power).
    public init(melSpectrogram: MelSpectrogram, iterations: Int = 32, momentum: Float = 0.99) throws {
        inverseMel = try InverseMelScale(filterbank: melSpectrogram.filterbank)
        griffinLim = try GriffinLim(stft: melSpectrogram.stft, iterations: iterations, momentum: momentum,
                                    power: melSpectrogram.power)
    }

    /// `[..., nMels, frames]` natural-log mel (as `logMel`) → `[..., samples]` waveform.
    public func callAsFunction(logMel: Tensor, length: Int? = nil) throws -> Tensor {
        var mel = logMel
        for i in 0..<mel.count { mel.scalars[i] = exp(mel.scalars[i]) }
        return try griffinLim(inverseMel(mel), length: length)
    }
}
