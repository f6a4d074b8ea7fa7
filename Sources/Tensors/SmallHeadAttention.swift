// Attention for heads of at most four dimensions. diffusers' UNet2DConditionModel reads
// `attention_head_dim` as the number of heads, so small models get very narrow heads: the tiny
// AudioLDM has 16 channels in 8 heads of 2 over 10,000 latent tokens, the default audio model
// heads of 1 and 2. There a score costs two multiply-adds and its exponential a dozen
// instructions, and the register-blocked products of `fused` (FlashAttention.swift) would spend
// most of their time on stores and on value lanes padded from 2 to 8. Here the keys and values
// of a head are transposed to `[D][Lk]` rows, and each query row is done in two passes over its
// keys, eight keys to a SIMD register: the row's maximum, then exponentials, their sum and the
// probability-weighted values, accumulated in registers. Exact softmax (the maximum is known
// before any exponential), so no rescaling; the scale and log2(e) are folded into the query.

/// The head widths `AttentionKernel.smallHeads` is specialised for (keys and values alike).
protocol SmallHeadWidth { static var width: Int { get } }
enum SmallHeadWidth1: SmallHeadWidth { static var width: Int { 1 } }
enum SmallHeadWidth2: SmallHeadWidth { static var width: Int { 2 } }
enum SmallHeadWidth3: SmallHeadWidth { static var width: Int { 3 } }
enum SmallHeadWidth4: SmallHeadWidth { static var width: Int { 4 } }

/// One head's keys and values transposed to rows of `stride` floats (the key count rounded up
/// to 8, zero beyond it): keys `[D][stride]`, then values `[D][stride]`. Each worker thread
/// transposes a head once and reuses it for all its query tiles of that head.
struct TransposedHead {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
    private(set) var head = -1

    init(_ l: AttentionLayout) {
        stride = (l.keys + 7) / 8 * 8
        base = .allocate(capacity: 2 * l.headDim * stride)
    }

    /// Transposes head `bh` unless it is already there.
    mutating func load(k: UnsafePointer<Float>, v: UnsafePointer<Float>, _ l: AttentionLayout, head bh: Int) {
        guard bh != head else { return }
        head = bh
        let (bi, hi, d) = (bh / l.heads, bh % l.heads, l.headDim)
        let keys = k + bi * l.key.batch + hi * l.key.head, values = v + bi * l.value.batch + hi * l.value.head
        base.update(repeating: 0, count: 2 * d * stride)
        for j in 0..<l.keys {
            for c in 0..<d {
                base[c * stride + j] = keys[j * l.key.row + c]
                base[(d + c) * stride + j] = values[j * l.value.row + c]
            }
        }
    }

    func deallocate() { base.deallocate() }
}

extension AttentionKernel {
    /// Whether `smallHeads` computes this attention: heads of at most 4 dimensions, values as
    /// wide as keys, no mask, not causal.
    static func takesSmallHeads(_ l: AttentionLayout, mask: MaskView?, isCausal: Bool) -> Bool {
        l.headDim >= 1 && l.headDim <= 4 && l.valueDim == l.headDim && mask == nil && !isCausal
    }

    /// Query rows per task.
    static let smallHeadQueryTile = 64

    static func smallHeads(_ l: AttentionLayout, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                           v: UnsafePointer<Float>, scale: Float, out: UnsafeMutablePointer<Float>) {
        switch l.headDim {
        case 1: smallHeads(SmallHeadWidth1.self, l, q: q, k: k, v: v, scale: scale, out: out)
        case 2: smallHeads(SmallHeadWidth2.self, l, q: q, k: k, v: v, scale: scale, out: out)
        case 3: smallHeads(SmallHeadWidth3.self, l, q: q, k: k, v: v, scale: scale, out: out)
        default: smallHeads(SmallHeadWidth4.self, l, q: q, k: k, v: v, scale: scale, out: out)
        }
    }

    /// Every (batch·head, query tile) task, split across the cores.
    private static func smallHeads<W: SmallHeadWidth>(_ width: W.Type, _ l: AttentionLayout, q: UnsafePointer<Float>,
                                                      k: UnsafePointer<Float>, v: UnsafePointer<Float>, scale: Float,
                                                      out: UnsafeMutablePointer<Float>) {
        let tile = smallHeadQueryTile
        let tilesPerHead = (l.queries + tile - 1) / tile
        let log2Scale = scale * 1.442_695_041                          // exp(x) = 2^(x·log2 e)
        Parallel.forEachChunk(l.batch * l.heads * tilesPerHead, minimumPerThread: 1) { range in
            var head = TransposedHead(l)
            defer { head.deallocate() }
            for task in range {
                let bh = task / tilesPerHead, i0 = (task - bh * tilesPerHead) * tile
                let (bi, hi) = (bh / l.heads, bh % l.heads)
                head.load(k: k, v: v, l, head: bh)
                for i in i0..<min(i0 + tile, l.queries) {
                    smallHeadRow(W.self, query: q + bi * l.query.batch + hi * l.query.head + i * l.query.row,
                                 scale: log2Scale, head: head, keys: l.keys,
                                 out: out + bi * l.output.batch + hi * l.output.head + i * l.output.row)
                }
            }
        }
    }

    /// One query row: `out = softmax(q·Kᵀ·scale)·V` over the transposed head, in base 2 (`scale`
    /// includes log2 e).
    @inline(__always)
    private static func smallHeadRow<W: SmallHeadWidth>(_ width: W.Type, query: UnsafePointer<Float>, scale: Float,
                                                        head: TransposedHead, keys: Int,
                                                        out: UnsafeMutablePointer<Float>) {
        let d = W.width, stride = head.stride
        let q0 = SIMD8<Float>(repeating: query[0] * scale)
        let q1 = SIMD8<Float>(repeating: d > 1 ? query[1] * scale : 0)
        let q2 = SIMD8<Float>(repeating: d > 2 ? query[2] * scale : 0)
        let q3 = SIMD8<Float>(repeating: d > 3 ? query[3] * scale : 0)
        let rows = UnsafeRawPointer(head.base)
        // Eight scores from key `j` on, each plus `shift`.
        @inline(__always) func scores(_ j: Int, _ shift: SIMD8<Float>) -> SIMD8<Float> {
            let offset = j &* 4, rowBytes = stride &* 4
            var s = shift.addingProduct(q0, rows.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
            if d > 1 { s.addProduct(q1, rows.loadUnaligned(fromByteOffset: offset &+ rowBytes, as: SIMD8<Float>.self)) }
            if d > 2 { s.addProduct(q2, rows.loadUnaligned(fromByteOffset: offset &+ 2 &* rowBytes, as: SIMD8<Float>.self)) }
            if d > 3 { s.addProduct(q3, rows.loadUnaligned(fromByteOffset: offset &+ 3 &* rowBytes, as: SIMD8<Float>.self)) }
            return s
        }
        let full = keys / 8 * 8
        // Lanes past the last key in the final, partial group of eight.
        let beyond = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(keys - full))
        let zero = SIMD8<Float>()
        var m = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j < full {
            let s = scores(j, zero)
            m.replace(with: s, where: s .> m)
            j &+= 8
        }
        if full < keys {
            let s = scores(full, zero).replacing(with: -.infinity, where: beyond)
            m.replace(with: s, where: s .> m)
        }
        let shift = SIMD8<Float>(repeating: -m.max())
        var sum = zero, a0 = zero, a1 = zero, a2 = zero, a3 = zero
        let values = rows + d &* stride &* 4, rowBytes = stride &* 4
        @inline(__always) func accumulate(_ p: SIMD8<Float>, _ j: Int) {
            let offset = j &* 4
            sum += p
            a0.addProduct(p, values.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
            if d > 1 { a1.addProduct(p, values.loadUnaligned(fromByteOffset: offset &+ rowBytes, as: SIMD8<Float>.self)) }
            if d > 2 { a2.addProduct(p, values.loadUnaligned(fromByteOffset: offset &+ 2 &* rowBytes, as: SIMD8<Float>.self)) }
            if d > 3 { a3.addProduct(p, values.loadUnaligned(fromByteOffset: offset &+ 3 &* rowBytes, as: SIMD8<Float>.self)) }
        }
        j = 0
        while j < full {
            accumulate(exponential2OfNonPositive(scores(j, shift)), j)
            j &+= 8
        }
        if full < keys {
            accumulate(exponential2OfNonPositive(scores(full, shift)).replacing(with: 0, where: beyond), full)
        }
        let inverse = 1 / sum.sum()
        out[0] = a0.sum() * inverse
        if d > 1 { out[1] = a1.sum() * inverse }
        if d > 2 { out[2] = a2.sum() * inverse }
        if d > 3 { out[3] = a3.sum() * inverse }
    }
}
