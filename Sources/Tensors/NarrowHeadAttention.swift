import TensorsAVX512

// Attention with heads of at most 8 dimensions on AVX-512 processors: keys and values packed per
// head, query rows 16 at a time through `NarrowHeadAttentionKernel` (the TensorsAVX512 module,
// which says why such heads need their own kernel).

extension AttentionKernel {
    /// Whether `narrowHeads` computes this attention: an AVX-512 processor, heads and values of at
    /// most 8 dimensions, no mask, not causal, at least one whole tile of queries and a block of
    /// keys. `tiling.narrowHeads` forces the choice (true only where `CPUFeatures.avx512`).
    static func takesNarrowHeads(_ l: AttentionLayout, masked: Bool, isCausal: Bool, tiling: AttentionTiling) -> Bool {
        let fits = !masked && !isCausal && l.headDim <= NarrowHeadAttentionKernel.width
            && l.valueDim <= NarrowHeadAttentionKernel.width
        if let forced = tiling.narrowHeads {
            precondition(!forced || (fits && CPUFeatures.avx512), "attention: the narrow-head kernel cannot take \(l)")
            return forced
        }
        return fits && CPUFeatures.avx512 && l.queries >= NarrowHeadAttentionKernel.rows && l.keys >= 64
    }

    /// `softmax(Q·Kᵀ·scale)·V` for every batch·head through `NarrowHeadAttentionKernel.tile`.
    static func narrowHeads(_ l: AttentionLayout, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            v: UnsafePointer<Float>, scale: Float, out: UnsafeMutablePointer<Float>) {
        let (w, rows) = (NarrowHeadAttentionKernel.width, NarrowHeadAttentionKernel.rows)
        let heads = l.batch * l.heads, headSize = l.keys * w
        // Keys, then values, of every head as [Lk, 8] with zero padding.
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: 2 * heads * headSize)
        defer { packed.deallocate() }
        Parallel.forEachChunk(heads, minimumPerThread: 1) { range in
            for bh in range {
                let (bi, hi) = (bh / l.heads, bh % l.heads)
                pack(k + bi * l.key.batch + hi * l.key.head, rowStride: l.key.row, width: l.headDim,
                     rows: l.keys, into: packed + bh * headSize)
                pack(v + bi * l.value.batch + hi * l.value.head, rowStride: l.value.row, width: l.valueDim,
                     rows: l.keys, into: packed + (heads + bh) * headSize)
            }
        }
        let tilesPerHead = (l.queries + rows - 1) / rows
        let factor = scale * 1.442_695_041                         // the kernel's softmax is base 2
        Parallel.forEachChunk(heads * tilesPerHead, minimumPerThread: 1) { range in
            let query = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: NarrowHeadAttentionKernel.block * rows)
            defer { query.deallocate(); output.deallocate(); scratch.deallocate() }
            for task in range {
                let bh = task / tilesPerHead, i0 = (task - bh * tilesPerHead) * rows
                let (bi, hi) = (bh / l.heads, bh % l.heads)
                let n = min(rows, l.queries - i0)
                query.update(repeating: 0, count: rows * w)             // padded rows: never read back
                let qs = q + bi * l.query.batch + hi * l.query.head + i0 * l.query.row
                for r in 0..<n {
                    for c in 0..<l.headDim { query[r * w + c] = qs[r * l.query.row + c] * factor }
                }
                NarrowHeadAttentionKernel.tile(query: query, keys: packed + bh * headSize,
                                               values: packed + (heads + bh) * headSize, count: l.keys,
                                               scratch: scratch, output: output)
                let os = out + bi * l.output.batch + hi * l.output.head + i0 * l.output.row
                for r in 0..<n {
                    for c in 0..<l.valueDim { os[r * l.output.row + c] = output[r * w + c] }
                }
            }
        }
    }

    /// Copies `rows` rows of `width` floats (at `rowStride`) into `[rows, 8]`, zero-padded.
    private static func pack(_ source: UnsafePointer<Float>, rowStride: Int, width: Int, rows: Int,
                             into target: UnsafeMutablePointer<Float>) {
        let w = NarrowHeadAttentionKernel.width
        target.initialize(repeating: 0, count: rows * w)
        for j in 0..<rows {
            for c in 0..<width { target[j * w + c] = source[j * rowStride + c] }
        }
    }
}
