import Testing
import Tensors

@Suite struct MatMulTests {
    @Test func matmulMatchesTorch() throws {
        let f = try Fixtures.load("matmul")
        let a = try f.tensor("a"), b = try f.tensor("b")
        expectClose(a.matmul(b), try f.tensor("a@b"), "a@b")
        expectClose(a.matmul(try f.tensor("bT"), transposeB: true),
                    try f.tensor("a@b"), "a@bT^T")
        let ba = try f.tensor("batch_a"), bb = try f.tensor("batch_b")
        expectClose(ba.matmul(bb), try f.tensor("bmm"), "bmm")
        expectClose(ba.matmul(b), try f.tensor("batch_a@b"), "broadcast b")
    }
}
