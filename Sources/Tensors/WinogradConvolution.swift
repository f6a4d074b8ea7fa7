// Reference: torch.nn.functional.conv2d for 3×3 kernels with unit stride and dilation (the
// convolutions of every diffusers ResnetBlock2D), computed with Winograd's minimal filtering
// F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// 16 products of 4×4-transformed tiles replace 36 per 2×2 outputs, so the GEMMs do 2.25× fewer
// operations than im2col. Transforms use only ±1 and ½, so results stay within a few ulps of
// the direct sum.

/// Winograd F(2×2, 3×3) forward pass on raw pointers, for `ConvolutionKernel`.
enum WinogradConvolution {
    /// Floats of one chunk's transformed inputs or products (16 MiB): tiles per chunk follow.
    static let chunkBudget = 1 << 22

    /// A 3×3 kernel over height and width (depth 1, no depth padding), unit stride and dilation,
    /// one group: the shapes F(2×2, 3×3) computes.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.kernel == [1, 3, 3] && g.stride == [1, 1, 1] && g.dilation == [1, 1, 1] && g.groups == 1
            && g.padding[0] == 0
    }

    /// Where it beats im2col: enough channels for efficient products, and enough tiles that the
    /// per-call weight transform (16·O·C floats) is small against the work.
    static func pays(_ g: ConvGeometry) -> Bool {
        guard applies(g), g.inChannels >= 32, g.outChannels >= 32 else { return false }
        return tileCount(g) >= max(256, max(g.inChannels, g.outChannels) / 2)
    }

    /// 2×2 output tiles over every image plane.
    static func tileCount(_ g: ConvGeometry) -> Int {
        g.batch * g.output[0] * ((g.output[1] + 1) / 2) * ((g.output[2] + 1) / 2)
    }

    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, chunk forcedChunk: Int?) {
        let (c, o) = (g.inChannels, g.outChannels)
        let total = tileCount(g)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * c)    // [16, O, C]
        defer { u.deallocate() }
        transformWeights(weight, u, outChannels: o, inChannels: c)
        let chunk = min(total, forcedChunk ?? max(64, chunkBudget / (16 * max(c, o))))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * c * chunk)  // [16, C, chunk]
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * o * chunk)  // [16, O, chunk]
        defer { v.deallocate(); m.deallocate() }
        var t0 = 0
        while t0 < total {
            let n = min(chunk, total - t0)
            Parallel.forEachChunk(c, minimumPerThread: max(1, 2048 / n)) { range in
                for ci in range { transformInput(g, x: x, channel: ci, tiles: t0..<(t0 + n), v: v + ci * n, plane: c * n) }
            }
            Parallel.forEachChunk(16, minimumPerThread: 1) { range in
                for xi in range {
                    sgemm(transposeA: false, transposeB: false, m: o, n: n, k: c, alpha: 1,
                          a: u + xi * o * c, b: v + xi * c * n, beta: 0, c: m + xi * o * n)
                }
            }
            Parallel.forEachChunk(o, minimumPerThread: max(1, 2048 / n)) { range in
                for oi in range {
                    transformOutput(g, m: m + oi * n, plane: o * n, tiles: t0..<(t0 + n), channel: oi,
                                    bias: bias?[oi] ?? 0, out: out)
                }
            }
            t0 += n
        }
    }

    /// `U = G·w·Gᵀ` for every 3×3 filter, `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`,
    /// stored as 16 matrices `[O, C]`.
    static func transformWeights(_ w: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>,
                                 outChannels o: Int, inChannels c: Int) {
        let plane = o * c
        Parallel.forEachChunk(plane, minimumPerThread: 4096) { range in
            for f in range {
                let k = w + f * 9
                @inline(__always) func emit(_ i: Int, _ a: Float, _ b: Float, _ d: Float) {   // row i of (G·w)·Gᵀ
                    u[(i * 4) * plane + f] = a
                    u[(i * 4 + 1) * plane + f] = (a + b + d) * 0.5
                    u[(i * 4 + 2) * plane + f] = (a - b + d) * 0.5
                    u[(i * 4 + 3) * plane + f] = d
                }
                emit(0, k[0], k[1], k[2])
                emit(1, (k[0] + k[3] + k[6]) * 0.5, (k[1] + k[4] + k[7]) * 0.5, (k[2] + k[5] + k[8]) * 0.5)
                emit(2, (k[0] - k[3] + k[6]) * 0.5, (k[1] - k[4] + k[7]) * 0.5, (k[2] - k[5] + k[8]) * 0.5)
                emit(3, k[6], k[7], k[8])
            }
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
