import Testing
@testable import Tensors

/// The fused attention kernel (FlashAttention.swift) at widths and lengths that exercise its
/// padding: head widths not multiples of 8 or 16, key counts not multiples of 16, query tiles not
/// multiples of 6, key blocks that start inside a packed panel; masks and causal.
@Suite struct FusedAttentionTests {
    static let cases = ["odd_widths", "narrow", "keep", "causal", "one_key"]

    @Test(arguments: cases) func fusedAttentionMatchesTorch(_ name: String) throws {
        let f = try Fixtures.load("attention_fused")
        let q = try f.tensor("\(name).q"), k = try f.tensor("\(name).k"), v = try f.tensor("\(name).v")
        let mask: AttentionMask? = switch name {
        case "narrow": .additive(try f.tensor("\(name).mask"))
        case "keep": .keep(try f.tensor("\(name).mask"))
        default: nil
        }
        let causal = name == "causal"
        let expected = try f.tensor("\(name).out")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: causal), expected,
                    "\(name), default tiles")
        for tile in [1, 6, 7, 13] {
            for block in [1, 15, 16, 17, 40] {
                let y = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: causal, scale: nil,
                                                  tiling: AttentionTiling(queryTile: tile, keyBlock: block))
                expectClose(y, expected, "\(name), query tile \(tile), key block \(block)")
            }
        }
    }
}

/// The narrow-head kernel (NarrowHeadAttention.swift, AVX-512 only): heads of at most 8
/// dimensions, query counts that are not multiples of its 16-row tile, key counts across and
/// inside its 128-key blocks, scores whose maximum moves from block to block; in the
/// `[B, H, L, D]` layout and in diffusers' `[B, L, H·D]` one. Skipped, and reported as such, on a
/// processor without AVX-512: the kernel cannot run there and attention never calls it.
@Suite struct NarrowHeadAttentionTests {
    static let cases = ["narrow_heads", "narrow_heads_full", "narrow_heads_peaked"]

    @Test(.enabled(if: CPUFeatures.avx512, "this processor has no AVX-512: the narrow-head kernel is never used here"),
          arguments: cases)
    func narrowHeadKernelMatchesTorch(_ name: String) throws {
        let f = try Fixtures.load("attention_fused")
        let q = try f.tensor("\(name).q"), k = try f.tensor("\(name).k"), v = try f.tensor("\(name).v")
        let expected = try f.tensor("\(name).out")
        let forced = scaledDotProductAttention(query: q, key: k, value: v, mask: nil, isCausal: false, scale: nil,
                                               tiling: AttentionTiling(narrowHeads: true))
        expectClose(forced, expected, "\(name), narrow-head kernel")
        let general = scaledDotProductAttention(query: q, key: k, value: v, mask: nil, isCausal: false, scale: nil,
                                                tiling: AttentionTiling(narrowHeads: false))
        expectClose(general, expected, "\(name), general kernel")
        // diffusers' layout: heads side by side in the last dimension.
        let (b, h, lq, lk) = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
        let packed = { (t: Tensor, l: Int) in t.permuted([0, 2, 1, 3]).reshaped([b, l, h * t.shape[3]]) }
        let merged = multiHeadAttention(query: packed(q, lq), key: packed(k, lk), value: packed(v, lk), heads: h)
        expectClose(merged, packed(expected, lq), "\(name), [B, L, H·D] layout")
    }

    @Test func narrowHeadKernelIsChosenOnlyWhereItApplies() {
        let l = { (d: Int, dv: Int, lq: Int, lk: Int) in
            AttentionLayout(batch: 1, heads: 1, queries: lq, keys: lk, headDim: d, valueDim: dv,
                            query: (lq * d, lq * d, d), key: (lk * d, lk * d, d), value: (lk * dv, lk * dv, dv),
                            output: (lq * dv, lq * dv, dv))
        }
        let avx512 = CPUFeatures.avx512
        #expect(AttentionKernel.takesNarrowHeads(l(8, 8, 100, 100), masked: false, isCausal: false,
                                                 tiling: AttentionTiling()) == avx512)
        #expect(!AttentionKernel.takesNarrowHeads(l(9, 8, 100, 100), masked: false, isCausal: false, tiling: AttentionTiling()))
        #expect(!AttentionKernel.takesNarrowHeads(l(8, 16, 100, 100), masked: false, isCausal: false, tiling: AttentionTiling()))
        #expect(!AttentionKernel.takesNarrowHeads(l(8, 8, 100, 100), masked: true, isCausal: false, tiling: AttentionTiling()))
        #expect(!AttentionKernel.takesNarrowHeads(l(8, 8, 100, 100), masked: false, isCausal: true, tiling: AttentionTiling()))
        #expect(!AttentionKernel.takesNarrowHeads(l(8, 8, 100, 10), masked: false, isCausal: false, tiling: AttentionTiling()))
    }
}
