// Winograd F(4×4, 3×3) (Lavin & Gray, 2016, with the interpolation points 0, ±1, ±2 and ∞):
//   Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0],
//         [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]]
//   G  = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙], [1/24, −1/12, ⅙], [0, 0, 1]]
//   Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0], [0, 1, −1, 8, −8, 1]]
// Y = Aᵀ·[(G·w·Gᵀ) ⊙ (Bᵀ·d·B)]·A for each 6×6 input patch d and 3×3 filter w.

extension WinogradConvolution {
    /// `G·(a, b, c)`: one column (or row) of the filter transform, for eight filters at once.
    @inline(__always)
    private static func filterColumn(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let (sumOdd, even) = (a + c, b)
        let quarter = a * (1 / 24) + c * (1 / 6), twelfth = b * (1 / 12)
        return (a * 0.25, (sumOdd + even) * (-1 / 6), (sumOdd - even) * (-1 / 6), quarter + twelfth, quarter - twelfth, c)
    }

    /// `U = G·w·Gᵀ` for every 3×3 filter, stored as 36 matrices `[O, C]`. Eight consecutive filters
    /// at a time, one per SIMD lane, so that each of the 36 matrices gets eight consecutive floats
    /// per store (one float per store into 36 places was 40% of a 640-channel convolution).
    static func transformWeightsF4(_ w: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>,
                                   outChannels o: Int, inChannels c: Int) {
        let plane = o * c
        let blocks = (plane + 7) / 8
        Parallel.forEachChunk(blocks, minimumPerThread: 256) { range in
            for block in range {
                let f0 = block * 8, lanes = min(8, plane - f0)
                let taps = filterTaps(w, from: f0, lanes: lanes)
                let c0 = filterColumn(taps[0], taps[3], taps[6]), c1 = filterColumn(taps[1], taps[4], taps[7])
                let c2 = filterColumn(taps[2], taps[5], taps[8])              // G·w, columns 0…2
                @inline(__always) func emit(_ i: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ d: SIMD8<Float>) {
                    let t = filterColumn(a, b, d)                              // (G·w)·Gᵀ, row i
                    @inline(__always) func put(_ j: Int, _ value: SIMD8<Float>) {
                        store(value, to: u + (i * 6 + j) * plane + f0, lanes: lanes)
                    }
                    put(0, t.0); put(1, t.1); put(2, t.2); put(3, t.3); put(4, t.4); put(5, t.5)
                }
                emit(0, c0.0, c1.0, c2.0); emit(1, c0.1, c1.1, c2.1); emit(2, c0.2, c1.2, c2.2)
                emit(3, c0.3, c1.3, c2.3); emit(4, c0.4, c1.4, c2.4); emit(5, c0.5, c1.5, c2.5)
            }
        }
    }

    /// `Bᵀ·(d0 … d5)`, for eight tiles at once.
    @inline(__always)
    private static func inputColumn(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
                                    _ d4: SIMD8<Float>, _ d5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let a = d4 - 4 * d2, b = d3 - 4 * d1            // rows 1 and 2: a ± b
        let e = d4 - d2, h = 2 * (d3 - d1)               // rows 3 and 4: e ± h
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, e + h, e - h, 4 * d1 - 5 * d3 + d5)
    }

    /// `V = Bᵀ·d·B` of the 6×6 input patch of each tile in `tiles` for one channel; element `ξ` of
    /// tile `t` goes to `v[ξ·plane + t − tiles.lowerBound]`. Outside the input the patch is zero.
    /// Eight consecutive tiles at a time, one per SIMD lane: their patches are gathered lane by lane,
    /// transformed together and stored as eight consecutive floats per element.
    @inline(__always)
    static func transformInputF4(_ g: ConvGeometry, x: UnsafePointer<Float>, channel: Int, tiles: Range<Int>,
                                 v: UnsafeMutablePointer<Float>, plane: Int) {
        let (depth, h, w) = (g.input[0], g.input[1], g.input[2])
        let (ph, pw) = (g.padding[1], g.padding[2])
        let (th, tw) = ((g.output[1] + 3) / 4, (g.output[2] + 3) / 4)
        let perPlane = th * tw
        var patch = [SIMD8<Float>](repeating: .zero, count: 36)
        patch.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            var base = tiles.lowerBound
            while base < tiles.upperBound {
                let lanes = min(8, tiles.upperBound - base)
                for lane in 0..<8 {
                    guard lane < lanes else {
                        for e in 0..<36 { p[e][lane] = 0 }
                        continue
                    }
                    let t = base + lane
                    let image = t / perPlane, r = t - image * perPlane
                    let ty = r / tw, tx = r - ty * tw
                    let (n, z) = (image / depth, image % depth)
                    let src = x + ((n * g.inChannels + channel) * depth + z) * h * w   // [H, W]
                    let y0 = 4 * ty - ph, x0 = 4 * tx - pw
                    if y0 >= 0 && y0 + 6 <= h && x0 >= 0 && x0 + 6 <= w {
                        for i in 0..<6 {
                            let row = src + (y0 + i) * w + x0
                            for j in 0..<6 { p[i * 6 + j][lane] = row[j] }
                        }
                    } else {
                        for i in 0..<6 {
                            let yy = y0 + i
                            for j in 0..<6 {
                                let xx = x0 + j
                                p[i * 6 + j][lane] = yy >= 0 && yy < h && xx >= 0 && xx < w ? src[yy * w + xx] : 0
                            }
                        }
                    }
                }
                for j in 0..<6 {                                                 // Bᵀ·d, column j
                    let c = inputColumn(p[j], p[6 + j], p[12 + j], p[18 + j], p[24 + j], p[30 + j])
                    p[j] = c.0; p[6 + j] = c.1; p[12 + j] = c.2; p[18 + j] = c.3; p[24 + j] = c.4; p[30 + j] = c.5
                }
                let k = base - tiles.lowerBound
                for i in 0..<6 {                                                 // (Bᵀ·d)·B, row i
                    let q = p + i * 6
                    let c = inputColumn(q[0], q[1], q[2], q[3], q[4], q[5])
                    @inline(__always) func put(_ j: Int, _ value: SIMD8<Float>) {
                        store(value, to: v + (i * 6 + j) * plane + k, lanes: lanes)
                    }
                    put(0, c.0); put(1, c.1); put(2, c.2); put(3, c.3); put(4, c.4); put(5, c.5)
                }
                base += lanes
            }
        }
    }

    /// `Aᵀ·(m0 … m5)`, for eight tiles at once.
    @inline(__always)
    private static func outputColumn(_ m0: SIMD8<Float>, _ m1: SIMD8<Float>, _ m2: SIMD8<Float>, _ m3: SIMD8<Float>,
                                     _ m4: SIMD8<Float>, _ m5: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4
        return (m0 + s1 + s2, d1 + 2 * d2, s1 + 4 * s2, d1 + 8 * d2 + m5)
    }

    /// `Y = Aᵀ·M·A + bias` for the tiles in `tiles` of one output channel; element `ξ` of tile `t`
    /// is `m[ξ·plane + t − lower]`. Outputs beyond the height or width are dropped. Eight
    /// consecutive tiles at a time (their products are consecutive floats), one per SIMD lane.
    @inline(__always)
    static func transformOutputF4(_ g: ConvGeometry, m: UnsafePointer<Float>, plane: Int, tiles: Range<Int>,
                                  channel: Int, bias: Float, out: UnsafeMutablePointer<Float>) {
        let (depth, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (th, tw) = ((oh + 3) / 4, (ow + 3) / 4)
        let perPlane = th * tw
        var scratch = [SIMD8<Float>](repeating: .zero, count: 24 + 16)  // Aᵀ·M [4, 6], then the outputs [4, 4]
        scratch.withUnsafeMutableBufferPointer { buffer in
            let q = buffer.baseAddress!, y = q + 24
            var base = tiles.lowerBound
            while base < tiles.upperBound {
                let lanes = min(8, tiles.upperBound - base)
                let k = base - tiles.lowerBound
                @inline(__always) func load(_ e: Int) -> SIMD8<Float> {
                    let src = m + e * plane + k
                    if lanes == 8 { return UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self) }
                    var value = SIMD8<Float>()
                    for lane in 0..<lanes { value[lane] = src[lane] }
                    return value
                }
                for j in 0..<6 {
                    let c = outputColumn(load(j), load(6 + j), load(12 + j), load(18 + j), load(24 + j), load(30 + j))
                    q[j] = c.0; q[6 + j] = c.1; q[12 + j] = c.2; q[18 + j] = c.3
                }
                for i in 0..<4 {                                                 // (Aᵀ·M)·A, row i
                    let r = q + i * 6
                    let c = outputColumn(r[0], r[1], r[2], r[3], r[4], r[5])
                    y[i * 4] = c.0 + bias; y[i * 4 + 1] = c.1 + bias; y[i * 4 + 2] = c.2 + bias; y[i * 4 + 3] = c.3 + bias
                }
                for lane in 0..<lanes {
                    let t = base + lane
                    let image = t / perPlane, r = t - image * perPlane
                    let ty = r / tw, tx = r - ty * tw
                    let (n, z) = (image / depth, image % depth)
                    let dst = out + ((n * g.outChannels + channel) * depth + z) * oh * ow   // [OH, OW]
                    let y0 = 4 * ty, x0 = 4 * tx
                    let columns = min(4, ow - x0)
                    for i in 0..<min(4, oh - y0) {
                        let line = dst + (y0 + i) * ow + x0
                        for j in 0..<columns { line[j] = y[i * 4 + j][lane] }
                    }
                }
                base += lanes
            }
        }
    }
}
