// Pillow's resampling (src/libImaging/Resample.c): `Image.resize(size, BILINEAR)` of an 8-bit
// "L" image, separable, in 22-bit fixed point, as Pillow 13.0 (the reference venv's) runs it.

/// `PIL.Image.fromarray(gray).resize((outWidth, outHeight), Image.BILINEAR)` for an 8-bit grey
/// image: Pillow's two-pass convolution with the triangle filter widened by the scale when
/// shrinking (`precompute_coeffs`), coefficients rounded to 22-bit fixed point
/// (`normalize_coeffs_8bpc`) and each pass rounded and clipped to 0…255 (`clip8`), so the
/// intermediate image is 8-bit and the order of the passes matters. Resample.c in Pillow's
/// repository runs the horizontal pass first (on the rows the vertical pass reads); Pillow
/// 13.0.0 runs the vertical pass first when the height shrinks and 2·width < height +
/// outHeight. That rule was found by probing Pillow 13.0.0 (random 0/255 masks of every size
/// 1…64 × 1…64 to 20 × 20, and every other size to 10 × 10 and 32 × 32: all bytes equal).
/// The same size returns the input (Pillow copies).
func pillowBilinearResize(_ gray: [UInt8], width: Int, height: Int, outWidth: Int, outHeight: Int) -> [UInt8] {
    if width == outWidth && height == outHeight { return gray }
    let horizontal = PillowCoefficients(inSize: width, outSize: outWidth)
    let vertical = PillowCoefficients(inSize: height, outSize: outHeight)
    if outWidth == width {
        return PillowCoefficients.verticalPass(gray, width: width, rows: 0, vertical.bounds, vertical.fixed)
    }
    if outHeight == height {
        return PillowCoefficients.horizontalPass(gray, width: width, rows: 0..<height, horizontal)
    }
    if height > outHeight && 2 * width < height + outHeight {
        let temp = PillowCoefficients.verticalPass(gray, width: width, rows: 0, vertical.bounds, vertical.fixed)  // [outHeight, width]
        return PillowCoefficients.horizontalPass(temp, width: width, rows: 0..<outHeight, horizontal)
    }
    // Only the rows the vertical pass reads (Resample.c's ybox_first ..< ybox_last).
    let first = vertical.bounds[0].start
    let last = vertical.bounds[outHeight - 1].start + vertical.bounds[outHeight - 1].count
    let temp = PillowCoefficients.horizontalPass(gray, width: width, rows: first..<last, horizontal)  // [rows, outWidth]
    return PillowCoefficients.verticalPass(temp, width: outWidth, rows: first, vertical.bounds, vertical.fixed)
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

    /// `ImagingResampleHorizontal_8bpc` of `rows` of `source` ([?, width]): [rows.count, outSize].
    static func horizontalPass(_ source: [UInt8], width: Int, rows: Range<Int>, _ c: PillowCoefficients) -> [UInt8] {
        let outWidth = c.bounds.count
        var out = [UInt8](repeating: 0, count: rows.count * outWidth)
        for (y, row) in rows.enumerated() {
            for x in 0..<outWidth {
                let (start, count) = c.bounds[x]
                var sum = Int64(1 << (precisionBits - 1))
                for k in 0..<count { sum += Int64(source[row * width + start + k]) * Int64(c.fixed[x][k]) }
                out[y * outWidth + x] = clip8(sum)
            }
        }
        return out
    }

    /// `ImagingResampleVertical_8bpc` of `source` ([?, width]) whose row 0 is input row `rows`:
    /// [bounds.count, width].
    static func verticalPass(_ source: [UInt8], width: Int, rows firstRow: Int, _ bounds: [(start: Int, count: Int)],
                             _ fixed: [[Int32]]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bounds.count * width)
        for y in bounds.indices {
            let (start, count) = (bounds[y].start - firstRow, bounds[y].count)
            for x in 0..<width {
                var sum = Int64(1 << (precisionBits - 1))
                for k in 0..<count { sum += Int64(source[(start + k) * width + x]) * Int64(fixed[y][k]) }
                out[y * width + x] = clip8(sum)
            }
        }
        return out
    }

    /// Pillow's `clip8`: the fixed-point sum to a byte.
    static func clip8(_ sum: Int64) -> UInt8 {
        if sum >= Int64(1) << (precisionBits + 8) { return 255 }
        if sum <= 0 { return 0 }
        return UInt8(sum >> Int64(precisionBits))
    }
}
