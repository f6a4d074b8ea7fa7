// Reference: torch.nn.functional.scaled_dot_product_attention
// softmax(Q·Kᵀ·scale + mask) · V over query tiles and key blocks with an online softmax, so the
// score matrix stays bounded for long sequences (the loop is in FlashAttention.swift).

/// A mask for `scaledDotProductAttention`, broadcastable to `[B, H, Lq, Lk]`
/// (torch's `attn_mask`).
public enum AttentionMask: Sendable {
    /// Added to the scaled scores, as torch's float `attn_mask`; `-inf` removes a key.
    case additive(Tensor)
    /// Boolean-style, as torch's bool `attn_mask`: nonzero takes part in attention (True),
    /// zero is masked out (False).
    case keep(Tensor)
}

/// Multi-head attention, `torch.nn.functional.scaled_dot_product_attention(q, k, v,
/// attn_mask=mask, is_causal=isCausal, scale=scale)` without dropout.
///
/// - Parameters:
///   - query: `[B, H, Lq, D]`; key: `[B, H, Lk, D]`; value: `[B, H, Lk, Dv]`.
///   - mask: broadcastable to `[B, H, Lq, Lk]`.
///   - isCausal: query `i` sees keys `j ≤ i` (torch's top-left aligned causal mask).
///   - scale: defaults to `1 / sqrt(D)`.
/// - Returns: `[B, H, Lq, Dv]`. A query row whose keys are all masked out gives zeros, as
///   torch's CPU kernels do.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil,
                                      isCausal: Bool = false, scale: Float? = nil) -> Tensor {
    scaledDotProductAttention(query: query, key: key, value: value, mask: mask, isCausal: isCausal, scale: scale,
                              tiling: AttentionTiling())
}

/// `scaledDotProductAttention` with forced query-tile and key-block sizes (for tests).
func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask?,
                               isCausal: Bool, scale: Float?, tiling: AttentionTiling) -> Tensor {
    precondition(query.rank == 4 && key.rank == 4 && value.rank == 4,
                 "scaled_dot_product_attention: q \(query.shape), k \(key.shape), v \(value.shape) must be [B, H, L, D]")
    let (b, h, lq, d) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
    let (lk, dv) = (key.shape[2], value.shape[3])
    precondition(key.shape == [b, h, lk, d] && value.shape == [b, h, lk, dv],
                 "scaled_dot_product_attention: q \(query.shape), k \(key.shape), v \(value.shape) do not match")
    let layout = AttentionLayout(batch: b, heads: h, queries: lq, keys: lk, headDim: d, valueDim: dv,
                                 query: (h * lq * d, lq * d, d), key: (h * lk * d, lk * d, d),
                                 value: (h * lk * dv, lk * dv, dv), output: (h * lq * dv, lq * dv, dv))
    return AttentionKernel.run(layout, query: query, key: key, value: value, mask: mask, isCausal: isCausal,
                               scale: scale ?? 1 / Float(d).squareRoot(), outputShape: [b, h, lq, dv], tiling: tiling)
}

/// Attention over projections in diffusers' layout before `head_to_batch_dim`:
/// query `[B, Lq, H·D]`, key `[B, Lk, H·D]`, value `[B, Lk, H·Dv]` → `[B, Lq, H·Dv]`.
///
/// Equals splitting the last dimension into `heads`, `scaledDotProductAttention`, and merging
/// the heads back (diffusers' `AttnProcessor2_0`), without copying the heads apart.
/// `mask` is broadcastable to `[B, H, Lq, Lk]`; `scale` defaults to `1 / sqrt(D)`.
public func multiHeadAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int, mask: AttentionMask? = nil,
                               isCausal: Bool = false, scale: Float? = nil) -> Tensor {
    precondition(query.rank == 3 && key.rank == 3 && value.rank == 3 && heads >= 1,
                 "attention: q \(query.shape), k \(key.shape), v \(value.shape) must be [B, L, heads·D]")
    let (b, lq, lk) = (query.shape[0], query.shape[1], key.shape[1])
    let (qWidth, vWidth) = (query.shape[2], value.shape[2])
    precondition(qWidth % heads == 0 && vWidth % heads == 0 && key.shape == [b, lk, qWidth]
                 && value.shape[0] == b && value.shape[1] == lk,
                 "attention: q \(query.shape), k \(key.shape), v \(value.shape) with \(heads) heads do not match")
    let (d, dv) = (qWidth / heads, vWidth / heads)
    let layout = AttentionLayout(batch: b, heads: heads, queries: lq, keys: lk, headDim: d, valueDim: dv,
                                 query: (lq * qWidth, d, qWidth), key: (lk * qWidth, d, qWidth),
                                 value: (lk * vWidth, dv, vWidth), output: (lq * vWidth, dv, vWidth))
    return AttentionKernel.run(layout, query: query, key: key, value: value, mask: mask, isCausal: isCausal,
                               scale: scale ?? 1 / Float(d).squareRoot(), outputShape: [b, lq, vWidth], tiling: AttentionTiling())
}

/// Forced tile sizes; nil picks the cache-sized defaults of `AttentionKernel`.
struct AttentionTiling {
    var queryTile: Int? = nil
    var keyBlock: Int? = nil
    /// Forces the narrow-head kernel on or off (NarrowHeadAttention.swift); nil: by shape and CPU.
    var narrowHeads: Bool? = nil
}

/// Sizes and element strides `(batch, head, row)` of the four operands.
struct AttentionLayout {
    let batch, heads, queries, keys, headDim, valueDim: Int
    let query, key, value, output: (batch: Int, head: Int, row: Int)
}

enum AttentionKernel {
    /// Keys per block and query rows per tile: a tile's scores (48 × 256 floats) stay in L2,
    /// and the values of a block that one micro-kernel call reads (256 × 16) stay in L1.
    static let keyBlock = 256
    static let queryTile = 48

    static func run(_ l: AttentionLayout, query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask?,
                    isCausal: Bool, scale: Float, outputShape: [Int], tiling: AttentionTiling) -> Tensor {
        let maskTensor: Tensor?
        let keep: Bool
        switch mask {
        case .additive(let m): maskTensor = m; keep = false
        case .keep(let m): maskTensor = m; keep = true
        case nil: maskTensor = nil; keep = false
        }
        let maskStrides = maskTensor.map { broadcastStrides($0.shape, to: [l.batch, l.heads, l.queries, l.keys]) }
        return Tensor(shape: outputShape) { out in
            guard out.count > 0 else { return }
            if l.keys == 0 { out.update(repeating: 0); return }
            query.scalars.withUnsafeBufferPointer { pq in
                key.scalars.withUnsafeBufferPointer { pk in
                    value.scalars.withUnsafeBufferPointer { pv in
                        (maskTensor?.scalars ?? []).withUnsafeBufferPointer { pm in
                            let maskView = maskStrides.map { MaskView(base: pm.baseAddress!, strides: $0, keep: keep) }
                            if takesNarrowHeads(l, masked: maskView != nil, isCausal: isCausal, tiling: tiling) {
                                narrowHeads(l, q: pq.baseAddress!, k: pk.baseAddress!, v: pv.baseAddress!, scale: scale,
                                            out: out.baseAddress!)
                            } else {
                                fused(l, q: pq.baseAddress!, k: pk.baseAddress!, v: pv.baseAddress!, mask: maskView,
                                      isCausal: isCausal, scale: scale, tiling: tiling, out: out.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Element strides that broadcast `shape` (right-aligned, dimensions 1 or equal) to `target`.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        precondition(shape.count <= target.count, "attention: mask \(shape) is not broadcastable to \(target)")
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        let contiguous = Tensor.strides(padded)
        return (0..<target.count).map { d in
            precondition(padded[d] == target[d] || padded[d] == 1,
                         "attention: mask \(shape) is not broadcastable to \(target)")
            return padded[d] == 1 ? 0 : contiguous[d]
        }
    }
}

/// A broadcast view of an attention mask with strides over `[B, H, Lq, Lk]`.
struct MaskView {
    let base: UnsafePointer<Float>
    let strides: [Int]
    let keep: Bool

    /// Adds the mask (or removes masked-out keys) for one query of one batch·head, keys
    /// `firstKey ..< firstKey + n`.
    @inline(__always)
    func apply(_ row: UnsafeMutablePointer<Float>, count n: Int, batch: Int, head: Int, query: Int, firstKey: Int) {
        let m = base + batch * strides[0] + head * strides[1] + query * strides[2] + firstKey * strides[3]
        let step = strides[3]
        if keep {
            for j in 0..<n where m[j &* step] == 0 { row[j] = -.infinity }
        } else if step == 0 {
            let value = m[0]
            for j in 0..<n { row[j] += value }
        } else {
            for j in 0..<n { row[j] += m[j] }
        }
    }
}
