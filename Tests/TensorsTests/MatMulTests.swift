import Testing
import TensorsAVX512
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
                let expected = directProduct(transposeA, transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda,
                                             b: b, ldb: ldb, beta: 2, c: values(count: m * ldc, seed: 3), ldc: ldc)
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

    /// `AVX512GEMM` on its own, against a direct triple loop, on shapes that cross each of its
    /// edges: tiles of 12 rows and 32 columns cut short, several blocks of depth (256), of rows
    /// (144) and of columns (1,024), k = 1, every transpose combination, leading dimensions wider
    /// than the matrices, and the three ways a tile reaches C (beta 0 over NaN, which must not
    /// be read; beta 2; and the later blocks of depth adding to C).
    @Test(.enabled(if: CPUFeatures.avx512, "this processor has no AVX-512: AVX512GEMM is never used here"),
          arguments: [(12, 32, 1), (1, 1, 7), (13, 33, 257), (145, 40, 513), (25, 1057, 9), (7, 70, 300)])
    func avx512ProductsMatchADirectLoop(_ size: (Int, Int, Int)) {
        let (m, n, k) = size
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta: Float in [0, 2] {
                    let (lda, ldb, ldc) = ((transposeA ? m : k) + 3, (transposeB ? k : n) + 5, n + 7)
                    let a = values(count: (transposeA ? k : m) * lda, seed: 1)
                    let b = values(count: (transposeB ? n : k) * ldb, seed: 2)
                    var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : values(count: m * ldc, seed: 3)
                    let expected = directProduct(transposeA, transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda,
                                                 b: b, ldb: ldb, beta: Double(beta), c: c, ldc: ldc)
                    AVX512GEMM.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
                    var (worst, at) = (Float(0), 0)
                    for i in 0..<m {
                        for j in 0..<n where !(abs(c[i * ldc + j] - expected[i * ldc + j]) <= worst) {
                            (worst, at) = (abs(c[i * ldc + j] - expected[i * ldc + j]), i * ldc + j)
                        }
                    }
                    #expect(worst <= 1e-4 * Float(k).squareRoot(),
                            "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB) beta \(beta): max-abs \(worst) at row \(at / ldc), column \(at % ldc) (\(c[at]) against \(expected[at]))")
                    // What lies between the rows (the leading dimension's padding) is left alone.
                    for i in 0..<m {
                        for j in n..<ldc where !(c[i * ldc + j].isNaN && beta == 0) && c[i * ldc + j] != expected[i * ldc + j] {
                            Issue.record("m \(m) n \(n) k \(k): padding at row \(i), column \(j) was written")
                        }
                    }
                }
            }
        }
    }

    /// `alpha · op(A) · op(B) + beta · C` by a triple loop in Double; C is not read when beta is 0.
    private func directProduct(_ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                               a: [Float], lda: Int, b: [Float], ldb: Int, beta: Double, c: [Float], ldc: Int) -> [Float] {
        var expected = c
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    sum += Double(transposeA ? a[p * lda + i] : a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                }
                expected[i * ldc + j] = Float(alpha * sum + (beta == 0 ? 0 : beta * Double(c[i * ldc + j])))
            }
        }
        return expected
    }

    private func values(count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
    }
}
