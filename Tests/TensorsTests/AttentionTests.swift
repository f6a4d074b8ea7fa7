import Testing
@testable import Tensors

@Suite struct AttentionTests {
    @Test func selfAttentionMatchesTorch() throws {
        let f = try Fixtures.load("attention")
        let y = scaledDotProductAttention(query: try f.tensor("self.q"), key: try f.tensor("self.k"),
                                          value: try f.tensor("self.v"))
        expectClose(y, try f.tensor("self.out"), "self-attention")
    }

    @Test func crossAttentionWithMasksAndScaleMatchesTorch() throws {
        let f = try Fixtures.load("attention")
        let q = try f.tensor("cross.q"), k = try f.tensor("cross.k"), v = try f.tensor("cross.v")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v), try f.tensor("cross.out"),
                    "cross-attention, Lq 6, Lk 4, Dv 5")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, mask: .additive(try f.tensor("cross.additive"))),
                    try f.tensor("cross.out_additive"), "additive mask [2, 1, 6, 4]")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, mask: .additive(try f.tensor("cross.key_bias"))),
                    try f.tensor("cross.out_key_bias"), "additive mask [1, 4]")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, mask: .keep(try f.tensor("cross.keep"))),
                    try f.tensor("cross.out_keep"), "boolean mask [6, 4]")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v,
                                              mask: .keep(try f.tensor("cross.keep_empty_row"))),
                    try f.tensor("cross.out_keep_empty_row"), "boolean mask with a fully masked row")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, scale: 0.3), try f.tensor("cross.out_scale"),
                    "scale 0.3")
    }

    @Test func causalAttentionMatchesTorch() throws {
        let f = try Fixtures.load("attention")
        let y = scaledDotProductAttention(query: try f.tensor("causal.q"), key: try f.tensor("causal.k"),
                                          value: try f.tensor("causal.v"), isCausal: true)
        expectClose(y, try f.tensor("causal.out"), "is_causal")
    }

    /// Query tiles of 1, 5 and 16 rows (Lq = 37) and key blocks of 1, 7 and 16 keys (Lk = 53, online
    /// softmax across blocks) give torch's result, with a full [B, H, Lq, Lk] mask.
    @Test func tilesAndKeyBlocksMatchTorch() throws {
        let f = try Fixtures.load("attention")
        let q = try f.tensor("long.q"), k = try f.tensor("long.k"), v = try f.tensor("long.v")
        let mask = AttentionMask.additive(try f.tensor("long.mask"))
        let expected = try f.tensor("long.out")
        expectClose(scaledDotProductAttention(query: q, key: k, value: v, mask: mask), expected, "default tiles")
        for tile in [1, 5, 16] {
            for block in [1, 7, 16, 53] {
                let y = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: false, scale: nil,
                                                  tiling: AttentionTiling(queryTile: tile, keyBlock: block))
                expectClose(y, expected, "query tile \(tile), key block \(block)")
            }
        }
    }

    /// Key blocks of 1 and 3 keys where whole blocks are masked out (causal, boolean with an empty row).
    @Test func maskedBlocksMatchTorch() throws {
        let f = try Fixtures.load("attention")
        for block in [1, 3] {
            let tiling = AttentionTiling(queryTile: 2, keyBlock: block)
            let causal = scaledDotProductAttention(query: try f.tensor("causal.q"), key: try f.tensor("causal.k"),
                                                   value: try f.tensor("causal.v"), mask: nil, isCausal: true,
                                                   scale: nil, tiling: tiling)
            expectClose(causal, try f.tensor("causal.out"), "is_causal, key block \(block)")
            let keep = scaledDotProductAttention(query: try f.tensor("cross.q"), key: try f.tensor("cross.k"),
                                                 value: try f.tensor("cross.v"),
                                                 mask: .keep(try f.tensor("cross.keep_empty_row")), isCausal: false,
                                                 scale: nil, tiling: tiling)
            expectClose(keep, try f.tensor("cross.out_keep_empty_row"), "boolean mask with an empty row, key block \(block)")
        }
    }

    @Test func packedHeadsLayoutMatchesDiffusers() throws {
        let f = try Fixtures.load("attention")
        let y = multiHeadAttention(query: try f.tensor("mha.q"), key: try f.tensor("mha.k"), value: try f.tensor("mha.v"),
                                   heads: 3, mask: .additive(try f.tensor("mha.mask")))
        expectClose(y, try f.tensor("mha.out"), "[B, L, heads·D] with 3 heads")
    }
}
