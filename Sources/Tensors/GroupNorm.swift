// Reference: torch.nn.functional.group_norm (biased variance, eps inside the square root),
// and diffusers' ResnetBlock2D, which follows it with SiLU (fused here on request).

/// Group normalisation, `torch.nn.functional.group_norm(x, groups, weight, bias, eps)`;
/// with `applyingSiLU`, `torch.nn.functional.silu` of that in the same pass.
///
/// - Parameters:
///   - x: `[N, C, *]`; `C` must be divisible by `groups`.
///   - weight, bias: `[C]` per-channel affine parameters, or nil (1 and 0).
/// - Returns: the shape of `x`. Each `(n, group)` block is normalised by its own mean and
///   biased variance, from one pass over memory (chunked Welford merge in Double).
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
    /// Values per chunk of the statistics pass: 4 KiB, so the chunk's second look hits L1.
    static let chunk = 1024

    /// One pass over memory: each chunk of `chunk` values (in L1) gets its own mean and sum of
    /// squared deviations (two looks, Float SIMD lanes), and the chunks are merged in Double with
    /// Chan's pairwise update, as Welford's algorithm does per element. The result is as exact
    /// as a two-pass mean and variance, with large offsets (|mean| ≫ std) costing nothing.
    static func moments(_ x: UnsafePointer<Float>, count: Int, eps: Float) -> GroupMoments {
        var mean = 0.0, m2 = 0.0, seen = 0.0
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            let p = x + start
            let centre = sum(p, count: n) / Float(n)
            let (d1, d2) = deviations(p, count: n, around: centre)
            let size = Double(n)
            let chunkMean = Double(centre) + Double(d1) / size
            let chunkM2 = max(0, Double(d2) - Double(d1) * Double(d1) / size)
            let total = seen + size
            let delta = chunkMean - mean
            mean += delta * size / total
            m2 += chunkM2 + delta * delta * seen * size / total
            seen = total
            start += n
        }
        let high = Float(mean), low = Float(mean - Double(high))
        let variance = Float(m2 / Double(count))
        return GroupMoments(high: high, low: low, rstd: 1 / (variance + eps).squareRoot())
    }

    /// `Σ x` over `n` values in four SIMD8 lanes.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 32 <= n {
            a0 += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD8<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: (i &+ 24) &* 4, as: SIMD8<Float>.self)
            i &+= 32
        }
        var total = ((a0 + a1) + (a2 + a3)).sum()
        while i < n { total += x[i]; i &+= 1 }
        return total
    }

    /// `(Σ d, Σ d²)` with `d = x − centre` over `n` values, in SIMD8 lanes; `Σ d` corrects for
    /// the rounding of `centre`.
    @inline(__always)
    static func deviations(_ x: UnsafePointer<Float>, count n: Int, around centre: Float) -> (Float, Float) {
        let c = SIMD8<Float>(repeating: centre)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 16 <= n {
            let v0 = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - c
            let v1 = raw.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self) - c
            s0 += v0; s1 += v1
            q0 += v0 * v0; q1 += v1 * v1
            i &+= 16
        }
        var first = (s0 + s1).sum(), second = (q0 + q1).sum()
        while i < n {
            let v = x[i] - centre
            first += v; second = second.addingProduct(v, v)
            i &+= 1
        }
        return (first, second)
    }

    /// `Σ (x − high − low)` or its squares over at most `chunk` values, in four SIMD8 lanes
    /// (two-pass statistics over segmented groups, `FrameGroupMoments`).
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

    /// `y = (x − mean)·rstd·weight + bias`, then `y / (1 + exp(−y))` when `silu`.
    @inline(__always)
    static func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int,
                          moments m: GroupMoments, weight: Float, bias: Float, silu: Bool) {
        // (x − high − low)·scale + bias, with the mean's low part folded into the offset:
        // x − high is exact or nearly so, and low·scale is below one rounding of it.
        let scale = m.rstd * weight, high = m.high, offset = mulAdd(-m.low, scale, bias)
        var i = 0
        if silu {
            while i < n {
                y[i] = SiLU()(mulAdd(x[i] - high, scale, offset))
                i &+= 1
            }
        } else {
            while i < n { y[i] = mulAdd(x[i] - high, scale, offset); i &+= 1 }
        }
    }
}
