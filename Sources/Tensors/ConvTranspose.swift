// Reference: torch.nn.functional.conv_transpose1d / conv_transpose2d (aten::convolution with
// transposed=True): the gradient of a convolution with respect to its input. Computed as one
// GEMM per group, Wᵀ·x → columns, then col2im scatters the columns into the output.

/// Transposed convolution matching `torch.nn.functional.conv_transpose1d` and
/// `conv_transpose2d` (3-d inputs run the same code but have no parity fixture yet).
///
/// - Parameters:
///   - x: input `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`.
///   - weight: `[C, O / groups, k...]` (torch's `ConvTranspose` layout: input channels first).
///   - bias: `[O]` or nil.
///   - stride, padding, outputPadding, dilation: one value per spatial dimension or a single
///     value for all; `outputPadding` must be smaller than the stride or the dilation.
/// - Returns: `[N, O, out...]` with
///   `out = (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`.
public func convolutionTranspose(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int],
                                 outputPadding: [Int], dilation: [Int], groups: Int) -> Tensor {
    convolutionTranspose(x, weight: weight, bias: bias, stride: stride, padding: padding,
                         outputPadding: outputPadding, dilation: dilation, groups: groups, tileColumns: nil)
}

/// `convolutionTranspose` with a forced number of input positions per column tile (for tests).
func convolutionTranspose(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int],
                          outputPadding: [Int], dilation: [Int], groups: Int, tileColumns: Int?) -> Tensor {
    let g = ConvGeometry(input: x.shape, weight: weight.shape, bias: bias?.shape, stride: stride,
                         padding: padding, dilation: dilation, groups: groups, transposed: true,
                         outputPadding: outputPadding)
    return Tensor(shape: [g.batch, g.outChannels] + Array(g.output.suffix(g.spatialRank))) { out in
        x.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
                (bias?.scalars ?? []).withUnsafeBufferPointer { pb in
                    ConvTransposeKernel.forward(g, x: px.baseAddress!, weight: pw.baseAddress!,
                                                bias: bias == nil ? nil : pb.baseAddress!, out: out.baseAddress!,
                                                tile: tileColumns)
                }
            }
        }
    }
}

/// 1-d transposed convolution, `torch.nn.functional.conv_transpose1d`: x `[N, C, L]`,
/// weight `[C, O / groups, k]` (HiFi-GAN's upsampler is `ConvTranspose1d(k = 2·u, stride = u,
/// padding = u / 2)`).
public func convTranspose1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
    convolutionTranspose(x, weight: weight, bias: bias, stride: [stride], padding: [padding],
                         outputPadding: [outputPadding], dilation: [dilation], groups: groups)
}

/// 2-d transposed convolution, `torch.nn.functional.conv_transpose2d`: x `[N, C, H, W]`,
/// weight `[C, O / groups, kH, kW]`; parameters are `[h, w]` (or one value for both).
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1],
                            padding: [Int] = [0, 0], outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1],
                            groups: Int = 1) -> Tensor {
    convolutionTranspose(x, weight: weight, bias: bias, stride: stride, padding: padding,
                         outputPadding: outputPadding, dilation: dilation, groups: groups)
}

enum ConvTransposeKernel {
    /// Upper bound on the floats of one column tile (16 MiB), at least 256 input positions.
    static let tileBudget = 1 << 22

    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, tile forcedTile: Int?) {
        let inPixels = g.inPixels, outPixels = g.outPixels
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        let groupRows = og * g.kernelSize                          // M of each group's GEMM
        let rows = g.outChannels * g.kernelSize
        for o in 0..<(g.batch * g.outChannels) {
            (out + o * outPixels).update(repeating: bias?[o % g.outChannels] ?? 0, count: outPixels)
        }
        guard inPixels > 0, cg > 0 else { return }
        let tile = min(inPixels, forcedTile ?? max(256, tileBudget / max(1, rows)))
        let col = UnsafeMutablePointer<Float>.allocate(capacity: rows * tile)   // [O·k, tile]
        defer { col.deallocate() }
        for n in 0..<g.batch {
            var p0 = 0
            while p0 < inPixels {
                let width = min(tile, inPixels - p0)
                for gi in 0..<g.groups {
                    // [O/g·k, width] = W_gᵀ [O/g·k, C/g] · x_g [C/g, width]
                    sgemm(transposeA: true, transposeB: false, m: groupRows, n: width, k: cg, alpha: 1,
                          a: weight + gi * cg * groupRows, lda: groupRows,
                          b: x + (n * g.inChannels + gi * cg) * inPixels + p0, ldb: inPixels,
                          beta: 0, c: col + gi * groupRows * width, ldc: width)
                }
                let dst = out + n * g.outChannels * outPixels
                Parallel.forEachChunk(g.outChannels, minimumPerThread: max(1, 16384 / (g.kernelSize * width))) { range in
                    for o in range {
                        for k in 0..<g.kernelSize {
                            col2imRow(g, column: col + (o * g.kernelSize + k) * width, kernelIndex: k,
                                      positions: p0..<(p0 + width), dst: dst + o * outPixels)
                        }
                    }
                }
                p0 += width
            }
        }
    }

    /// Adds one column row (kernel offset `kernelIndex`, input positions `positions` of one image)
    /// into the output channel `dst [OD, OH, OW]`.
    @inline(__always)
    static func col2imRow(_ g: ConvGeometry, column: UnsafePointer<Float>, kernelIndex k: Int,
                          positions: Range<Int>, dst: UnsafeMutablePointer<Float>) {
        let (ih0, iw0) = (g.input[1], g.input[2])
        let (od0, oh0, ow0) = (g.output[0], g.output[1], g.output[2])
        let (kh0, kw0) = (g.kernel[1], g.kernel[2])
        let kd = k / (kh0 * kw0), kh = (k / kw0) % kh0, kw = k % kw0
        let offD = kd * g.dilation[0] - g.padding[0]
        let offH = kh * g.dilation[1] - g.padding[1]
        let offW = kw * g.dilation[2] - g.padding[2]
        let sw = g.stride[2]
        // Input columns iw in [iwLo, iwHi) land inside the output row: 0 ≤ iw·sw + offW < OW.
        let iwLo = offW >= 0 ? 0 : min(iw0, (-offW + sw - 1) / sw)
        let iwHi = ow0 - offW <= 0 ? 0 : min(iw0, (ow0 - 1 - offW) / sw + 1)
        let planeIn = ih0 * iw0
        var p = positions.lowerBound
        var id = p / planeIn
        var ih = (p - id * planeIn) / iw0
        var iw = p - id * planeIn - ih * iw0
        var t = 0
        while p < positions.upperBound {
            let run = min(iw0 - iw, positions.upperBound - p)
            let od = id * g.stride[0] + offD, oh = ih * g.stride[1] + offH
            if od >= 0 && od < od0 && oh >= 0 && oh < oh0 {
                let row = dst + (od * oh0 + oh) * ow0
                let src = column + t - iw
                let lo = max(iw, iwLo), hi = min(iw + run, iwHi)
                var i = lo
                if sw == 1 {
                    while i < hi { row[i &+ offW] += src[i]; i &+= 1 }
                } else {
                    while i < hi { row[i &* sw &+ offW] += src[i]; i &+= 1 }
                }
            }
            p += run
            t += run
            iw += run
            if iw == iw0 {
                iw = 0
                ih += 1
                if ih == ih0 { ih = 0; id += 1 }
            }
        }
    }
}
