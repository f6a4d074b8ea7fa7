// Resizing and pooling of [N, C, spatial…] tensors.
// Reference: torch.nn.functional.interpolate (aten/src/ATen/native/UpSample.h and
// cpu/UpSampleKernel.cpp: float index math, source-index clamping), avg_pool1d / avg_pool2d.

/// The `mode` of torch.nn.functional.interpolate.
public enum InterpolationMode: Sendable, Equatable {
    /// `'nearest'`: source index `floor(dst · scale)` (PyTorch's legacy nearest rule).
    case nearest
    /// `'nearest-exact'`: source index `floor((dst + 0.5) · scale)`.
    case nearestExact
    /// `'linear'` (3-D input [N, C, L]).
    case linear
    /// `'bilinear'` (4-D input [N, C, H, W]).
    case bilinear
    /// `'trilinear'` (5-D input [N, C, D, H, W]).
    case trilinear
}

/// torch.nn.functional.interpolate(x, size=size, mode=mode, align_corners=alignCorners) for
/// [N, C, L], [N, C, H, W] and [N, C, D, H, W] inputs. `alignCorners` applies to the linear modes.
public func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false) -> Tensor {
    precondition(x.rank >= 3 && size.count == x.rank - 2 && size.allSatisfy { $0 > 0 },
                 "interpolate: size \(size) does not fit input shape \(x.shape) ([N, C, spatial…])")
    return resample(x, size: size, scales: Array(repeating: nil, count: size.count), mode: mode,
                    alignCorners: alignCorners)
}

/// torch.nn.functional.interpolate(x, scale_factor=scaleFactors, mode=mode,
/// align_corners=alignCorners) with `recompute_scale_factor=None`: the output size is
/// `floor(size · factor)` and, as in PyTorch, the factors themselves (not the size ratio)
/// map output to input coordinates when `alignCorners` is false.
public func interpolate(_ x: Tensor, scaleFactors: [Double], mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false) -> Tensor {
    precondition(x.rank >= 3 && scaleFactors.count == x.rank - 2 && scaleFactors.allSatisfy { $0 > 0 },
                 "interpolate: scale factors \(scaleFactors) do not fit input shape \(x.shape) ([N, C, spatial…])")
    let size = zip(x.shape.dropFirst(2), scaleFactors).map { Int((Double($0) * $1).rounded(.down)) }
    precondition(size.allSatisfy { $0 > 0 }, "interpolate: scale factors \(scaleFactors) give empty output from \(x.shape)")
    return resample(x, size: size, scales: scaleFactors, mode: mode, alignCorners: alignCorners)
}

/// torch.nn.functional.interpolate(x, scale_factor=scaleFactor, …) with the same factor for
/// every spatial dimension (diffusers' Upsample2D uses `scale_factor=2.0, mode="nearest"`).
public func interpolate(_ x: Tensor, scaleFactor: Double, mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false) -> Tensor {
    interpolate(x, scaleFactors: Array(repeating: scaleFactor, count: Swift.max(x.rank - 2, 0)), mode: mode,
                alignCorners: alignCorners)
}

/// PyTorch's `compute_scales_value<float>`: `1 / scale` when a factor was given, else in/out.
private func scaleValue(_ scale: Double?, _ input: Int, _ output: Int) -> Float {
    if let scale, scale > 0 { return Float(1.0 / scale) }
    return Float(input) / Float(output)
}

private func resample(_ x: Tensor, size: [Int], scales: [Double?], mode: InterpolationMode,
                      alignCorners: Bool) -> Tensor {
    let spatial = x.rank - 2
    let inSize = Array(x.shape.dropFirst(2))
    switch mode {
    case .nearest, .nearestExact:
        precondition(!alignCorners, "interpolate: alignCorners is only for the linear modes (input \(x.shape))")
        if mode == .nearest, let fast = upsampleNearestTwice(x, size: size) { return fast }
        var maps = x.shape.prefix(2).map { Array(0..<$0) }
        for d in 0..<spatial {
            let n = inSize[d], m = size[d]
            let scale = scaleValue(scales[d], n, m)
            maps.append((0..<m).map { o in
                if mode == .nearest {
                    if m == n { return o }
                    if m == 2 * n { return o >> 1 }
                    return Swift.min(Int((Float(o) * scale).rounded(.down)), n - 1)
                }
                return Swift.min(Int(((Float(o) + 0.5) * scale).rounded(.down)), n - 1)
            })
        }
        return gather(x, shape: Array(x.shape.prefix(2)) + size, maps: maps, fill: 0)
    case .linear, .bilinear, .trilinear:
        let expected = mode == .linear ? 1 : (mode == .bilinear ? 2 : 3)
        precondition(spatial == expected, "interpolate: mode \(mode) needs \(expected + 2)-D input, got \(x.shape)")
        var y = x
        for d in stride(from: spatial - 1, through: 0, by: -1) where size[d] != inSize[d] {
            y = linearResample(y, axis: d + 2, size: size[d], scale: scales[d], alignCorners: alignCorners)
        }
        return y
    }
}

/// Linear interpolation along one axis: `out[j] = λ₀ x[i₀] + λ₁ x[i₁]` with PyTorch's
/// `area_pixel_compute_source_index` and `guard_index_and_lambda` in Float.
private func linearResample(_ x: Tensor, axis: Int, size m: Int, scale: Double?, alignCorners: Bool) -> Tensor {
    let (outer, n, inner) = axisGeometry(x.shape, axis)
    let ratio: Float = alignCorners ? (m > 1 ? Float(n - 1) / Float(m - 1) : 0) : scaleValue(scale, n, m)
    var index0 = [Int](repeating: 0, count: m), index1 = index0
    var lambda0 = [Float](repeating: 0, count: m), lambda1 = lambda0
    for j in 0..<m {
        let real = alignCorners ? ratio * Float(j) : Swift.max(ratio * (Float(j) + 0.5) - 0.5, 0)
        let i = Swift.min(Int(real.rounded(.down)), n - 1)
        let l1 = Swift.min(Swift.max(real - Float(i), 0), 1)
        index0[j] = i
        index1[j] = i + (i < n - 1 ? 1 : 0)
        lambda1[j] = l1
        lambda0[j] = 1 - l1
    }
    var outShape = x.shape
    outShape[axis] = m
    return Tensor(shape: outShape) { out in
        guard out.count > 0 else { return }
        x.scalars.withUnsafeBufferPointer { src in
            let ps = src.baseAddress!, po = out.baseAddress!
            Parallel.forEachChunk(outer, minimumPerThread: Swift.max(1, 16_384 / (m &* inner))) { range in
                for o in range {
                    let s = ps + o &* n &* inner, d = po + o &* m &* inner
                    if inner == 1 {
                        for j in 0..<m { d[j] = lambda0[j] * s[index0[j]] + lambda1[j] * s[index1[j]] }
                        continue
                    }
                    for j in 0..<m {
                        let a = s + index0[j] &* inner, b = s + index1[j] &* inner, dst = d + j &* inner
                        let l0 = lambda0[j], l1 = lambda1[j]
                        for k in 0..<inner { dst[k] = l0 * a[k] + l1 * b[k] }
                    }
                }
            }
        }
    }
}

/// Nearest ×2 on the last two dimensions (other spatial dimensions unchanged): each input
/// row is written twice widened. Returns nil when the sizes do not have that form.
private func upsampleNearestTwice(_ x: Tensor, size: [Int]) -> Tensor? {
    let spatial = x.rank - 2
    guard spatial >= 2 else { return nil }
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    guard size[spatial - 2] == 2 * h, size[spatial - 1] == 2 * w,
          zip(size.dropLast(2), x.shape.dropFirst(2).dropLast(2)).allSatisfy({ $0 == $1 }) else { return nil }
    let planes = x.count / Swift.max(h * w, 1)
    return Tensor(shape: Array(x.shape.prefix(2)) + size) { out in
        guard out.count > 0 else { return }
        x.scalars.withUnsafeBufferPointer { src in
            let ps = src.baseAddress!, po = out.baseAddress!
            Parallel.forEachChunk(planes &* h, minimumPerThread: Swift.max(1, 8192 / w)) { range in
                for row in range {
                    let s = ps + row &* w, d = po + row &* 4 &* w
                    for j in 0..<w { d[2 &* j] = s[j]; d[2 &* j &+ 1] = s[j] }
                    (d + 2 &* w).update(from: d, count: 2 &* w)
                }
            }
        }
    }
}

/// torch.nn.functional.avg_pool1d(x, kernel_size, stride) without padding on [..., L]
/// (diffusers' Downsample1D without convolution uses kernel = stride).
public func avgPool1d(_ x: Tensor, kernelSize: Int, stride: Int? = nil) -> Tensor {
    precondition(x.rank >= 2, "avgPool1d: input \(x.shape) must be [N, C, L] or [C, L]")
    let y = avgPool2d(x.unsqueezed(axis: -2), kernelSize: [1, kernelSize], stride: [1, stride ?? kernelSize])
    return y.squeezed(axis: -2)
}

/// torch.nn.functional.avg_pool2d(x, kernel_size, stride) without padding on [..., H, W]
/// (diffusers' Downsample2D without convolution uses kernel = stride = 2). `stride` defaults
/// to the kernel size, as in PyTorch.
public func avgPool2d(_ x: Tensor, kernelSize: [Int], stride: [Int]? = nil) -> Tensor {
    let stride = stride ?? kernelSize
    precondition(x.rank >= 3 && kernelSize.count == 2 && stride.count == 2
                 && kernelSize.allSatisfy { $0 > 0 } && stride.allSatisfy { $0 > 0 },
                 "avgPool2d: input \(x.shape) must be [N, C, H, W] or [C, H, W], kernel \(kernelSize) and stride \(stride) positive pairs")
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    let kh = kernelSize[0], kw = kernelSize[1], sh = stride[0], sw = stride[1]
    precondition(h >= kh && w >= kw, "avgPool2d: kernel \(kernelSize) larger than input \(x.shape)")
    let oh = (h - kh) / sh + 1, ow = (w - kw) / sw + 1
    let planes = x.count / Swift.max(h * w, 1)
    let divisor = Float(kh * kw)
    return Tensor(shape: Array(x.shape.dropLast(2)) + [oh, ow]) { out in
        guard out.count > 0 else { return }
        x.scalars.withUnsafeBufferPointer { src in
            let ps = src.baseAddress!, po = out.baseAddress!
            Parallel.forEachChunk(planes &* oh, minimumPerThread: Swift.max(1, 4096 / (ow &* kh &* kw))) { range in
                for row in range {
                    let plane = row / oh, i = row % oh
                    let offset = (plane &* h &+ i &* sh) &* w
                    let s = ps + offset, d = po + row &* ow
                    for j in 0..<ow {
                        var sum: Float = 0
                        for a in 0..<kh {
                            let line = s + (a &* w &+ j &* sw)
                            for b in 0..<kw { sum += line[b] }
                        }
                        d[j] = sum / divisor
                    }
                }
            }
        }
    }
}
