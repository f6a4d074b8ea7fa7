import Testing
import Tensors

@Suite struct LayerNormTests {
    @Test func layerNormMatchesTorch() throws {
        let f = try Fixtures.load("layernorm")
        let x = try f.tensor("x"), w8 = try f.tensor("w8"), b8 = try f.tensor("b8")
        expectClose(layerNorm(x, normalizedShape: [8], weight: w8, bias: b8), try f.tensor("ln8"), "layer_norm [8]")
        expectClose(layerNorm(x, normalizedShape: [3, 8], weight: try f.tensor("w38"), bias: try f.tensor("b38")),
                    try f.tensor("ln38"), "layer_norm [3, 8]")
        expectClose(layerNorm(x, normalizedShape: [8], eps: 1e-6), try f.tensor("ln8_plain_eps1e-6"), "no affine")
        expectClose(layerNorm(x, normalizedShape: [8], weight: w8), try f.tensor("ln8_weight_only"), "weight only")
        expectClose(layerNorm(try f.tensor("long"), normalizedShape: [37]), try f.tensor("ln_long"), "odd length 37")
    }

    @Test func rmsNormMatchesTorch() throws {
        let f = try Fixtures.load("layernorm")
        let x = try f.tensor("x")
        expectClose(rmsNorm(x, normalizedShape: [8], weight: try f.tensor("w8"), eps: 1e-6), try f.tensor("rms8"), "rms_norm")
        expectClose(rmsNorm(x, normalizedShape: [3, 8]), try f.tensor("rms38_default_eps"), "rms_norm default eps")
    }
}
