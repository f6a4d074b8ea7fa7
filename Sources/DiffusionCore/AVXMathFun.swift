/// Lane-by-lane ports of `log256_ps` and `sincos256_ps` from torch's
/// aten/src/ATen/native/cpu/avx_mathfun.h (Giovanni Garberoglio's AVX version of Julien
/// Pommier's sse_mathfun, cephes polynomials), the functions torch's AVX2 `randn` kernel
/// uses for Box-Muller. Reference: https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/cpu/avx_mathfun.h
///
/// Bit-exactness needs more than the C source: torch's x86-64 wheels are built by GCC with
/// `-mavx2 -mfma` and GCC's default `-ffp-contract=fast`, so several `_mm256_mul_ps` /
/// `_mm256_add_ps` pairs became one `vfmadd`. Which ones was read off the disassembly of
/// `NormalFill16<float, true>::operator()` in libtorch_cpu.so of torch 2.15.0; each fused
/// step below says so, every other step rounds separately as the source is written.
/// The constants are the bit patterns found in that binary.
enum AVXMathFun {
    /// a·b + c with one rounding (a `vfmadd` in torch's build).
    @inline(__always)
    static func fused(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }

    // log256_ps
    private static let minNormPos = Float(bitPattern: 0x0080_0000)
    private static let invMantMask: UInt32 = ~0x7f80_0000
    private static let half = Float(bitPattern: 0x3f00_0000)
    private static let sqrtHalf = Float(bitPattern: 0x3f35_04f3)          // cephes_SQRTHF
    private static let logP: [Float] = [0x3d90_21bb, 0xbdeb_d1b8, 0x3def_251a, 0xbdfe_5d4f, 0x3e11_e9bf,
                                        0xbe2a_ae50, 0x3e4c_ceac, 0xbe7f_fffc, 0x3eaa_aaaa]
        .map { Float(bitPattern: $0) }                                    // cephes_log_p0 … p8
    private static let logQ1 = Float(bitPattern: 0xb95e_8083)             // -2.12194440e-4
    private static let logQ2 = Float(bitPattern: 0x3f31_8000)             // 0.693359375

    /// `log256_ps` for one lane: natural logarithm, NaN for x ≤ 0, denormals flushed to the
    /// smallest normal.
    static func log(_ input: Float) -> Float {
        let invalid = input <= 0
        var x = Swift.max(input, minNormPos)
        let exponent = Int32(bitPattern: x.bitPattern >> 23) &- 0x7f
        x = Float(bitPattern: (x.bitPattern & invMantMask) | half.bitPattern)
        var e = Float(exponent) + 1
        // if (x < SQRTHF) { e -= 1; x = x + x - 1 } else { x = x - 1 }
        let below = x < sqrtHalf
        let tmp: Float = below ? x : 0
        x = x - 1
        e = e - (below ? 1 : 0)
        x = x + tmp
        let z = x * x
        var y = fused(logP[0], x, logP[1])                               // fused
        for p in logP[2...] { y = fused(y, x, p) }                       // fused
        y = y * x
        y = fused(y, z, e * logQ1)                                       // y·z + e·q1, fused
        y = fused(-z, half, y)                                           // y − z·0.5, fused
        x = x + y
        x = fused(e, logQ2, x)                                           // x + e·q2, fused
        return invalid ? Float(bitPattern: x.bitPattern | 0xffff_ffff) : x
    }

    // sincos256_ps
    private static let fourOverPi = Float(bitPattern: 0x3fa2_f983)       // cephes_FOPI
    private static let minusDP1 = Float(bitPattern: 0xbf49_0000)         // -0.78515625
    private static let minusDP2 = Float(bitPattern: 0xb97d_a000)         // -2.4187564849853515625e-4
    private static let minusDP3 = Float(bitPattern: 0xb322_2169)         // -3.77489497744594108e-8
    private static let cosP0 = Float(bitPattern: 0x37cc_f5ce)
    private static let cosP1 = Float(bitPattern: 0xbab6_061a)
    private static let cosP2 = Float(bitPattern: 0x3d2a_aaa5)
    private static let sinP0 = Float(bitPattern: 0xb94c_a1f9)
    private static let sinP1 = Float(bitPattern: 0x3c08_839e)
    private static let sinP2 = Float(bitPattern: 0xbe2a_aaa3)
    private static let signMask: UInt32 = 0x8000_0000

    /// `sincos256_ps` for one lane: sine and cosine with cephes' octant reduction
    /// (accurate for |x| < 8192). `input` must be finite with |x|·4/π < 2³¹ (the integer
    /// conversion traps otherwise); torch and ``TorchGenerator`` call it with x in [0, 2π).
    static func sinCos(_ input: Float) -> (sin: Float, cos: Float) {
        var x = Float(bitPattern: input.bitPattern & ~signMask)
        var signSin = input.bitPattern & signMask
        // j = (int(x · 4/π) + 1) & ~1, y = float(j)
        var j = Int32(x * fourOverPi)
        j = (j &+ 1) & ~1
        let y = Float(j)
        let swapSignSin = UInt32(bitPattern: j & 4) << 29
        let firstPolynomial = j & 2 == 0
        // x = ((x − y·DP1) − y·DP2) − y·DP3, each step fused
        x = fused(y, minusDP1, x)
        x = fused(y, minusDP2, x)
        x = fused(y, minusDP3, x)
        let signCos = UInt32(bitPattern: ~(j &- 2) & 4) << 29
        signSin ^= swapSignSin

        let z = x * x
        let halfZ = z * half
        var yc = fused(cosP0, z, cosP1)                                  // fused
        yc = fused(yc, z, cosP2)                                         // fused
        yc = z * yc
        yc = fused(z, yc, -halfZ)                                        // y·z − z·0.5, fused
        yc = yc + 1
        var ys = fused(sinP0, z, sinP1)                                  // fused
        ys = fused(ys, z, sinP2)                                         // fused
        ys = z * ys
        ys = fused(ys, x, x)                                             // y2·x + x, fused

        // Select with masks and add, as the vector code does (keeps its signed zeros).
        let sinFromSin: Float = firstPolynomial ? ys : 0
        let sinFromCos: Float = firstPolynomial ? 0 : yc
        let cosFromSin = ys - sinFromSin
        let cosFromCos = yc - sinFromCos
        let sine = sinFromCos + sinFromSin
        let cosine = cosFromCos + cosFromSin
        return (Float(bitPattern: sine.bitPattern ^ signSin), Float(bitPattern: cosine.bitPattern ^ signCos))
    }
}
