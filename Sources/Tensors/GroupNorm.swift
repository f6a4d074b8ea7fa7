// Reference: torch.nn.functional.group_norm (biased variance, eps inside the square root),
// and diffusers' ResnetBlock2D, which follows it with SiLU (fused here on request).

/// Group normalisation, `torch.nn.functional.group_norm(x, groups, weight, bias, eps)`;
/// with `applyingSiLU`, `torch.nn.functional.silu` of that in the same pass.
///
/// - Parameters:
///   - x: `[N, C, *]`; `C` must be divisible by `groups`.
///   - weight, bias: `[C]` per-channel affine parameters, or nil (1 and 0).
/// - Returns: the shape of `x`. Each `(n, group)` block is normalised by its own mean and
///   biased variance, computed in two passes with Double accumulation across chunks.
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5,
                      applyingSiLU: Bool = false) -> Tensor {
    precondition(x.rank >= 2, "group_norm: input \(x.shape) must be [N, C, *]")
    let (n, c) = (x.shape[0], x.shape[1])
    precondition(groups >= 1 && c % groups == 0, "group_norm: \(c) channels are not divisible into \(groups) groups")
    if let weight { precondition(weight.shape == [c], "group_norm: weight \(weight.shape) must be [\(c)]") }
    if let bias { precondition(bias.shape == [c], "group_norm: bias \(bias.shape) must be [\(c)]") }
    let spatial = n * c == 0 ? 0 : x.count / (n * c)
    let channelsPerGroup = c / groups
    let block = channelsPerGroup * spatial
    return Tensor(shape: x.shape) { out in
        guard block > 0 else { return }
        x.scalars.withUnsafeBufferPointer { px in
            (weight?.scalars ?? []).withUnsafeBufferPointer { pw in
                (bias?.scalars ?? []).withUnsafeBufferPointer { pb in
                    let w = weight == nil ? nil : pw.baseAddress, b = bias == nil ? nil : pb.baseAddress
                    let src = px.baseAddress!, dst = out.baseAddress!
                    Parallel.forEachChunk(n * groups, minimumPerThread: max(1, 16384 / block)) { range in
                        for task in range {
                            let c0 = (task % groups) * channelsPerGroup
                            let m = GroupNormKernel.moments(src + task * block, count: block, eps: eps)
                            for ch in 0..<channelsPerGroup {
                                let offset = task * block + ch * spatial
                                GroupNormKernel.normalize(src + offset, dst + offset, count: spatial, moments: m,
                                                          weight: w?[c0 + ch] ?? 1, bias: b?[c0 + ch] ?? 0,
                                                          silu: applyingSiLU)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Mean (as a sum of two floats, `high + low`, so that `x − mean` loses nothing when the mean
/// is large against the spread) and `1 / sqrt(variance + eps)` of one group.
struct GroupMoments {
    let high: Float
    let low: Float
    let rstd: Float
}

enum GroupNormKernel {
    /// Values summed in Float lanes before the partial sum joins the Double total.
    static let chunk = 2048

    /// Two passes: the mean of `x − x[0]` (shifted so large offsets do not swamp the sum), then
    /// the biased variance around that mean; partial sums of `chunk` values meet in Double.
    static func moments(_ x: UnsafePointer<Float>, count: Int, eps: Float) -> GroupMoments {
        let origin = x[0]
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            total += Double(chunkSum(x + start, count: n, high: origin, low: 0, squared: false))
            start += n
        }
        let mean = Double(origin) + total / Double(count)
        let high = Float(mean), low = Float(mean - Double(high))
        var squares = 0.0
        start = 0
        while start < count {
            let n = min(chunk, count - start)
            squares += Double(chunkSum(x + start, count: n, high: high, low: low, squared: true))
            start += n
        }
        let variance = Float(squares / Double(count))
        return GroupMoments(high: high, low: low, rstd: 1 / (variance + eps).squareRoot())
    }

    /// `Σ (x − high − low)` or its squares over at most `chunk` values, in four SIMD8 lanes.
    @inline(__always)
    static func chunkSum(_ x: UnsafePointer<Float>, count n: Int, high: Float, low: Float, squared: Bool) -> Float {
        let h = SIMD8<Float>(repeating: high), l = SIMD8<Float>(repeating: low)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 32 <= n {
            let v0 = (raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - h) - l
            let v1 = (raw.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self) - h) - l
            let v2 = (raw.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD8<Float>.self) - h) - l
            let v3 = (raw.loadUnaligned(fromByteOffset: (i &+ 24) &* 4, as: SIMD8<Float>.self) - h) - l
            if squared {
                a0 += v0 * v0; a1 += v1 * v1; a2 += v2 * v2; a3 += v3 * v3
            } else {
                a0 += v0; a1 += v1; a2 += v2; a3 += v3
            }
            i &+= 32
        }
        var total = ((a0 + a1) + (a2 + a3)).sum()
        while i < n {
            let v = (x[i] - high) - low
            total += squared ? v * v : v
            i &+= 1
        }
        return total
    }

    /// `v·sigmoid(v)` from `e = exp(−|v|)`: `sigmoid(v) = 1 / (1 + e)` for `v ≥ 0` and
    /// `e / (1 + e)` below, so the exponential never overflows and needs no clamping.
    @inline(__always)
    static func siluOf(_ v: Float) -> Float {
        let e = exponentialOfNonPositive(-Swift.abs(v))
        let s = 1 / (1 + e)
        return v * (v >= 0 ? s : e * s)
    }

    /// `y = (x − mean)·rstd·weight + bias`, then `y / (1 + exp(−y))` when `silu`.
    @inline(__always)
    static func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int,
                          moments m: GroupMoments, weight: Float, bias: Float, silu: Bool) {
        let scale = m.rstd * weight, high = m.high, low = m.low
        var i = 0
        if silu {
            while i < n {
                let v = ((x[i] - high) - low) * scale + bias
                y[i] = siluOf(v)
                i &+= 1
            }
        } else {
            while i < n { y[i] = ((x[i] - high) - low) * scale + bias; i &+= 1 }
        }
    }
}
