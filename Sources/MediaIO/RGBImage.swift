/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes R, G, B
/// (interleaved, row-major, no padding) — the layout of a PIL `RGB` image or FFmpeg's `rgb24`.
public struct RGBImage: Sendable, Equatable {
    /// The value range of float planes handed to `init(planes:…)` or asked of `floatPlanes(range:)`.
    public enum FloatRange: Sendable, Equatable {
        /// [-1, 1]: a VAE decoder's output, denormalised as diffusers does (`x * 0.5 + 0.5`).
        case minusOneToOne
        /// [0, 1]: already denormalised.
        case zeroToOne
    }

    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height * 3` bytes: R, G, B of each pixel, row after row.
    public let pixels: [UInt8]

    /// An image from interleaved RGB8 bytes; throws unless `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        let count = try RGBImage.byteCount(width: width, height: height)
        guard pixels.count == count else {
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "\(width)x\(height) needs \(count) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image from float planes `[C, H, W]` (C = 3 for RGB, or 1 for grey, which is copied to
    /// R, G and B), quantised exactly as diffusers does it:
    /// `VaeImageProcessor.postprocess` (`denormalize`: `(x * 0.5 + 0.5).clamp(0, 1)`, float32)
    /// then `numpy_to_pil` (`(images * 255).round().astype("uint8")`, float32, round half to even).
    ///
    /// For `.zeroToOne`, diffusers skips the clamp and numpy's `astype("uint8")` wraps values
    /// outside [0, 1]; here they are clamped to [0, 1] first (the only change, and only for
    /// inputs diffusers would garble). ±infinity clamps like any other value (as `torch.clamp`).
    /// NaN throws an error naming the first NaN's channel, row and column: numpy turns NaN
    /// into 0 (black) with a `RuntimeWarning: invalid value encountered in cast`, and a silent
    /// black image is what issue #4 asks us never to write.
    public init(planes: [Float], channels: Int = 3, width: Int, height: Int, range: FloatRange) throws {
        guard channels == 1 || channels == 3 else {
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "planes must have 1 or 3 channels, got \(channels)")
        }
        let count = try RGBImage.byteCount(width: width, height: height)
        let planeSize = width * height
        guard planes.count == planeSize * channels else {
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "\(channels)x\(height)x\(width) planes need \(planeSize * channels) floats, got \(planes.count)")
        }
        if let bad = planes.firstIndex(where: { $0.isNaN }) {
            let c = bad / planeSize, y = (bad % planeSize) / max(width, 1), x = bad % max(width, 1)
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "value at channel \(c), row \(y), column \(x) is NaN (the decoder produced NaN)")
        }
        let denormalize = range == .minusOneToOne
        var bytes = [UInt8](repeating: 0, count: count)
        planes.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let plane = (channels == 1 ? 0 : c) &* planeSize
                    for i in 0..<planeSize {
                        dst[i &* 3 &+ c] = RGBImage.quantize(src[plane &+ i], denormalize: denormalize)
                    }
                }
            }
        }
        self.width = width
        self.height = height
        self.pixels = bytes
    }

    /// One float (not NaN) to a byte, as diffusers' postprocess + `numpy_to_pil` in float32.
    @inline(__always)
    static func quantize(_ value: Float, denormalize: Bool) -> UInt8 {
        var v = denormalize ? value * 0.5 + 0.5 : value
        v = Swift.min(Swift.max(v, 0), 1)
        return UInt8((v * 255).rounded(.toNearestOrEven))
    }

    /// The image as float planes `[3, H, W]`, as diffusers' `VaeImageProcessor.preprocess`
    /// makes them: `pil_to_numpy` (`bytes / 255.0` in float32) then, for `.minusOneToOne`,
    /// `normalize` (`2.0 * x - 1.0`).
    public func floatPlanes(range: FloatRange) -> [Float] {
        let planeSize = width * height
        var out = [Float](repeating: 0, count: planeSize * 3)  // [3, H, W]
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    for i in 0..<planeSize {
                        let v = Float(src[i &* 3 &+ c]) / 255
                        dst[c &* planeSize &+ i] = range == .minusOneToOne ? 2 * v - 1 : v
                    }
                }
            }
        }
        return out
    }

    /// `width * height * 3`, or an error for a zero, negative or overflowing size.
    static func byteCount(width: Int, height: Int) throws -> Int {
        guard width > 0, height > 0 else {
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "size \(width)x\(height) is invalid: width and height must be positive")
        }
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (bytes, o2) = area.multipliedReportingOverflow(by: 3)
        guard !o1, !o2 else {
            throw MediaIOError(.invalidInput, "cannot make an RGB image", path: "",
                               "size \(width)x\(height) is too large")
        }
        return bytes
    }
}
