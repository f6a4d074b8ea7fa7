// Real-input FFT over FFmpeg's libavutil `av_tx` (libavutil/tx.h, AV_TX_FLOAT_RDFT, FFmpeg ≥ 5.1).
// Reference semantics: numpy.fft.rfft / numpy.fft.irfft (norm="backward"), as torch.fft uses.
import CFFmpeg

/// A forward and inverse real DFT of one length, planned once with FFmpeg's `av_tx_init`.
///
/// `forward` matches `numpy.fft.rfft` / `torch.fft.rfft` (unnormalized, `n/2 + 1` bins);
/// `inverse` matches `numpy.fft.irfft` / `torch.fft.irfft` with norm "backward" (scaled by `1/n`;
/// the imaginary parts of the DC bin, and of the Nyquist bin for even `n`, are ignored, as in a
/// complex-to-real DFT). Lengths divisible by 4 use `AV_TX_FLOAT_RDFT`; other lengths use the
/// complex `AV_TX_FLOAT_FFT` (FFmpeg 5.1's RDFT gives wrong bins when `n/2` is odd, which the
/// tests check). An instance owns scratch buffers: use one per thread (it is not `Sendable`).
public final class RealFFT {
    /// The transform length `n`.
    public let count: Int
    /// Number of one-sided bins, `n / 2 + 1`.
    public var binCount: Int { count / 2 + 1 }

    private let usesRealTransform: Bool
    private var forwardContext: OpaquePointer?
    private var inverseContext: OpaquePointer?
    private let forwardFunction: av_tx_fn
    private let inverseFunction: av_tx_fn
    private let input: UnsafeMutablePointer<Float>      // [2n]: samples, or (re, im) pairs
    private let output: UnsafeMutablePointer<Float>     // [2n]: (re, im) pairs, or samples

    /// Plans both directions for length `count` (1 ≤ count ≤ 2^24).
    public init(count: Int) throws {
        guard count >= 1, count <= 1 << 24 else {
            throw DSPError("RealFFT: length \(count) is not supported (needs 1 ... 2^24)")
        }
        self.count = count
        let real = count % 4 == 0
        usesRealTransform = real
        let type = real ? AV_TX_FLOAT_RDFT : AV_TX_FLOAT_FFT
        let typeName = real ? "AV_TX_FLOAT_RDFT" : "AV_TX_FLOAT_FFT"
        var forwardScale: Float = 1
        var inverseScale: Float = real ? 1 / Float(count) : 1
        var fctx: OpaquePointer?
        var ffn: av_tx_fn?
        var status = av_tx_init(&fctx, &ffn, type, 0, Int32(count), &forwardScale, 0)
        guard status >= 0, let ffn, fctx != nil else {
            throw DSPError("RealFFT: av_tx_init(\(typeName), forward, n=\(count)) failed with code \(status)")
        }
        var ictx: OpaquePointer?
        var ifn: av_tx_fn?
        status = av_tx_init(&ictx, &ifn, type, 1, Int32(count), &inverseScale, 0)
        guard status >= 0, let ifn, ictx != nil else {
            av_tx_uninit(&fctx)
            throw DSPError("RealFFT: av_tx_init(\(typeName), inverse, n=\(count)) failed with code \(status)")
        }
        let floats = 2 * count + 2
        let bytes = floats * MemoryLayout<Float>.stride
        guard let inputRaw = av_malloc(bytes), let outputRaw = av_malloc(bytes) else {
            av_tx_uninit(&fctx); av_tx_uninit(&ictx)
            throw DSPError("RealFFT: out of memory allocating \(bytes) bytes for n=\(count)")
        }
        forwardContext = fctx
        inverseContext = ictx
        forwardFunction = ffn
        inverseFunction = ifn
        input = inputRaw.bindMemory(to: Float.self, capacity: floats)
        output = outputRaw.bindMemory(to: Float.self, capacity: floats)
        input.initialize(repeating: 0, count: floats)
        output.initialize(repeating: 0, count: floats)
    }

    deinit {
        av_tx_uninit(&forwardContext)
        av_tx_uninit(&inverseContext)
        av_free(input)
        av_free(output)
    }

    /// `rfft` of `count` samples read from `signal` into `binCount` values at
    /// `real[k * outputStride]` and `imag[k * outputStride]`.
    public func forward(_ signal: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>,
                        imag: UnsafeMutablePointer<Float>, outputStride: Int = 1) {
        if usesRealTransform {
            input.update(from: signal, count: count)
            forwardFunction(forwardContext, output, input, MemoryLayout<Float>.stride)
        } else {
            for t in 0..<count {
                input[2 &* t] = signal[t]
                input[2 &* t &+ 1] = 0
            }
            forwardFunction(forwardContext, output, input, 2 * MemoryLayout<Float>.stride)
        }
        for k in 0..<binCount {
            real[k &* outputStride] = output[2 &* k]
            imag[k &* outputStride] = output[2 &* k &+ 1]
        }
    }

    /// `irfft` (scaled by `1/count`) of `binCount` values read from `real[k * inputStride]` and
    /// `imag[k * inputStride]` into `count` samples at `signal`.
    public func inverse(real: UnsafePointer<Float>, imag: UnsafePointer<Float>, inputStride: Int = 1,
                        output signal: UnsafeMutablePointer<Float>) {
        let bins = binCount
        for k in 0..<bins {
            input[2 &* k] = real[k &* inputStride]
            input[2 &* k &+ 1] = imag[k &* inputStride]
        }
        input[1] = 0                                    // a real signal's DC bin is real
        if count % 2 == 0 { input[2 &* (bins &- 1) &+ 1] = 0 }  // and so is its Nyquist bin
        if usesRealTransform {
            inverseFunction(inverseContext, output, input, MemoryLayout<Float>.stride)
            signal.update(from: output, count: count)
            return
        }
        for k in bins..<count {                         // Hermitian half: X[n - k] = conj(X[k])
            input[2 &* k] = input[2 &* (count &- k)]
            input[2 &* k &+ 1] = -input[2 &* (count &- k) &+ 1]
        }
        inverseFunction(inverseContext, output, input, 2 * MemoryLayout<Float>.stride)
        let scale = 1 / Float(count)
        for t in 0..<count { signal[t] = output[2 &* t] * scale }
    }
}
