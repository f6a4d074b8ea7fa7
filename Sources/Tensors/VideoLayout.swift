// Reference: the layout moves of diffusers' video layers — UNet3DConditionModel.forward's
// `sample.permute(0, 2, 1, 3, 4).reshape(B·F, C, H, W)` and back, and TransformerTemporalModel.forward
// (diffusers/models/transformers/transformer_temporal.py): GroupNorm over `[B, C, F, H, W]`, then
// `permute(0, 3, 4, 2, 1).reshape(B·H·W, F, C)`, and after the blocks the inverse permute plus the residual.

// A video network keeps its activations frame-major, `[B·F, C, H, W]`, so that every 2-D layer
// (ResNet, spatial transformer, resampling) runs on B·F images without a copy. Only the temporal
// layers need another layout; the kernels below reach it in one pass.

extension Tensor {
    /// `[B·F, C, H, W]` (frame-major) → `[B, C, F, H, W]` (channel-first):
    /// `x.reshape(B, F, C, H, W).permute(0, 2, 1, 3, 4)`, copying whole `H·W` rows.
    public func framesToChannelFirst(frames: Int) -> Tensor {
        precondition(rank == 4 && frames > 0 && shape[0] % frames == 0,
                     "frames_to_channel_first: \(shape) is not [B·F, C, H, W] with F = \(frames)")
        let (b, c, h, w) = (shape[0] / frames, shape[1], shape[2], shape[3])
        return reshaped([b, frames, c, h, w]).permuted([0, 2, 1, 3, 4])                  // [B, C, F, H, W]
    }

    /// `[B, C, F, H, W]` (channel-first) → `[B·F, C, H, W]` (frame-major):
    /// `x.permute(0, 2, 1, 3, 4).reshape(B·F, C, H, W)`, copying whole `H·W` rows.
    public func channelFirstToFrames() -> Tensor {
        precondition(rank == 5, "channel_first_to_frames: \(shape) is not [B, C, F, H, W]")
        let (b, c, f, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        return permuted([0, 2, 1, 3, 4]).reshaped([b * f, c, h, w])                       // [B·F, C, H, W]
    }
}

/// GroupNorm over each video and the move to per-pixel frame sequences, in one pass:
/// `group_norm(x.reshape(B, F, C, H, W).permute(0, 2, 1, 3, 4), groups, weight, bias, eps)
/// .permute(0, 3, 4, 2, 1).reshape(B·H·W, F, C)` — the input side of diffusers'
/// `TransformerTemporalModel`.
///
/// The statistics of a group span all the frames of its video (as for `[B, C, F, H, W]`), and are
/// computed like `groupNorm`'s: two passes, float lanes summed in Double.
///
/// - Parameters:
///   - x: frame-major `[B·F, C, H, W]`.
///   - frames: `F`.
///   - weight, bias: `[C]` or nil.
/// - Returns: `[B·H·W, F, C]`: one sequence of `F` tokens per pixel of each video.
public func temporalGroupNormTokens(_ x: Tensor, frames: Int, groups: Int, weight: Tensor?, bias: Tensor?,
                                    eps: Float) -> Tensor {
    precondition(x.rank == 4 && frames > 0 && x.shape[0] % frames == 0,
                 "temporal_tokens: input \(x.shape) is not [B·F, C, H, W] with F = \(frames)")
    let (b, c, p) = (x.shape[0] / frames, x.shape[1], x.shape[2] * x.shape[3])
    precondition(groups >= 1 && c % groups == 0, "temporal_tokens: \(c) channels are not divisible into \(groups) groups")
    if let weight { precondition(weight.shape == [c], "temporal_tokens: weight \(weight.shape) must be [\(c)]") }
    if let bias { precondition(bias.shape == [c], "temporal_tokens: bias \(bias.shape) must be [\(c)]") }
    let perGroup = c / groups
    return Tensor(shape: [b * p, frames, c]) { out in
        guard out.count > 0 else { return }
        x.scalars.withUnsafeBufferPointer { px in
            let src = px.baseAddress!
            // Per (video, group): the mean as high + low and 1/sqrt(var + eps).
            let moments = [FrameGroupMoments](unsafeUninitializedCapacity: b * groups) { buffer, initialized in
                let base = buffer.baseAddress!
                Parallel.forEachChunk(b * groups, minimumPerThread: max(1, 16384 / max(1, frames * perGroup * p))) { range in
                    for task in range {
                        let (bi, g) = (task / groups, task % groups)
                        let segments = (0..<frames).map { fi in src + ((bi * frames + fi) * c + g * perGroup) * p }
                        (base + task).initialize(to: FrameGroupMoments(segments, length: perGroup * p, eps: eps))
                    }
                }
                initialized = b * groups
            }
            // Scale and shift per (video, channel): y = ((x − high) − low)·scale + shift.
            var scale = [Float](repeating: 0, count: b * c), shift = [Float](repeating: 0, count: b * c)
            for bi in 0..<b {
                for ch in 0..<c {
                    let m = moments[bi * groups + ch / perGroup]
                    scale[bi * c + ch] = m.rstd * (weight?.scalars[ch] ?? 1)
                    shift[bi * c + ch] = bias?.scalars[ch] ?? 0
                }
            }
            let dst = out.baseAddress!
            scale.withUnsafeBufferPointer { ps in
                shift.withUnsafeBufferPointer { pb in
                    // Task (video, frame, channel tile): a [tile, P] block read row by row, written as
                    // P rows of `tile` values with a stride of F·C.
                    let tile = 16, tiles = (c + tile - 1) / tile
                    Parallel.forEachChunk(b * frames * tiles, minimumPerThread: max(1, 8192 / max(1, tile * p))) { range in
                        for task in range {
                            let (bf, t) = (task / tiles, task % tiles)
                            let (bi, fi) = (bf / frames, bf % frames)
                            let c0 = t * tile, c1 = min(c, c0 + tile)
                            for ch in c0..<c1 {
                                let row = src + (bf * c + ch) * p
                                let m = moments[bi * groups + ch / perGroup]
                                let (high, low) = (m.high, m.low)
                                let (sc, sh) = (ps[bi * c + ch], pb[bi * c + ch])
                                var o = dst + (bi * p * frames + fi) * c + ch
                                let step = frames * c
                                for j in 0..<p {
                                    o.pointee = ((row[j] - high) - low) * sc + sh
                                    o += step
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The output side of diffusers' `TransformerTemporalModel`: per-pixel frame sequences back to
/// frame-major images, plus the residual, in one pass:
/// `tokens.reshape(B, H, W, F, C).permute(0, 3, 4, 1, 2).reshape(B·F, C, H, W) + residual`.
///
/// - Parameters:
///   - tokens: `[B·H·W, F, C]`.
///   - residual: frame-major `[B·F, C, H, W]`.
/// - Returns: `[B·F, C, H, W]`.
public func temporalTokensToFrames(_ tokens: Tensor, adding residual: Tensor) -> Tensor {
    precondition(residual.rank == 4 && tokens.rank == 3, "temporal_tokens: tokens \(tokens.shape), residual \(residual.shape)")
    let (frames, c, p) = (tokens.shape[1], residual.shape[1], residual.shape[2] * residual.shape[3])
    precondition(frames > 0 && residual.shape[0] % frames == 0 && tokens.shape == [residual.shape[0] / frames * p, frames, c],
                 "temporal_tokens: tokens \(tokens.shape) do not match frames of \(residual.shape)")
    let b = residual.shape[0] / frames
    return Tensor(shape: residual.shape) { out in
        guard out.count > 0 else { return }
        tokens.scalars.withUnsafeBufferPointer { pt in
            residual.scalars.withUnsafeBufferPointer { pr in
                let (src, res, dst) = (pt.baseAddress!, pr.baseAddress!, out.baseAddress!)
                let tile = 16, tiles = (c + tile - 1) / tile
                Parallel.forEachChunk(b * frames * tiles, minimumPerThread: max(1, 8192 / max(1, tile * p))) { range in
                    for task in range {
                        let (bf, t) = (task / tiles, task % tiles)
                        let (bi, fi) = (bf / frames, bf % frames)
                        let c0 = t * tile, c1 = min(c, c0 + tile)
                        let step = frames * c
                        for ch in c0..<c1 {
                            let offset = (bf * c + ch) * p
                            let r = res + offset, o = dst + offset
                            var s = src + (bi * p * frames + fi) * c + ch
                            for j in 0..<p {
                                o[j] = r[j] + s.pointee
                                s += step
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Mean (as `high + low`, so that `x − mean` loses nothing when the mean is large against the
/// spread) and `1 / sqrt(variance + eps)` of one group spread over several segments (one per frame).
struct FrameGroupMoments {
    let high: Float
    let low: Float
    let rstd: Float

    /// Values summed in float lanes before the partial sum joins the Double total.
    static let chunk = 2048

    /// Two passes over the concatenation of `segments`, each `length` values long: the mean of
    /// `x − x[0]`, then the biased variance around that mean; partial sums meet in Double.
    init(_ segments: [UnsafePointer<Float>], length: Int, eps: Float) {
        let count = segments.count * length
        let origin = segments[0][0]
        func total(high: Float, low: Float, squared: Bool) -> Double {
            var sum = 0.0
            for segment in segments {
                var start = 0
                while start < length {
                    let n = Swift.min(Self.chunk, length - start)
                    sum += Double(Self.chunkSum(segment + start, count: n, high: high, low: low, squared: squared))
                    start += n
                }
            }
            return sum
        }
        let mean = Double(origin) + total(high: origin, low: 0, squared: false) / Double(count)
        high = Float(mean)
        low = Float(mean - Double(high))
        let variance = Float(total(high: high, low: low, squared: true) / Double(count))
        rstd = 1 / (variance + eps).squareRoot()
    }

    /// `Σ (x − high − low)` or its squares over `n` values, in two SIMD8 lanes.
    @inline(__always)
    static func chunkSum(_ x: UnsafePointer<Float>, count n: Int, high: Float, low: Float, squared: Bool) -> Float {
        let h = SIMD8<Float>(repeating: high), l = SIMD8<Float>(repeating: low)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 16 <= n {
            let v0 = (raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - h) - l
            let v1 = (raw.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self) - h) - l
            if squared { a0 += v0 * v0; a1 += v1 * v1 } else { a0 += v0; a1 += v1 }
            i &+= 16
        }
        var total = (a0 + a1).sum()
        while i < n {
            let v = (x[i] - high) - low
            total += squared ? v * v : v
            i &+= 1
        }
        return total
    }
}
