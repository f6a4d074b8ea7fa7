import Testing
@testable import Tensors

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

    /// Products large enough for `sgemm` to split them over the cores (by rows when m ≥ n, by
    /// columns otherwise, bands at multiples of 16), in every transpose combination and with
    /// leading dimensions wider than the matrices, against a direct triple loop; and the same
    /// product from inside a `Parallel` worker, where it is not split.
    @Test(arguments: [(157, 70), (70, 157)]) func splitProductsMatchADirectLoop(_ size: (Int, Int)) {
        let (m, n, k) = (size.0, size.1, 300)
        #expect(Double(m * n * k) >= BLASThreads.splitWork)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let (lda, ldb, ldc) = ((transposeA ? m : k) + 3, (transposeB ? k : n) + 5, n + 7)
                let a = values(count: (transposeA ? k : m) * lda, seed: 1), b = values(count: (transposeB ? n : k) * ldb, seed: 2)
                var expected = values(count: m * ldc, seed: 3)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum: Double = 0
                        for p in 0..<k {
                            sum += Double(transposeA ? a[p * lda + i] : a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                        }
                        expected[i * ldc + j] = Float(0.5 * sum + 2 * Double(expected[i * ldc + j]))
                    }
                }
                for insideWorker in [false, true] {
                    var c = values(count: m * ldc, seed: 3)
                    let run = {
                        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda,
                              b: b, ldb: ldb, beta: 2, c: &c, ldc: ldc)
                    }
                    if insideWorker {
                        Parallel.forEachChunk(2, minimumPerThread: 1) { range in
                            if range.contains(0) { #expect(Parallel.isInsideWorker || Parallel.threadCount == 1); run() }
                        }
                    } else {
                        run()
                    }
                    var worst: Float = 0
                    for i in 0..<(m * ldc) { worst = max(worst, abs(c[i] - expected[i])) }
                    #expect(worst <= 1e-3, "m \(m) n \(n) transposeA \(transposeA) transposeB \(transposeB) in worker \(insideWorker): max-abs \(worst)")
                }
            }
        }
    }

    private func values(count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
    }
}
