// The inner loop of attention for heads of at most 8 dimensions, in 16-lane AVX-512 vectors.
// This module alone is compiled for AVX-512 (Package.swift); `Tensors` calls it only after
// `CPUFeatures.avx512` has confirmed the processor runs it (NarrowHeadAttention.swift).
//
// Why its own kernel: with 8-dimensional heads (the tiny AudioLDM's 16 channels in 2 heads over
// 10,000 latent tokens) the general kernel's products have k = 8 and its value product only 8
// columns, so each score costs a broadcast and a multiply-add in each product plus the
// exponential, all 8 lanes wide. Here the 16 lanes hold 16 query rows instead: a key's score for
// all 16 rows is 8 multiply-adds of the transposed queries by the key's broadcast elements, the
// running maximum and sum are lane-wise, and the value product is 8 multiply-adds of the
// probabilities by the value's broadcast elements; nothing is reduced across lanes until the end.

/// `O = softmax₂(Q·Kᵀ)·V` for 16 query rows, with `softmax₂` the base-2 softmax (the caller folds
/// `log₂ e` into the queries' scale). Heads and values padded with zeros to 8 columns.
public enum NarrowHeadAttentionKernel {
    /// Query rows per call (one AVX-512 vector of Float).
    public static let rows = 16
    /// Columns of the queries, keys, values and output (heads padded with zeros to it).
    public static let width = 8
    /// Keys per block of the online softmax; `scratch` holds a block's scores.
    public static let block = 128

    /// - Parameters:
    ///   - query: `[16, 8]` row-major, already multiplied by `scale · log₂ e`.
    ///   - keys, values: `[count, 8]` row-major, `count ≥ 1`.
    ///   - scratch: room for `block · 16` floats.
    ///   - output: `[16, 8]` row-major.
    public static func tile(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            count: Int, scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var qt = [V](repeating: V(), count: 8)
        for c in 0..<8 {
            for r in 0..<16 { qt[c][r] = query[r &* 8 &+ c] }
        }
        let (q0, q1, q2, q3, q4, q5, q6, q7) = (qt[0], qt[1], qt[2], qt[3], qt[4], qt[5], qt[6], qt[7])
        var o0 = V(), o1 = V(), o2 = V(), o3 = V(), o4 = V(), o5 = V(), o6 = V(), o7 = V()
        var maximum = V(repeating: -.infinity), sum = V()
        let rawScratch = UnsafeMutableRawPointer(scratch)
        var j0 = 0
        while j0 < count {
            let n = Swift.min(block, count &- j0)
            // Scores of the block and their lane-wise maximum.
            var blockMaximum = V(repeating: -.infinity)
            var k = keys + j0 &* 8
            for j in 0..<n {
                var s = q0 * V(repeating: k[0])
                s = s.addingProduct(q1, V(repeating: k[1]))
                s = s.addingProduct(q2, V(repeating: k[2]))
                s = s.addingProduct(q3, V(repeating: k[3]))
                s = s.addingProduct(q4, V(repeating: k[4]))
                s = s.addingProduct(q5, V(repeating: k[5]))
                s = s.addingProduct(q6, V(repeating: k[6]))
                s = s.addingProduct(q7, V(repeating: k[7]))
                blockMaximum = s.replacing(with: blockMaximum, where: blockMaximum .> s)
                rawScratch.storeBytes(of: s, toByteOffset: j &* 64, as: V.self)
                k += 8
            }
            // Rescale what was summed so far to the new maximum.
            let next = blockMaximum.replacing(with: maximum, where: maximum .> blockMaximum)
            let correction = powerOfTwo(maximum - next)
            maximum = next
            sum *= correction
            o0 *= correction; o1 *= correction; o2 *= correction; o3 *= correction
            o4 *= correction; o5 *= correction; o6 *= correction; o7 *= correction
            // Probabilities, their sum, and the probabilities times the values.
            var v = values + j0 &* 8
            for j in 0..<n {
                let p = powerOfTwo(rawScratch.load(fromByteOffset: j &* 64, as: V.self) - maximum)
                sum += p
                o0 = o0.addingProduct(p, V(repeating: v[0]))
                o1 = o1.addingProduct(p, V(repeating: v[1]))
                o2 = o2.addingProduct(p, V(repeating: v[2]))
                o3 = o3.addingProduct(p, V(repeating: v[3]))
                o4 = o4.addingProduct(p, V(repeating: v[4]))
                o5 = o5.addingProduct(p, V(repeating: v[5]))
                o6 = o6.addingProduct(p, V(repeating: v[6]))
                o7 = o7.addingProduct(p, V(repeating: v[7]))
                v += 8
            }
            j0 &+= n
        }
        let inverse = 1 / sum
        let columns = [o0 * inverse, o1 * inverse, o2 * inverse, o3 * inverse,
                       o4 * inverse, o5 * inverse, o6 * inverse, o7 * inverse]
        for c in 0..<8 {
            for r in 0..<16 { output[r &* 8 &+ c] = columns[c][r] }
        }
    }

    /// `2^t` lane by lane for `t ≤ 0`, as `Tensors`' `powerOfTwo` (degree-5 minimax polynomial of
    /// `2^f`, `|f| ≤ ½`; relative error 2e-7), with `t` clamped at −126 (results below 2⁻¹²⁶
    /// come out as 2⁻¹²⁶ · p, never as garbage exponent bits); NaN propagates.
    @inline(__always)
    static func powerOfTwo(_ t: SIMD16<Float>) -> SIMD16<Float> {
        let x = t.replacing(with: -126, where: t .< -126)
        let shifted = x + 12_582_912
        let n = shifted - 12_582_912
        let f = x - n
        var p = SIMD16<Float>(repeating: 1.327_647_245e-3)
        p = SIMD16(repeating: 9.675_541_893e-3).addingProduct(p, f)
        p = SIMD16(repeating: 5.550_713_092e-2).addingProduct(p, f)
        p = SIMD16(repeating: 2.402_212_024e-1).addingProduct(p, f)
        p = SIMD16(repeating: 6.931_469_440e-1).addingProduct(p, f)
        p = SIMD16(repeating: 1.000_000_119).addingProduct(p, f)
        let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: SIMD16<Float>.self)
    }
}
