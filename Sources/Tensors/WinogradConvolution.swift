// Reference: torch.nn.functional.conv2d for 3×3 kernels with unit stride and dilation (the
// convolutions of every diffusers ResnetBlock2D), computed with Winograd's minimal filtering
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// - F(2×2, 3×3): 16 products of 4×4-transformed tiles replace 36 per 2×2 outputs, so the GEMMs
//   do 2.25× fewer operations than im2col. Transforms use only ±1 and ½, so results stay within a
//   few ulps of the direct sum.
// - F(4×4, 3×3) (WinogradConvolution+F4.swift): 36 products of 6×6 tiles per 4×4 outputs, 4× fewer
//   than im2col; its transforms have constants up to 8 and 1/24, so it rounds more (still within
//   the parity tolerance), and its per-call weight transform is 2.25× larger.

/// The output tile of a Winograd variant: F(2×2, 3×3) or F(4×4, 3×3).
enum WinogradTile: Sendable {
    case two, four

    /// Outputs per tile edge (m).
    var outputEdge: Int { self == .two ? 2 : 4 }
    /// Inputs per tile edge (α = m + 2), and products per tile α².
    var inputEdge: Int { outputEdge + 2 }
    var products: Int { inputEdge * inputEdge }
}

/// Winograd forward pass on raw pointers, for `ConvolutionKernel`.
enum WinogradConvolution {
    /// Floats of one chunk's transformed inputs or products (16 MiB): tiles per chunk follow.
    static let chunkBudget = 1 << 22

    /// A 3×3 kernel over height and width (depth 1, no depth padding), unit stride and dilation,
    /// one group: the shapes F(2×2, 3×3) computes.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.kernel == [1, 3, 3] && g.stride == [1, 1, 1] && g.dilation == [1, 1, 1] && g.groups == 1
            && g.padding[0] == 0
    }

    /// Where it beats im2col, and with which tile. At least 32 channels in and out (efficient
    /// products), and enough tiles that the per-call weight transform (α²·O·C floats) is small
    /// against the work: F(2×2, 3×3) from 256 tiles and half the larger channel count (measured on
    /// the Zen 3 host). With at least 256 channels in and out (Stable Diffusion's 320–1280, measured
    /// on the Zen 5 host, docs/benchmarks.md), 128 tiles are enough: F(4×4, 3×3) where there are
    /// that many 4×4 tiles (64×64 and 32×32 at batch 2), else F(2×2, 3×3) (1280 channels at 16×16,
    /// 1.5× faster than im2col). Narrower convolutions keep the first rule, unmeasured otherwise.
    static func choice(_ g: ConvGeometry) -> WinogradTile? {
        guard applies(g), g.inChannels >= 32, g.outChannels >= 32 else { return nil }
        let wide = min(g.inChannels, g.outChannels) >= 256
        if wide, tileCount(g, .four) >= 128 { return .four }
        let tiles = tileCount(g, .two)
        return tiles >= max(256, max(g.inChannels, g.outChannels) / 2) || (wide && tiles >= 128) ? .two : nil
    }

    /// Whether `choice` picks a Winograd path.
    static func pays(_ g: ConvGeometry) -> Bool { choice(g) != nil }

    /// Output tiles over every image plane.
    static func tileCount(_ g: ConvGeometry, _ tile: WinogradTile = .two) -> Int {
        let e = tile.outputEdge
        return g.batch * g.output[0] * ((g.output[1] + e - 1) / e) * ((g.output[2] + e - 1) / e)
    }

    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, tile: WinogradTile,
                        chunk forcedChunk: Int?) {
        let (c, o) = (g.inChannels, g.outChannels)
        let total = tileCount(g, tile), a2 = tile.products
        let u = UnsafeMutablePointer<Float>.allocate(capacity: a2 * o * c)    // [α², O, C]
        defer { u.deallocate() }
        switch tile {
        case .two: transformWeights(weight, u, outChannels: o, inChannels: c)
        case .four: transformWeightsF4(weight, u, outChannels: o, inChannels: c)
        }
        let chunk = min(total, forcedChunk ?? max(64, chunkBudget / (a2 * max(c, o))))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: a2 * c * chunk)  // [α², C, chunk]
        let m = UnsafeMutablePointer<Float>.allocate(capacity: a2 * o * chunk)  // [α², O, chunk]
        defer { v.deallocate(); m.deallocate() }
        var t0 = 0
        while t0 < total {
            let n = min(chunk, total - t0)
            Parallel.forEachChunk(c, minimumPerThread: max(1, 2048 / n)) { range in
                for ci in range {
                    switch tile {
                    case .two: transformInput(g, x: x, channel: ci, tiles: t0..<(t0 + n), v: v + ci * n, plane: c * n)
                    case .four: transformInputF4(g, x: x, channel: ci, tiles: t0..<(t0 + n), v: v + ci * n, plane: c * n)
                    }
                }
            }
            Parallel.forEachChunk(a2, minimumPerThread: 1) { range in
                for xi in range {
                    sgemm(transposeA: false, transposeB: false, m: o, n: n, k: c, alpha: 1,
                          a: u + xi * o * c, b: v + xi * c * n, beta: 0, c: m + xi * o * n)
                }
            }
            Parallel.forEachChunk(o, minimumPerThread: max(1, 2048 / n)) { range in
                for oi in range {
                    switch tile {
                    case .two:
                        transformOutput(g, m: m + oi * n, plane: o * n, tiles: t0..<(t0 + n), channel: oi,
                                        bias: bias?[oi] ?? 0, out: out)
                    case .four:
                        transformOutputF4(g, m: m + oi * n, plane: o * n, tiles: t0..<(t0 + n), channel: oi,
                                          bias: bias?[oi] ?? 0, out: out)
                    }
                }
            }
            t0 += n
        }
    }

    /// `U = G·w·Gᵀ` for every 3×3 filter, `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`,
    /// stored as 16 matrices `[O, C]`. Eight consecutive filters at a time, one per SIMD lane, so
    /// that each matrix gets eight consecutive floats per store.
    static func transformWeights(_ w: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>,
                                 outChannels o: Int, inChannels c: Int) {
        let plane = o * c
        let blocks = (plane + 7) / 8
        Parallel.forEachChunk(blocks, minimumPerThread: 512) { range in
            for block in range {
                let f0 = block * 8, lanes = min(8, plane - f0)
                let k = filterTaps(w, from: f0, lanes: lanes)
                @inline(__always) func emit(_ i: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ d: SIMD8<Float>) {
                    @inline(__always) func put(_ j: Int, _ value: SIMD8<Float>) {     // row i of (G·w)·Gᵀ
                        store(value, to: u + (i * 4 + j) * plane + f0, lanes: lanes)
                    }
                    put(0, a); put(1, (a + b + d) * 0.5); put(2, (a - b + d) * 0.5); put(3, d)
                }
                emit(0, k[0], k[1], k[2])
                emit(1, (k[0] + k[3] + k[6]) * 0.5, (k[1] + k[4] + k[7]) * 0.5, (k[2] + k[5] + k[8]) * 0.5)
                emit(2, (k[0] - k[3] + k[6]) * 0.5, (k[1] - k[4] + k[7]) * 0.5, (k[2] - k[5] + k[8]) * 0.5)
                emit(3, k[6], k[7], k[8])
            }
        }
    }

    /// The nine taps of the 3×3 filters `f0 ..< f0 + lanes` (at most 8), one filter per SIMD lane
    /// (the lanes past `lanes` are zero).
    @inline(__always)
    static func filterTaps(_ w: UnsafePointer<Float>, from f0: Int, lanes: Int) -> [SIMD8<Float>] {
        var taps = [SIMD8<Float>](repeating: .zero, count: 9)
        for lane in 0..<lanes {
            let filter = w + (f0 + lane) * 9
            for tap in 0..<9 { taps[tap][lane] = filter[tap] }
        }
        return taps
    }

    /// The first `lanes` lanes of `value` to `dst ..< dst + lanes` (one 8-wide store when all eight).
    @inline(__always)
    static func store(_ value: SIMD8<Float>, to dst: UnsafeMutablePointer<Float>, lanes: Int) {
        if lanes == 8 {
            UnsafeMutableRawPointer(dst).storeBytes(of: value, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<lanes { dst[lane] = value[lane] }
        }
    }

    /// `V = Bᵀ·d·B` of the 4×4 input patch of each tile in `tiles` for one channel,
    /// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`; element `ξ` of tile `t`
    /// goes to `v[ξ·plane + t − tiles.lowerBound]`. Outside the input the patch is zero (padding).
    @inline(__always)
    static func transformInput(_ g: ConvGeometry, x: UnsafePointer<Float>, channel: Int, tiles: Range<Int>,
                               v: UnsafeMutablePointer<Float>, plane: Int) {
        let (depth, h, w) = (g.input[0], g.input[1], g.input[2])
        let (ph, pw) = (g.padding[1], g.padding[2])
        let (th, tw) = ((g.output[1] + 1) / 2, (g.output[2] + 1) / 2)
        let perPlane = th * tw
        var d = [Float](repeating: 0, count: 16)
        d.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            for t in tiles {
                let image = t / perPlane, r = t - image * perPlane
                let ty = r / tw, tx = r - ty * tw
                let (n, z) = (image / depth, image % depth)
                let src = x + ((n * g.inChannels + channel) * depth + z) * h * w   // [H, W]
                let y0 = 2 * ty - ph, x0 = 2 * tx - pw
                if y0 >= 0 && y0 + 4 <= h && x0 >= 0 && x0 + 4 <= w {
                    for i in 0..<4 {
                        let row = src + (y0 + i) * w + x0
                        p[i * 4] = row[0]; p[i * 4 + 1] = row[1]; p[i * 4 + 2] = row[2]; p[i * 4 + 3] = row[3]
                    }
                } else {
                    for i in 0..<4 {
                        let yy = y0 + i
                        for j in 0..<4 {
                            let xx = x0 + j
                            p[i * 4 + j] = yy >= 0 && yy < h && xx >= 0 && xx < w ? src[yy * w + xx] : 0
                        }
                    }
                }
                let k = t - tiles.lowerBound
                for j in 0..<4 {                                                 // Bᵀ·d, column j
                    let (a, b, c, e) = (p[j], p[4 + j], p[8 + j], p[12 + j])
                    p[j] = a - c; p[4 + j] = b + c; p[8 + j] = c - b; p[12 + j] = b - e
                }
                for i in 0..<4 {                                                 // (Bᵀ·d)·B, row i
                    let (a, b, c, e) = (p[i * 4], p[i * 4 + 1], p[i * 4 + 2], p[i * 4 + 3])
                    v[(i * 4) * plane + k] = a - c
                    v[(i * 4 + 1) * plane + k] = b + c
                    v[(i * 4 + 2) * plane + k] = c - b
                    v[(i * 4 + 3) * plane + k] = b - e
                }
            }
        }
    }

    /// `Y = Aᵀ·M·A + bias` for the tiles in `tiles` of one output channel,
    /// `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`; element `ξ` of tile `t` is `m[ξ·plane + t − lower]`.
    /// Outputs beyond an odd height or width are dropped.
    @inline(__always)
    static func transformOutput(_ g: ConvGeometry, m: UnsafePointer<Float>, plane: Int, tiles: Range<Int>,
                                channel: Int, bias: Float, out: UnsafeMutablePointer<Float>) {
        let (depth, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (th, tw) = ((oh + 1) / 2, (ow + 1) / 2)
        let perPlane = th * tw
        for t in tiles {
            let k = t - tiles.lowerBound
            let image = t / perPlane, r = t - image * perPlane
            let ty = r / tw, tx = r - ty * tw
            let (n, z) = (image / depth, image % depth)
            @inline(__always) func column(_ j: Int) -> (top: Float, bottom: Float) {    // Aᵀ·M, column j
                let (a, b, c, e) = (m[j * plane + k], m[(4 + j) * plane + k], m[(8 + j) * plane + k],
                                    m[(12 + j) * plane + k])
                return (a + b + c, b - c - e)
            }
            let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
            let dst = out + ((n * g.outChannels + channel) * depth + z) * oh * ow   // [OH, OW]
            let y0 = 2 * ty, x0 = 2 * tx
            let wide = x0 + 1 < ow, tall = y0 + 1 < oh
            dst[y0 * ow + x0] = c0.top + c1.top + c2.top + bias
            if wide { dst[y0 * ow + x0 + 1] = c1.top - c2.top - c3.top + bias }
            if tall {
                dst[(y0 + 1) * ow + x0] = c0.bottom + c1.bottom + c2.bottom + bias
                if wide { dst[(y0 + 1) * ow + x0 + 1] = c1.bottom - c2.bottom - c3.bottom + bias }
            }
        }
    }
}
