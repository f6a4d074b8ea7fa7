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
