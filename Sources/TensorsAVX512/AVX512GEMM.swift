// Single-precision matrix products in 512-bit vectors, for the processors that have AVX-512.
// This module alone is compiled for AVX-512 (Package.swift); `Tensors` calls it only after
// `CPUFeatures.avx512` has confirmed the processor runs it (MatMul.swift).
//
// Why our own: Debian's OpenBLAS has AVX-512 kernels (SkylakeX), but the machines Diffuse is
// developed and tested on pin it to its AVX2 `Haswell` kernels (`OPENBLAS_CORETYPE=Haswell`, set
// machine-wide because some OpenBLAS builds compute wrong results on some processors), and a
// library cannot change the core type OpenBLAS chose when it loaded (sgemm 1024³ on a Zen 5 core
// pair: 260–274 GFLOP/s pinned, 504–516 with SkylakeX, 440–456 here; docs/benchmarks.md).
// PyTorch's oneDNN uses AVX-512 on the same processors. This is the Goto/BLIS scheme (Goto and
// van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008; BLIS's skx kernels):
// B is packed in panels of `columns` (32) columns, A in panels of `rows` (12) rows, both
// zero-padded, and a micro-kernel keeps a 12×32 tile of C in 24 vector registers, adding one
// rank-1 update per step of k: two loads of B and twelve broadcasts of A into 24 multiply-adds.

/// `C = alpha · op(A) · op(B) + beta · C` for row-major matrices, on one thread.
public enum AVX512GEMM {
    /// Rows of C per micro-kernel tile.
    public static let rows = 12
    /// Columns of C per micro-kernel tile (two vectors of 16 floats).
    public static let columns = 32
    /// Depth of a packed block: a B panel (`depth × columns`, 32 KB) stays in the level-1 cache.
    static let depth = 256
    /// Rows of A packed at once (`rowBlock × depth`, 144 KB, in the level-2 cache).
    static let rowBlock = 12 * 12
    /// Columns of B packed at once.
    static let columnBlock = 1024

    typealias V = SIMD16<Float>

    /// - Parameters: as BLAS's `sgemm` in row-major order: `op(A)` is `m × k` (`A` is `k × m`
    ///   when `transposeA`), `op(B)` is `k × n`, leading dimensions `lda`, `ldb`, `ldc`. When
    ///   `beta` is 0, C is not read (so it may hold anything, NaN included).
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 1, "AVX512GEMM: sizes m \(m), n \(n), k \(k)")
        if m == 0 || n == 0 { return }
        let (kc, mc, nc) = (min(depth, k), min(rowBlock, round(m, to: rows)), min(columnBlock, round(n, to: columns)))
        let packedA = UnsafeMutableRawPointer.allocate(byteCount: kc * mc * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: kc * mc)
        let packedB = UnsafeMutableRawPointer.allocate(byteCount: kc * nc * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: kc * nc)
        let edge = UnsafeMutableRawPointer.allocate(byteCount: rows * columns * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: rows * columns)
        defer { packedA.deallocate(); packedB.deallocate(); edge.deallocate() }
        var j0 = 0
        while j0 < n {
            let nb = min(nc, n - j0)
            var p0 = 0
            while p0 < k {
                let kb = min(kc, k - p0)
                // The first block of k writes C (scaled by beta), the others add to it.
                let update: Update = p0 > 0 ? .add(alpha) : beta == 0 ? .store(alpha) : .scaleAdd(alpha, beta)
                packB(transposeB, b, ldb, rows: p0..<p0 + kb, columns: j0..<j0 + nb, into: packedB)
                var i0 = 0
                while i0 < m {
                    let mb = min(mc, m - i0)
                    packA(transposeA, a, lda, rows: i0..<i0 + mb, depth: p0..<p0 + kb, into: packedA)
                    var j = 0
                    while j < nb {
                        let panelB = packedB + j * kb
                        var i = 0
                        while i < mb {
                            let (tileRows, tileColumns) = (min(rows, mb - i), min(columns, nb - j))
                            let target = c + (i0 + i) * ldc + j0 + j
                            if tileRows == rows && tileColumns == columns {
                                tile(k: kb, a: packedA + i * kb, b: panelB, c: target, ldc: ldc, update: update)
                            } else {
                                tile(k: kb, a: packedA + i * kb, b: panelB, c: edge, ldc: columns, update: .store(1))
                                for r in 0..<tileRows {
                                    for s in 0..<tileColumns {
                                        update.apply(edge[r * columns + s], to: &target[r * ldc + s])
                                    }
                                }
                            }
                            i += rows
                        }
                        j += columns
                    }
                    i0 += mb
                }
                p0 += kb
            }
            j0 += nb
        }
    }

    /// How a tile's products reach C.
    enum Update {
        case store(Float)              // C = alpha·AB
        case scaleAdd(Float, Float)    // C = alpha·AB + beta·C
        case add(Float)                // C += alpha·AB

        @inline(__always)
        func apply(_ product: Float, to c: inout Float) {
            switch self {
            case .store(let alpha): c = alpha * product
            case .scaleAdd(let alpha, let beta): c = alpha * product + beta * c
            case .add(let alpha): c += alpha * product
            }
        }

        @inline(__always)
        func apply(_ product: V, to c: UnsafeMutablePointer<Float>) {
            let raw = UnsafeMutableRawPointer(c)
            switch self {
            case .store(let alpha):
                raw.storeBytes(of: alpha * product, as: V.self)
            case .scaleAdd(let alpha, let beta):
                raw.storeBytes(of: (beta * raw.loadUnaligned(as: V.self)).addingProduct(V(repeating: alpha), product), as: V.self)
            case .add(let alpha):
                raw.storeBytes(of: raw.loadUnaligned(as: V.self).addingProduct(V(repeating: alpha), product), as: V.self)
            }
        }
    }

    /// One 12×32 tile: `a` is a packed A panel (`k` steps of 12 floats), `b` a packed B panel
    /// (`k` steps of 32 floats, 64-byte aligned).
    static func tile(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     ldc: Int, update: Update) {
        var c00 = V(), c01 = V()
        var c10 = V(), c11 = V()
        var c20 = V(), c21 = V()
        var c30 = V(), c31 = V()
        var c40 = V(), c41 = V()
        var c50 = V(), c51 = V()
        var c60 = V(), c61 = V()
        var c70 = V(), c71 = V()
        var c80 = V(), c81 = V()
        var c90 = V(), c91 = V()
        var c100 = V(), c101 = V()
        var c110 = V(), c111 = V()
        var a = a, b = UnsafeRawPointer(b)
        for _ in 0..<k {
            let b0 = b.load(as: V.self), b1 = b.load(fromByteOffset: 64, as: V.self)
            c00 = c00.addingProduct(V(repeating: a[0]), b0); c01 = c01.addingProduct(V(repeating: a[0]), b1)
            c10 = c10.addingProduct(V(repeating: a[1]), b0); c11 = c11.addingProduct(V(repeating: a[1]), b1)
            c20 = c20.addingProduct(V(repeating: a[2]), b0); c21 = c21.addingProduct(V(repeating: a[2]), b1)
            c30 = c30.addingProduct(V(repeating: a[3]), b0); c31 = c31.addingProduct(V(repeating: a[3]), b1)
            c40 = c40.addingProduct(V(repeating: a[4]), b0); c41 = c41.addingProduct(V(repeating: a[4]), b1)
            c50 = c50.addingProduct(V(repeating: a[5]), b0); c51 = c51.addingProduct(V(repeating: a[5]), b1)
            c60 = c60.addingProduct(V(repeating: a[6]), b0); c61 = c61.addingProduct(V(repeating: a[6]), b1)
            c70 = c70.addingProduct(V(repeating: a[7]), b0); c71 = c71.addingProduct(V(repeating: a[7]), b1)
            c80 = c80.addingProduct(V(repeating: a[8]), b0); c81 = c81.addingProduct(V(repeating: a[8]), b1)
            c90 = c90.addingProduct(V(repeating: a[9]), b0); c91 = c91.addingProduct(V(repeating: a[9]), b1)
            c100 = c100.addingProduct(V(repeating: a[10]), b0); c101 = c101.addingProduct(V(repeating: a[10]), b1)
            c110 = c110.addingProduct(V(repeating: a[11]), b0); c111 = c111.addingProduct(V(repeating: a[11]), b1)
            a += 12
            b += 128
        }
        @inline(__always) func put(_ lo: V, _ hi: V, _ r: Int) {
            update.apply(lo, to: c + r &* ldc)
            update.apply(hi, to: c + (r &* ldc &+ 16))
        }
        put(c00, c01, 0)
        put(c10, c11, 1)
        put(c20, c21, 2)
        put(c30, c31, 3)
        put(c40, c41, 4)
        put(c50, c51, 5)
        put(c60, c61, 6)
        put(c70, c71, 7)
        put(c80, c81, 8)
        put(c90, c91, 9)
        put(c100, c101, 10)
        put(c110, c111, 11)
    }

    /// Packs rows `rows` × `depth` of op(A) as panels of 12 rows, each `depth.count` steps of 12
    /// floats; rows past the end of A are zeros.
    static func packA(_ transposed: Bool, _ a: UnsafePointer<Float>, _ lda: Int, rows: Range<Int>, depth: Range<Int>,
                      into packed: UnsafeMutablePointer<Float>) {
        let kb = depth.count
        var out = packed
        for i in stride(from: rows.lowerBound, to: rows.upperBound, by: Self.rows) {
            let count = min(Self.rows, rows.upperBound - i)
            if transposed {                       // A is k × m: each step's rows are contiguous
                for p in depth {
                    let source = a + p * lda + i
                    for r in 0..<count { out[r] = source[r] }
                    for r in count..<Self.rows { out[r] = 0 }
                    out += Self.rows
                }
            } else {
                for r in 0..<Self.rows {
                    if r < count {
                        let source = a + (i + r) * lda + depth.lowerBound
                        for p in 0..<kb { out[p &* Self.rows &+ r] = source[p] }
                    } else {
                        for p in 0..<kb { out[p &* Self.rows &+ r] = 0 }
                    }
                }
                out += kb * Self.rows
            }
        }
    }

    /// Packs rows `rows` (of k) × `columns` of op(B) as panels of 32 columns, each `rows.count`
    /// steps of 32 floats; columns past the end of B are zeros.
    static func packB(_ transposed: Bool, _ b: UnsafePointer<Float>, _ ldb: Int, rows: Range<Int>, columns: Range<Int>,
                      into packed: UnsafeMutablePointer<Float>) {
        let kb = rows.count
        var out = packed
        for j in stride(from: columns.lowerBound, to: columns.upperBound, by: Self.columns) {
            let count = min(Self.columns, columns.upperBound - j)
            if transposed {                       // B is n × k: each column of op(B) is contiguous
                for s in 0..<Self.columns {
                    if s < count {
                        let source = b + (j + s) * ldb + rows.lowerBound
                        for p in 0..<kb { out[p &* Self.columns &+ s] = source[p] }
                    } else {
                        for p in 0..<kb { out[p &* Self.columns &+ s] = 0 }
                    }
                }
            } else if count == Self.columns {
                for p in 0..<kb {
                    let source = UnsafeRawPointer(b + (rows.lowerBound + p) * ldb + j)
                    let target = UnsafeMutableRawPointer(out + p &* Self.columns)
                    target.storeBytes(of: source.loadUnaligned(as: V.self), as: V.self)
                    target.storeBytes(of: source.loadUnaligned(fromByteOffset: 64, as: V.self), toByteOffset: 64, as: V.self)
                }
            } else {
                for p in 0..<kb {
                    let source = b + (rows.lowerBound + p) * ldb + j
                    for s in 0..<count { out[p &* Self.columns &+ s] = source[s] }
                    for s in count..<Self.columns { out[p &* Self.columns &+ s] = 0 }
                }
            }
            out += kb * Self.columns
        }
    }

    static func round(_ x: Int, to multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
