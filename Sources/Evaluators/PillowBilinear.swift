// Pillow's resampling (src/libImaging/Resample.c, Pillow 10–11): `Image.resize(size, BILINEAR)`
// of an 8-bit "L" image, separable, in 22-bit fixed point.

/// `PIL.Image.fromarray(gray).resize((outWidth, outHeight), Image.BILINEAR)` for an 8-bit grey
/// image: Pillow's two-pass convolution (horizontal, then vertical) with the triangle filter
/// widened by the scale when shrinking (`precompute_coeffs`), coefficients rounded to 22-bit
/// fixed point (`normalize_coeffs_8bpc`) and each pass rounded and clipped to 0…255 (`clip8`).
/// The same size returns the input (Pillow copies).
func pillowBilinearResize(_ gray: [UInt8], width: Int, height: Int, outWidth: Int, outHeight: Int) -> [UInt8] {
    if width == outWidth && height == outHeight { return gray }
    let horizontal = PillowCoefficients(inSize: width, outSize: outWidth)
    let vertical = PillowCoefficients(inSize: height, outSize: outHeight)
    var source = gray
    var sourceWidth = width
    var rowOffset = 0
    var verticalBounds = vertical.bounds
    if outWidth != width {
        // Only the rows the vertical pass reads (Pillow's ybox_first ... ybox_last).
        let first = vertical.bounds[0].start
        let last = vertical.bounds[outHeight - 1].start + vertical.bounds[outHeight - 1].count
        verticalBounds = vertical.bounds.map { ($0.start - first, $0.count) }
        rowOffset = first
        let rows = last - first
        var temp = [UInt8](repeating: 0, count: rows * outWidth)  // [rows, outWidth]
        for y in 0..<rows {
            for x in 0..<outWidth {
                let (start, count) = horizontal.bounds[x]
                var sum = Int64(1 << (PillowCoefficients.precisionBits - 1))
                for k in 0..<count {
                    sum += Int64(gray[(y + rowOffset) * width + start + k]) * Int64(horizontal.fixed[x][k])
                }
                temp[y * outWidth + x] = PillowCoefficients.clip8(sum)
            }
        }
        source = temp
        sourceWidth = outWidth
    }
    guard outHeight != height else { return source }
    var out = [UInt8](repeating: 0, count: outHeight * sourceWidth)  // [outHeight, outWidth]
    for y in 0..<outHeight {
        let (start, count) = verticalBounds[y]
        for x in 0..<sourceWidth {
            var sum = Int64(1 << (PillowCoefficients.precisionBits - 1))
            for k in 0..<count {
                sum += Int64(source[(start + k) * sourceWidth + x]) * Int64(vertical.fixed[y][k])
            }
            out[y * sourceWidth + x] = PillowCoefficients.clip8(sum)
        }
    }
    return out
}

/// One axis of Pillow's `precompute_coeffs` for the bilinear filter (support 1) over the box
/// [0, inSize], then `normalize_coeffs_8bpc`.
struct PillowCoefficients {
    /// `PRECISION_BITS = 32 - 8 - 2`.
    static let precisionBits = 22
    /// Per output pixel: first input pixel and number of input pixels (`bounds`).
    let bounds: [(start: Int, count: Int)]
    /// Per output pixel: the fixed-point weights of those input pixels.
    let fixed: [[Int32]]

    init(inSize: Int, outSize: Int) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        var bounds: [(Int, Int)] = []
        var fixed: [[Int32]] = []
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)      // C's (int) truncates toward zero
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var weights = (0..<max(xmax, 0)).map { x -> Double in
                let t = abs((Double(x + xmin) - center + 0.5) * ss)
                return t < 1 ? 1 - t : 0
            }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            bounds.append((xmin, max(xmax, 0)))
            fixed.append(weights.map { w in
                let scaled = w * Double(1 << PillowCoefficients.precisionBits)
                return Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
            })
        }
        self.bounds = bounds
        self.fixed = fixed
    }

    /// Pillow's `clip8`: the fixed-point sum to a byte.
    static func clip8(_ sum: Int64) -> UInt8 {
        if sum >= Int64(1) << (precisionBits + 8) { return 255 }
        if sum <= 0 { return 0 }
        return UInt8(sum >> Int64(precisionBits))
    }
}
