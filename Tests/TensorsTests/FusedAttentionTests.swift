import Testing
@testable import Tensors

/// The fused attention kernel (FlashAttention.swift) at widths and lengths that exercise its
/// padding: head widths not multiples of 8 or 16, key counts not multiples of 16, query tiles not
/// multiples of 6, key blocks that start inside a packed panel; masks and causal. The `small_*`
/// cases (heads of 1–4 dimensions) go through `smallHeads` with the default tiles and through
/// `fused` with forced ones, so both kernels are held to torch on them.
@Suite struct FusedAttentionTests {
    static let cases = ["odd_widths", "narrow", "keep", "causal", "one_key",
                        "small_d1", "small_d2", "small_d3", "small_d4", "small_d2_peaked"]

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

    @Test func smallHeadCasesTakeTheSmallHeadKernel() throws {
        let f = try Fixtures.load("attention_fused")
        for name in Self.cases {
            let (q, v) = (try f.tensor("\(name).q"), try f.tensor("\(name).v"))
            let layout = AttentionLayout(batch: 1, heads: 1, queries: 1, keys: 1, headDim: q.shape[3],
                                         valueDim: v.shape[3], query: (0, 0, 0), key: (0, 0, 0),
                                         value: (0, 0, 0), output: (0, 0, 0))
            let masked = name == "narrow" || name == "keep"
            #expect(AttentionKernel.takesSmallHeads(layout, mask: nil, isCausal: name == "causal") == name.hasPrefix("small_"),
                    "\(name)")
            #expect(!masked || !name.hasPrefix("small_"))
        }
    }

    /// diffusers' layout (`[B, L, heads·D]`, heads interleaved in each row) through `smallHeads`,
    /// against the general kernel on the heads split apart.
    @Test(arguments: [1, 2, 3, 4]) func smallHeadsInDiffusersLayout(_ d: Int) {
        let (b, lq, lk, heads) = (2, 21, 29, 3)
        let q = seeded([b, lq, heads * d], 1), k = seeded([b, lk, heads * d], 2), v = seeded([b, lk, heads * d], 3)
        let split = { (x: Tensor, l: Int) in x.reshaped([b, l, heads, d]).permuted([0, 2, 1, 3]) }
        let expected = scaledDotProductAttention(query: split(q, lq), key: split(k, lk), value: split(v, lk), mask: nil,
                                                 isCausal: false, scale: nil, tiling: AttentionTiling(queryTile: 5, keyBlock: 7))
            .permuted([0, 2, 1, 3]).reshaped([b, lq, heads * d])
        expectClose(multiHeadAttention(query: q, key: k, value: v, heads: heads), expected, "head width \(d)")
    }

    private func seeded(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return Tensor(shape: shape) { out in
            for i in 0..<out.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                out[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * 3
            }
        }
    }
}
