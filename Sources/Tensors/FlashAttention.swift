// Reference: torch.nn.functional.scaled_dot_product_attention; the loop is the one of PyTorch's
// CPU flash-attention kernel (query tiles × key blocks, online softmax), with the two products
// done by register-blocked SIMD kernels instead of BLAS calls: the score block is written once
// (no BLAS `beta` pass, no packing of the query tile or the probabilities per call), and the
// keys are packed once per head and reused by every query tile.

/// Register-blocked products of the attention loop: `C[6×16]` or `C[6×8]` (=|+=) `A[6×k]·B[k×n]`,
/// A broadcast element by element, B read as rows of SIMD8 vectors.
enum AttentionMicroKernel {
    /// Rows of A and C per call.
    static let rows = 6

    /// `C[6×16] = A[6×k]·B[k×16]` (`+=` when `accumulate`). Rows of A at stride `lda`, of B at
    /// `ldb`, of C at `ldc` (elements).
    @inline(__always)
    static func product16(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int,
                          _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        let a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
        var pb = UnsafeRawPointer(b)
        let step = ldb &* 4
        var p = 0
        while p < k {
            let b0 = pb.loadUnaligned(as: SIMD8<Float>.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var s = SIMD8<Float>(repeating: a0[p])
            c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = SIMD8<Float>(repeating: a1[p])
            c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = SIMD8<Float>(repeating: a2[p])
            c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = SIMD8<Float>(repeating: a3[p])
            c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = SIMD8<Float>(repeating: a4[p])
            c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = SIMD8<Float>(repeating: a5[p])
            c50.addProduct(s, b0); c51.addProduct(s, b1)
            pb += step
            p &+= 1
        }
        store(c00, c01, c, accumulate)
        store(c10, c11, c + ldc, accumulate)
        store(c20, c21, c + 2 &* ldc, accumulate)
        store(c30, c31, c + 3 &* ldc, accumulate)
        store(c40, c41, c + 4 &* ldc, accumulate)
        store(c50, c51, c + 5 &* ldc, accumulate)
    }

    /// `C[6×8] = A[6×k]·B[k×8]` (`+=` when `accumulate`), as `product16`.
    @inline(__always)
    static func product8(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, k: Int,
                         _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>()
        var c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
        let a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
        var pb = UnsafeRawPointer(b)
        let step = ldb &* 4
        var p = 0
        while p < k {
            let b0 = pb.loadUnaligned(as: SIMD8<Float>.self)
            c0.addProduct(SIMD8<Float>(repeating: a0[p]), b0)
            c1.addProduct(SIMD8<Float>(repeating: a1[p]), b0)
            c2.addProduct(SIMD8<Float>(repeating: a2[p]), b0)
            c3.addProduct(SIMD8<Float>(repeating: a3[p]), b0)
            c4.addProduct(SIMD8<Float>(repeating: a4[p]), b0)
            c5.addProduct(SIMD8<Float>(repeating: a5[p]), b0)
            pb += step
            p &+= 1
        }
        store(c0, c, accumulate)
        store(c1, c + ldc, accumulate)
        store(c2, c + 2 &* ldc, accumulate)
        store(c3, c + 3 &* ldc, accumulate)
        store(c4, c + 4 &* ldc, accumulate)
        store(c5, c + 5 &* ldc, accumulate)
    }

    @inline(__always)
    private static func store(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        store(v0, c, accumulate)
        store(v1, c + 8, accumulate)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: SIMD8<Float>.self) + v : v, as: SIMD8<Float>.self)
    }
}

/// The keys of one (batch, head) transposed into panels of 16 keys, `[panel][D][16]`, zero beyond
/// the last key: the B operand of the score product. Each worker thread packs a head once and
/// reuses it for all its query tiles of that head (tasks run in head order).
struct PackedKeys {
    let base: UnsafeMutablePointer<Float>
    let panels: Int
    let headDim: Int
    private(set) var head = -1

    init(_ l: AttentionLayout) {
        panels = (l.keys + 15) / 16
        headDim = l.headDim
        base = .allocate(capacity: max(1, panels * l.headDim * 16))
    }

    /// Packs head `bh` unless it is already there.
    mutating func load(_ k: UnsafePointer<Float>, _ l: AttentionLayout, head bh: Int) {
        guard bh != head else { return }
        head = bh
        let d = l.headDim
        let src = k + (bh / l.heads) * l.key.batch + (bh % l.heads) * l.key.head     // [Lk, D]
        for panel in 0..<panels {
            let out = base + panel * d * 16                                        // [D, 16]
            for j in 0..<16 {
                let index = panel * 16 + j
                if index < l.keys {
                    let row = src + index * l.key.row
                    for c in 0..<d { out[c * 16 + j] = row[c] }
                } else {
                    for c in 0..<d { out[c * 16 + j] = 0 }
                }
            }
        }
    }

    /// Panel `panel`: `[D, 16]`.
    @inline(__always)
    func panel(_ panel: Int) -> UnsafePointer<Float> { UnsafePointer(base + panel * headDim * 16) }

    func deallocate() { base.deallocate() }
}

/// Values whose head width is not a multiple of 8, copied to rows of `roundUp(Dv, 8)` floats
/// (zero padded) so the 8-wide product never reads past a row.
struct PaddedValues {
    let base: UnsafeMutablePointer<Float>
    let width: Int

    init(_ v: UnsafePointer<Float>, _ l: AttentionLayout) {
        width = (l.valueDim + 7) / 8 * 8
        let perHead = l.keys * width
        base = .allocate(capacity: max(1, l.batch * l.heads * perHead))
        let (dst, heads, dv, value, w) = (base, l.heads, l.valueDim, l.value, width)
        Parallel.forEachChunk(l.batch * l.heads, minimumPerThread: max(1, 16384 / max(1, perHead))) { range in
            for bh in range {
                let src = v + (bh / heads) * value.batch + (bh % heads) * value.head
                let out = dst + bh * perHead
                for j in 0..<l.keys {
                    for c in 0..<dv { out[j * w + c] = src[j * value.row + c] }
                    for c in dv..<w { out[j * w + c] = 0 }
                }
            }
        }
    }

    func deallocate() { base.deallocate() }
}

extension AttentionKernel {
    /// Every (batch·head, query tile) task, split across the cores. Each task packs its head's
    /// keys (unless the thread's previous task did), copies its scaled query rows (padded to a multiple of 6), then walks the keys in blocks: scores by
    /// `product16` against the packed keys, the online softmax of `softmaxBlock`, and the
    /// probabilities times the values accumulated into a local output tile, which is finally
    /// divided by the softmax sums.
    static func fused(_ l: AttentionLayout, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                      mask: MaskView?, isCausal: Bool, scale: Float, tiling: AttentionTiling,
                      out: UnsafeMutablePointer<Float>) {
        let mr = AttentionMicroKernel.rows
        let block = min(l.keys, tiling.keyBlock ?? keyBlock)
        let tile = min(l.queries, tiling.queryTile ?? queryTile)
        let tilesPerHead = (l.queries + tile - 1) / tile
        let tasks = l.batch * l.heads * tilesPerHead
        let padded = l.valueDim % 8 == 0 ? nil : PaddedValues(v, l)
        defer { padded?.deallocate() }
        let (d, dv) = (l.headDim, l.valueDim)
        let dv8 = (dv + 7) / 8 * 8
        let paddedRows = (tile + mr - 1) / mr * mr
        let scoreStride = (block + 15) / 16 * 16 + 16                  // a block may start mid-panel
        let valueStride = padded?.width ?? l.value.row
        Parallel.forEachChunk(tasks, minimumPerThread: 1) { range in
            let queries = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * max(1, d))   // [rows6, D]
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * scoreStride)   // [rows6, block]
            let output = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * dv8)           // [rows6, Dv8]
            let maxima = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows)
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows)
            var keys = PackedKeys(l)
            defer {
                queries.deallocate(); scores.deallocate(); output.deallocate(); maxima.deallocate(); sums.deallocate()
                keys.deallocate()
            }
            for task in range {
                let bh = task / tilesPerHead, i0 = (task - bh * tilesPerHead) * tile
                let (bi, hi) = (bh / l.heads, bh % l.heads)
                let rows = min(tile, l.queries - i0)
                let rows6 = (rows + mr - 1) / mr * mr
                keys.load(k, l, head: bh)
                let qt = q + bi * l.query.batch + hi * l.query.head + i0 * l.query.row      // [rows, D]
                for r in 0..<rows {
                    let src = qt + r * l.query.row, dst = queries + r * d
                    for c in 0..<d { dst[c] = src[c] * scale }
                }
                (queries + rows * d).update(repeating: 0, count: (rows6 - rows) * d)   // padded rows: never read back
                let vt = padded.map { UnsafePointer($0.base + bh * l.keys * $0.width) }
                    ?? v + bi * l.value.batch + hi * l.value.head                                 // [Lk, Dv]
                maxima.update(repeating: -.infinity, count: rows)
                sums.update(repeating: 0, count: rows)
                var j0 = 0
                while j0 < l.keys {
                    if isCausal && j0 > i0 + rows - 1 { break }                  // the rest is masked out
                    let width = min(block, l.keys - j0)
                    let firstPanel = j0 / 16, lastPanel = (j0 + width - 1) / 16
                    let offset = j0 - firstPanel * 16
                    for panel in firstPanel...lastPanel {
                        let b = keys.panel(panel), column = (panel - firstPanel) * 16
                        var r = 0
                        while r < rows6 {
                            AttentionMicroKernel.product16(queries + r * d, lda: d, b, ldb: 16, k: d,
                                                           scores + r * scoreStride + column, ldc: scoreStride,
                                                           accumulate: false)
                            r += mr
                        }
                    }
                    softmaxBlock(scores + offset, stride: scoreStride, rows: rows, width: width, maxima: maxima,
                                 sums: sums, output: output, outputStride: dv8, valueDim: dv, firstBlock: j0 == 0,
                                 mask: mask, isCausal: isCausal, batch: bi, head: hi, firstQuery: i0, firstKey: j0)
                    let vb = vt + j0 * valueStride
                    var c = 0
                    while c < dv {
                        let wide = c + 16 <= dv8
                        var r = 0
                        while r < rows6 {
                            let a = UnsafePointer(scores + r * scoreStride + offset), o = output + r * dv8 + c
                            if wide {
                                AttentionMicroKernel.product16(a, lda: scoreStride, vb + c, ldb: valueStride, k: width,
                                                               o, ldc: dv8, accumulate: j0 != 0)
                            } else {
                                AttentionMicroKernel.product8(a, lda: scoreStride, vb + c, ldb: valueStride, k: width,
                                                              o, ldc: dv8, accumulate: j0 != 0)
                            }
                            r += mr
                        }
                        c += wide ? 16 : 8
                    }
                    j0 += width
                }
                let ot = out + bi * l.output.batch + hi * l.output.head + i0 * l.output.row // [rows, Dv]
                for r in 0..<rows {
                    let o = ot + r * l.output.row, src = output + r * dv8
                    let inverse = sums[r] > 0 ? 1 / sums[r] : 0                 // a fully masked row gives zeros
                    for c in 0..<dv { o[c] = src[c] * inverse }
                }
            }
        }
    }

    /// The online softmax of one key block: masks applied to the scores, each row exponentiated
    /// around its running maximum in place (the probabilities), the running sums updated, and
    /// the output rows accumulated so far rescaled when a row's maximum grew.
    @inline(__always)
    static func softmaxBlock(_ scores: UnsafeMutablePointer<Float>, stride: Int, rows: Int, width: Int,
                             maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>,
                             output: UnsafeMutablePointer<Float>, outputStride: Int, valueDim: Int, firstBlock: Bool,
                             mask: MaskView?, isCausal: Bool, batch: Int, head: Int, firstQuery: Int, firstKey: Int) {
        for r in 0..<rows {
            let row = scores + r * stride, i = firstQuery + r
            if let mask { mask.apply(row, count: width, batch: batch, head: head, query: i, firstKey: firstKey) }
            if isCausal && i + 1 < firstKey + width {
                let first = max(0, i + 1 - firstKey)
                (row + first).update(repeating: -.infinity, count: width - first)
            }
            let previous = maxima[r]
            let maximum = max(previous, rowMaximum(row, count: width))
            if maximum == -.infinity {                                  // every key so far is masked out
                row.update(repeating: 0, count: width)
                continue
            }
            let sum = exponentiateAndSum(row, count: width, shift: maximum)
            let correction = previous == maximum ? 1 : exponentialOfNonPositive(previous - maximum)
            sums[r] = sums[r] * correction + sum
            maxima[r] = maximum
            if !firstBlock && correction != 1 {
                let o = output + r * outputStride
                for c in 0..<valueDim { o[c] *= correction }
            }
        }
    }
}
