import Testing
import Tensors

@Suite struct SoftmaxTests {
    @Test func softmaxAlongEveryAxisMatchesTorch() throws {
        let f = try Fixtures.load("softmax")
        let x = try f.tensor("x")
        for axis in [0, 1, 2, 3, -1, -3] {
            expectClose(x.softmax(axis: axis), try f.tensor("softmax\(axis)"), "softmax axis \(axis)")
            expectClose(x.logSoftmax(axis: axis), try f.tensor("log_softmax\(axis)"), "log_softmax axis \(axis)")
        }
    }

    @Test func largeLogitsStayFinite() throws {
        let f = try Fixtures.load("softmax")
        let big = try f.tensor("big")
        expectClose(big.softmax(), try f.tensor("softmax_big"), "softmax of ±180 logits")
        expectClose(big.logSoftmax(), try f.tensor("log_softmax_big"), abs: 1e-5, rel: 1e-6, "log_softmax of ±180 logits")
        expectClose(big.softmax(axis: 0), try f.tensor("softmax_big0"), "softmax axis 0")
    }

    @Test func wideStridedAxisUsesSeveralColumnBlocks() {
        // inner = 600 > one 256-column block; every column must sum to one.
        let x = Tensor(shape: [2, 3, 600]) { out in for i in 0..<out.count { out[i] = Float((i * 37) % 11) - 5 } }
        let s = x.softmax(axis: 1).sum(axis: 1)
        #expect(s.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-6 })
    }
}
