// Reference: torch.nn.functional.conv3d with a (kT, 1, 1) kernel, unit stride and dilation and
// padding (p, 0, 0): the temporal convolution of diffusers' TemporalConvLayer
// (diffusers/models/resnet.py) and of factorised (2+1)-D video networks.

/// `torch.nn.functional.conv3d(x, weight, bias, padding=(padding, 0, 0))` for a kernel that spans
/// only time, `weight [O, C, kT, 1, 1]`.
///
/// A (kT, 1, 1) convolution is a sum of `kT` matrix products over frames shifted by one another:
/// for each video, `out[:, f] = bias + Σ_k W_k · x[:, f + k − padding]`, where `x[b]` is the
/// matrix `[C, F·H·W]` and a shift by one frame is a shift by `H·W` columns. Each tap is therefore
/// one OpenBLAS `sgemm` over every frame at once (`[O, C] × [C, F'·H·W]`), with no im2col copy.
///
/// - Parameters:
///   - x: `[B, C, F, H, W]` (channel-first video).
///   - weight: `[O, C, kT, 1, 1]`.
///   - bias: `[O]` or nil.
///   - padding: zero frames added before and after (≥ 0).
/// - Returns: `[B, O, F + 2·padding − kT + 1, H, W]`.
public func temporalConvolution(_ x: Tensor, weight: Tensor, bias: Tensor?, padding: Int) -> Tensor {
    precondition(x.rank == 5, "temporal_conv: input \(x.shape) must be [B, C, F, H, W]")
    let (b, c, f, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
    precondition(weight.rank == 5 && weight.shape[1] == c && weight.shape[3] == 1 && weight.shape[4] == 1,
                 "temporal_conv: weight \(weight.shape) must be [O, \(c), kT, 1, 1] for input \(x.shape)")
    let (o, k) = (weight.shape[0], weight.shape[2])
    if let bias { precondition(bias.shape == [o], "temporal_conv: bias \(bias.shape) must be [\(o)]") }
    precondition(padding >= 0 && k >= 1, "temporal_conv: padding \(padding) must be ≥ 0")
    let framesOut = f + 2 * padding - k + 1
    precondition(framesOut > 0, "temporal_conv: input \(x.shape) with weight \(weight.shape) gives no frames")
    let pixels = h * w
    let taps = packTaps(weight)                                                   // [kT, O, C]
    return Tensor(shape: [b, o, framesOut, h, w]) { out in
        guard out.count > 0 else { return }
        let po = out.baseAddress!
        let inStride = c * f * pixels, outStride = o * framesOut * pixels         // per video
        for bi in 0..<b {
            let dst = po + bi * outStride                                          // [O, F'·P]
            if let bias {
                for r in 0..<o { (dst + r * framesOut * pixels).update(repeating: bias.scalars[r], count: framesOut * pixels) }
            } else {
                dst.update(repeating: 0, count: outStride)
            }
        }
        guard c > 0, pixels > 0 else { return }
        x.scalars.withUnsafeBufferPointer { px in
            taps.withUnsafeBufferPointer { pw in
                for bi in 0..<b {
                    let src = px.baseAddress! + bi * inStride, dst = po + bi * outStride
                    for tap in 0..<k {
                        // Output frames whose input frame fo + tap − padding lies inside the clip.
                        let first = max(0, padding - tap), last = min(framesOut, f + padding - tap)
                        guard first < last else { continue }
                        sgemm(transposeA: false, transposeB: false, m: o, n: (last - first) * pixels, k: c, alpha: 1,
                              a: pw.baseAddress! + tap * o * c, lda: c,
                              b: src + (first + tap - padding) * pixels, ldb: f * pixels,
                              beta: 1, c: dst + first * pixels, ldc: framesOut * pixels)
                    }
                }
            }
        }
    }
}

/// `weight [O, C, kT, 1, 1]` as `kT` contiguous matrices `[O, C]`.
private func packTaps(_ weight: Tensor) -> [Float] {
    let (o, c, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
    return [Float](unsafeUninitializedCapacity: k * o * c) { buffer, count in
        weight.scalars.withUnsafeBufferPointer { pw in
            for tap in 0..<k {
                for r in 0..<o {
                    let dst = buffer.baseAddress! + (tap * o + r) * c, src = pw.baseAddress! + r * c * k + tap
                    for ch in 0..<c { dst[ch] = src[ch * k] }
                }
            }
        }
        count = k * o * c
    }
}
