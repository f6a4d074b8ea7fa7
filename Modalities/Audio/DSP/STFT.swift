// Short-time Fourier transform and its inverse.
// Reference: torch.stft / torch.istft (aten/src/ATen/native/SpectralOps.cpp), librosa.stft.
import Foundation
import Tensors

/// How `STFT` pads the signal's ends when `center` is true.
public enum STFTPadMode: Sendable, Equatable {
    /// Mirror without repeating the edge sample: torch.stft's default `pad_mode="reflect"`.
    case reflect
    /// Zeros: librosa.stft's default `pad_mode="constant"` (librosa ≥ 0.10).
    case constant
}

/// A one-sided complex spectrogram as two real planes of shape `[..., n_fft/2 + 1, frames]`,
/// the layout of `torch.stft(..., return_complex=True)` split into `.real` and `.imag`.
public struct ComplexSpectrogram: Sendable, Equatable {
    /// Real parts, `[..., freq, frames]`.
    public var real: Tensor
    /// Imaginary parts, same shape as `real`.
    public var imag: Tensor

    /// Wraps two planes of equal shape.
    public init(real: Tensor, imag: Tensor) throws {
        guard real.shape == imag.shape, real.rank >= 2 else {
            throw DSPError("ComplexSpectrogram: real \(real.shape) and imag \(imag.shape) must share one shape of rank ≥ 2")
        }
        self.real = real
        self.imag = imag
    }

    /// `atan2(imag, real)` in (−π, π], as `torch.angle(torch.stft(...))`.
    public func phase() -> Tensor {
        Tensor(shape: real.shape) { out in
            real.scalars.withUnsafeBufferPointer { re in
                imag.scalars.withUnsafeBufferPointer { im in
                    for i in 0..<out.count { out[i] = atan2(im[i], re[i]) }
                }
            }
        }
    }

    /// `|X|`, as `torch.abs(torch.stft(...))`.
    public func magnitude() -> Tensor {
        Tensor(shape: real.shape) { out in
            real.scalars.withUnsafeBufferPointer { re in
                imag.scalars.withUnsafeBufferPointer { im in
                    for i in 0..<out.count { out[i] = (re[i] * re[i] + im[i] * im[i]).squareRoot() }
                }
            }
        }
    }
}

/// `torch.hann_window(length, periodic: true)`: `0.5 - 0.5 cos(2πn / length)`; with
/// `periodic: false`, the symmetric window (`scipy.signal.get_window("hann", fftbins=False)`).
public func hannWindow(_ length: Int, periodic: Bool = true) -> [Float] {
    if length == 1 { return [1] }
    let denominator = Double(periodic ? length : length - 1)
    return (0..<length).map { n in Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / denominator)) }
}

/// A planned short-time Fourier transform with a Hann window, matching `torch.stft` /
/// `torch.istft` with `window=torch.hann_window(win_length)` (periodic), `normalized=False`,
/// `onesided=True`; `padMode: .constant` gives `librosa.stft`'s default padding instead.
public struct STFT: Sendable {
    /// FFT size (`n_fft`); the spectrogram has `nFFT / 2 + 1` rows.
    public let nFFT: Int
    /// Samples between frame starts (`hop_length`).
    public let hopLength: Int
    /// Window length (`win_length`), zero-padded to `nFFT` centred, as torch does.
    public let winLength: Int
    /// Pad `nFFT / 2` samples on both ends so frame `t` is centred at `t·hopLength` (`center=True`).
    public let center: Bool
    /// How the ends are padded when `center` is true.
    public let padMode: STFTPadMode
    /// The Hann window padded to `nFFT`.
    public let window: [Float]

    /// Number of frequency rows, `nFFT / 2 + 1`.
    public var frequencyCount: Int { nFFT / 2 + 1 }

    /// torch's defaults: `hopLength = nFFT / 4`, `winLength = nFFT`, `center = true`, reflect padding.
    public init(nFFT: Int, hopLength: Int? = nil, winLength: Int? = nil, center: Bool = true,
                padMode: STFTPadMode = .reflect) throws {
        let hop = hopLength ?? nFFT / 4
        let win = winLength ?? nFFT
        guard nFFT >= 1, nFFT <= 1 << 24 else { throw DSPError("STFT: n_fft \(nFFT) is out of range 1 ... 2^24") }
        guard hop >= 1 else { throw DSPError("STFT: hop_length \(hop) must be positive") }
        guard win >= 1, win <= nFFT else {
            throw DSPError("STFT: win_length \(win) must be in 1 ... n_fft (\(nFFT))")
        }
        self.nFFT = nFFT
        self.hopLength = hop
        self.winLength = win
        self.center = center
        self.padMode = padMode
        var padded = [Float](repeating: 0, count: nFFT)
        let left = (nFFT - win) / 2
        for (i, w) in hannWindow(win).enumerated() { padded[left + i] = w }
        self.window = padded
    }

    /// Number of frames for a signal of `length` samples.
    public func frameCount(forLength length: Int) -> Int {
        let padded = center ? length + 2 * (nFFT / 2) : length
        return padded < nFFT ? 0 : 1 + (padded - nFFT) / hopLength
    }

    /// `torch.stft(signal, ..., return_complex=True)` for a signal `[..., T]`; returns `[..., F, frames]`.
    public func forward(_ signal: Tensor) throws -> ComplexSpectrogram {
        guard signal.rank >= 1, let length = signal.shape.last, length >= 1 else {
            throw DSPError("STFT: the signal must have shape [..., T] with T ≥ 1, got \(signal.shape)")
        }
        let pad = center ? nFFT / 2 : 0
        if center && padMode == .reflect && pad >= length {
            throw DSPError("STFT: reflect padding of \(pad) samples needs a signal longer than \(pad), got \(length)")
        }
        let frames = frameCount(forLength: length)
        guard frames >= 1 else {
            throw DSPError("STFT: a signal of \(length) samples is shorter than n_fft \(nFFT) (center=false)")
        }
        let batch = signal.count / length
        let bins = frequencyCount
        let paddedLength = length + 2 * pad
        let outShape = Array(signal.shape.dropLast()) + [bins, frames]
        var real = [Float](repeating: 0, count: batch * bins * frames)    // [B, F, frames]
        var imag = real
        try real.withUnsafeMutableBufferPointer { rePtr in
            try imag.withUnsafeMutableBufferPointer { imPtr in
                let re = UncheckedPointer(rePtr.baseAddress!), im = UncheckedPointer(imPtr.baseAddress!)
                try signal.scalars.withUnsafeBufferPointer { xAll in
                    try window.withUnsafeBufferPointer { win in
                        let plans = try RealFFTPool(count: nFFT, plans: min(Parallel.threadCount, frames))
                        for b in 0..<batch {
                            let x = xAll.baseAddress! + b * length
                            var padded = [Float](repeating: 0, count: paddedLength)  // [T + 2·pad]
                            padded.withUnsafeMutableBufferPointer { p in
                                for i in 0..<length { p[pad + i] = x[i] }
                                if padMode == .reflect {
                                    for i in 0..<pad {
                                        p[pad - 1 - i] = x[i + 1]
                                        p[pad + length + i] = x[length - 2 - i]
                                    }
                                }
                            }
                            let plane = b * bins * frames
                            padded.withUnsafeBufferPointer { p in
                                Parallel.forEachChunk(frames, minimumPerThread: max(1, 65536 / nFFT)) { range in
                                    let fft = plans.take()
                                    defer { plans.give(fft) }
                                    var frame = [Float](repeating: 0, count: nFFT)
                                    frame.withUnsafeMutableBufferPointer { f in
                                        for t in range {
                                            let start = t &* hopLength
                                            for n in 0..<nFFT { f[n] = p[start &+ n] * win[n] }
                                            fft.forward(f.baseAddress!, real: re.pointer + plane + t,
                                                        imag: im.pointer + plane + t, outputStride: frames)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return try ComplexSpectrogram(real: Tensor(shape: outShape, scalars: real),
                                      imag: Tensor(shape: outShape, scalars: imag))
    }

    /// `torch.istft(spectrogram, ..., center=self.center, length=length)` for `[..., F, frames]`;
    /// returns `[..., samples]`. Without `length` the result has `hopLength·(frames − 1)` samples
    /// when centred (torch trims `nFFT / 2` from both ends); with it, it is trimmed or zero-padded.
    /// Throws where the window overlap-add is below 1e-11, as torch does.
    public func inverse(_ spectrogram: ComplexSpectrogram, length: Int? = nil) throws -> Tensor {
        let shape = spectrogram.real.shape
        let bins = shape[shape.count - 2], frames = shape[shape.count - 1]
        guard bins == frequencyCount, frames >= 1 else {
            throw DSPError("iSTFT: spectrogram \(shape) needs \(frequencyCount) frequency rows (n_fft \(nFFT)) and ≥ 1 frame")
        }
        if let length, length < 0 { throw DSPError("iSTFT: length \(length) must not be negative") }
        let batch = spectrogram.real.count / (bins * frames)
        let fullLength = nFFT + hopLength * (frames - 1)
        let start = center ? nFFT / 2 : 0
        let end = length.map { start + $0 } ?? (center ? fullLength - nFFT / 2 : fullLength)
        let kept = max(0, min(end, fullLength) - start)
        let outLength = length ?? kept
        var envelope = [Float](repeating: 0, count: fullLength)      // Σ window² over frames
        for t in 0..<frames {
            for n in 0..<nFFT { envelope[t * hopLength + n] += window[n] * window[n] }
        }
        for i in start..<(start + kept) where envelope[i] < 1e-11 {
            throw DSPError("iSTFT: window overlap-add is \(envelope[i]) < 1e-11 at sample \(i) (n_fft \(nFFT), hop \(hopLength), win \(winLength)); the transform cannot be inverted")
        }
        var output = [Float](repeating: 0, count: batch * outLength)  // [B, samples]
        var frameSignals = [Float](repeating: 0, count: frames * nFFT) // [frames, n_fft]
        let plans = try RealFFTPool(count: nFFT, plans: min(Parallel.threadCount, frames))
        spectrogram.real.scalars.withUnsafeBufferPointer { reAll in
            spectrogram.imag.scalars.withUnsafeBufferPointer { imAll in
                for b in 0..<batch {
                    let re = reAll.baseAddress! + b * bins * frames, im = imAll.baseAddress! + b * bins * frames
                    frameSignals.withUnsafeMutableBufferPointer { fsPtr in
                        let fs = UncheckedPointer(fsPtr.baseAddress!)
                        window.withUnsafeBufferPointer { win in
                            Parallel.forEachChunk(frames, minimumPerThread: max(1, 65536 / nFFT)) { range in
                                let fft = plans.take()
                                defer { plans.give(fft) }
                                for t in range {
                                    let f = fs.pointer + t &* nFFT
                                    fft.inverse(real: re + t, imag: im + t, inputStride: frames, output: f)
                                    for n in 0..<nFFT { f[n] *= win[n] }
                                }
                            }
                        }
                    }
                    var y = [Float](repeating: 0, count: fullLength)
                    for t in 0..<frames {
                        let offset = t * hopLength
                        for n in 0..<nFFT { y[offset + n] += frameSignals[t * nFFT + n] }
                    }
                    for i in 0..<kept { output[b * outLength + i] = y[start + i] / envelope[start + i] }
                }
            }
        }
        return Tensor(shape: Array(shape.dropLast(2)) + [outLength], scalars: output)
    }
}

/// A raw pointer carried into `Parallel.forEachChunk`, whose chunks write disjoint elements.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// FFT plans shared by the chunks of one `Parallel.forEachChunk` call: at most
/// `Parallel.threadCount` chunks run at once, so a pool of that many plans never runs dry.
final class RealFFTPool: @unchecked Sendable {
    private var free: [RealFFT]
    private let lock = NSLock()

    init(count: Int, plans: Int) throws {
        free = try (0..<max(1, plans)).map { _ in try RealFFT(count: count) }
    }

    func take() -> RealFFT {
        lock.lock(); defer { lock.unlock() }
        return free.removeLast()
    }

    func give(_ plan: RealFFT) {
        lock.lock(); defer { lock.unlock() }
        free.append(plan)
    }
}
