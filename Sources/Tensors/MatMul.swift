import CBLAS
import TensorsAVX512

/// Matrix products through OpenBLAS `cblas_sgemm`, or `AVX512GEMM` on processors with AVX-512.
/// Reference: torch.matmul / torch.bmm / torch.nn.functional.linear.
extension Tensor {
    /// `a @ b` for a: [M, K], b: [K, N] → [M, N]; with batch dimensions, a: [..., M, K],
    /// b: [..., K, N] (batch dims equal) or b: [K, N] (shared across the batch).
    public func matmul(_ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(rank >= 2 && b.rank >= 2, "matmul: ranks \(shape) and \(b.shape)")
        let m = transposeA ? shape[rank - 1] : shape[rank - 2]
        let k = transposeA ? shape[rank - 2] : shape[rank - 1]
        let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        precondition(k == kb, "matmul: inner dimensions differ, \(shape) × \(b.shape)")
        let batchA = Array(shape.dropLast(2))
        let batchB = Array(b.shape.dropLast(2))
        precondition(batchB.isEmpty || batchA == batchB,
                     "matmul: batch dimensions differ, \(shape) × \(b.shape)")
        let batch = Tensor.elementCount(batchA)
        let strideB = batchB.isEmpty ? 0 : k * n
        return Tensor(shape: batchA + [m, n]) { out in
            scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<batch {
                        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                              alpha: 1, a: pa.baseAddress! + i * m * k, b: pb.baseAddress! + i * strideB,
                              beta: 0, c: out.baseAddress! + i * m * n)
                    }
                }
            }
        }
    }
}

/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major and contiguous.
///
/// On a processor with AVX-512 (`CPUFeatures.avx512`) products of at least
/// `GEMMChoice.avx512Work` multiply-adds run in `AVX512GEMM` (the TensorsAVX512 module says why),
/// the others in OpenBLAS.
///
/// OpenBLAS runs single-threaded (see `BLASThreads`): a product of at least
/// `BLASThreads.splitWork` multiply-adds is split here into one band of rows (or of columns,
/// whichever is longer; bands start at multiples of 16) per core, unless the caller already
/// runs on a `Parallel` worker.
public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
        return
    }
    BLASThreads.useOneThread()
    let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
    func product(rows: Range<Int>, columns: Range<Int>) {
        let pa = a + (transposeA ? rows.lowerBound : rows.lowerBound * lda)
        let pb = b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound)
        if GEMMChoice.takesAVX512(m: rows.count, n: columns.count, k: k) {
            AVX512GEMM.sgemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: columns.count, k: k,
                             alpha: alpha, a: pa, lda: lda, b: pb, ldb: ldb, beta: beta,
                             c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(rows.count), Int32(columns.count), Int32(k), alpha, pa, Int32(lda), pb, Int32(ldb),
                    beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
    let parts = Parallel.threadCount
    guard parts > 1, Double(m) * Double(n) * Double(k) >= BLASThreads.splitWork, !Parallel.isInsideWorker,
          max(m, n) >= 32 * parts else {
        product(rows: 0..<m, columns: 0..<n)
        return
    }
    let long = max(m, n)
    Parallel.forEachChunk(parts, minimumPerThread: 1) { range in
        for part in range {
            let lo = long * part / parts / 16 * 16, hi = part == parts - 1 ? long : long * (part + 1) / parts / 16 * 16
            if m >= n { product(rows: lo..<hi, columns: 0..<n) } else { product(rows: 0..<m, columns: lo..<hi) }
        }
    }
}

/// Which library computes a product.
public enum GEMMChoice {
    /// Products of at least this many multiply-adds go to `AVX512GEMM` when the processor has
    /// AVX-512; smaller ones stay in OpenBLAS, whose packing costs less for them.
    public static let avx512Work = Double(1 << 15)

    static func takesAVX512(m: Int, n: Int, k: Int) -> Bool {
        return CPUFeatures.avx512 && Double(m) * Double(n) * Double(k) >= avx512Work
    }
}
