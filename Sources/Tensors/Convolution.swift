// Reference: torch.nn.functional.conv1d / conv2d / conv3d (aten::convolution), cross-correlation
// with symmetric zero padding. One implementation serves 1, 2 and 3 spatial dimensions.

/// N-d convolution matching `torch.nn.functional.conv1d`, `conv2d` and `conv3d`.
///
/// - Parameters:
///   - x: input `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`.
///   - weight: `[O, C / groups, k...]` with one kernel size per spatial dimension.
///   - bias: `[O]` or nil.
///   - stride, padding, dilation: one value per spatial dimension, or a single value for all
///     (torch's `stride=`, symmetric `padding=`, `dilation=`).
///   - groups: `C` and `O` must both be divisible by it (`groups == C` is depthwise).
/// - Returns: `[N, O, out...]` with `out = (in + 2·padding − dilation·(k − 1) − 1) / stride + 1`.
///
/// Computed as im2col over tiles of output positions followed by OpenBLAS `sgemm` per group;
/// 1×1 convolutions with unit stride and no padding skip im2col (a plain matrix product), and
/// 3×3 convolutions with unit stride and enough channels use Winograd F(4×4, 3×3) or F(2×2, 3×3).
public func convolution(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int],
                        dilation: [Int], groups: Int) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                groups: groups, tileColumns: nil)
}

/// `convolution` with a forced number of output positions per im2col tile (tests use it to
/// reach tiles that split images and tiles that span images), or, with `winograd`, that Winograd
/// variant wherever it applies, with `chunk` tiles per chunk.
func convolution(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int],
                 dilation: [Int], groups: Int, tileColumns: Int?,
                 winograd: (tile: WinogradTile, chunk: Int)? = nil) -> Tensor {
    let g = ConvGeometry(input: x.shape, weight: weight.shape, bias: bias?.shape, stride: stride,
                         padding: padding, dilation: dilation, groups: groups, transposed: false,
                         outputPadding: [0])
    return Tensor(shape: [g.batch, g.outChannels] + Array(g.output.suffix(g.spatialRank))) { out in
        x.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
                if let bias {
                    bias.scalars.withUnsafeBufferPointer { pb in
                        ConvolutionKernel.forward(g, x: px.baseAddress!, weight: pw.baseAddress!,
                                                  bias: pb.baseAddress!, out: out.baseAddress!, tile: tileColumns,
                                                  winograd: winograd)
                    }
                } else {
                    ConvolutionKernel.forward(g, x: px.baseAddress!, weight: pw.baseAddress!,
                                              bias: nil, out: out.baseAddress!, tile: tileColumns,
                                              winograd: winograd)
                }
            }
        }
    }
}

/// 1-d convolution, `torch.nn.functional.conv1d`: x `[N, C, L]`, weight `[O, C / groups, k]`.
public func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: [stride], padding: [padding],
                dilation: [dilation], groups: groups)
}

/// 2-d convolution, `torch.nn.functional.conv2d`: x `[N, C, H, W]`, weight `[O, C / groups, kH, kW]`;
/// `stride`, `padding` and `dilation` are `[h, w]` (or one value for both).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1],
                   padding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: stride, padding: padding,
                dilation: dilation, groups: groups)
}

/// 3-d convolution, `torch.nn.functional.conv3d`: x `[N, C, D, H, W]`,
/// weight `[O, C / groups, kD, kH, kW]`; `stride`, `padding` and `dilation` are `[d, h, w]`
/// (or one value for all three).
public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1, 1],
                   padding: [Int] = [0, 0, 0], dilation: [Int] = [1, 1, 1], groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: stride, padding: padding,
                dilation: dilation, groups: groups)
}

/// The im2col + GEMM forward pass on raw pointers.
enum ConvolutionKernel {
    /// Upper bound on the floats of one im2col tile (16 MiB): columns per tile are chosen so
    /// that `rows × columns` stays below it, with at least `minimumTileColumns` columns.
    static let tileBudget = 1 << 22
    /// Fewer output positions per tile than this makes the GEMM inefficient.
    static let minimumTileColumns = 256

    static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, tile forcedTile: Int?,
                        winograd: (tile: WinogradTile, chunk: Int)? = nil) {
        let pixels = g.outPixels
        let total = g.batch * pixels
        guard total > 0, g.outChannels > 0 else { return }
        if let winograd, WinogradConvolution.applies(g) {
            WinogradConvolution.forward(g, x: x, weight: weight, bias: bias, out: out, tile: winograd.tile,
                                        chunk: winograd.chunk)
            return
        }
        if winograd == nil, forcedTile == nil, let tile = WinogradConvolution.choice(g) {
            WinogradConvolution.forward(g, x: x, weight: weight, bias: bias, out: out, tile: tile, chunk: nil)
            return
        }
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        let groupRows = cg * g.kernelSize                    // K of each group's GEMM
        if g.isPointwise {
            for n in 0..<g.batch {
                let dst = out + n * g.outChannels * pixels   // [O, P]
                fillBias(bias, dst, rows: g.outChannels, columns: pixels, ld: pixels)
                for gi in 0..<g.groups {
                    sgemm(transposeA: false, transposeB: false, m: og, n: pixels, k: cg, alpha: 1,
                          a: weight + gi * og * cg, b: x + (n * g.inChannels + gi * cg) * pixels,
                          beta: bias == nil ? 0 : 1, c: dst + gi * og * pixels)
                }
            }
            return
        }
        let rows = g.inChannels * g.kernelSize
        let tile = min(total, forcedTile ?? max(minimumTileColumns, tileBudget / max(1, rows)))
        let col = UnsafeMutablePointer<Float>.allocate(capacity: rows * tile)   // [C·k, tile]
        defer { col.deallocate() }
        var staging: UnsafeMutablePointer<Float>? = nil           // [O, tile], for tiles across images
        defer { staging?.deallocate() }
        var j0 = 0
        while j0 < total {
            let j1 = min(total, j0 + tile), width = j1 - j0
            im2col(g, x: x, columns: j0..<j1, col: col)
            let n0 = j0 / pixels
            let direct = (j1 - 1) / pixels == n0
            let ldc = direct ? pixels : width
            if !direct && staging == nil { staging = .allocate(capacity: g.outChannels * tile) }
            let dst = direct ? out + n0 * g.outChannels * pixels + (j0 - n0 * pixels) : staging!  // [O, width]
            fillBias(bias, dst, rows: g.outChannels, columns: width, ld: ldc)
            for gi in 0..<g.groups {
                sgemm(transposeA: false, transposeB: false, m: og, n: width, k: groupRows, alpha: 1,
                      a: weight + gi * og * groupRows, b: col + gi * groupRows * width,
                      beta: bias == nil ? 0 : 1, c: dst + gi * og * ldc, ldc: ldc)
            }
            if !direct { scatter(dst, columns: j0..<j1, pixels: pixels, channels: g.outChannels, out: out) }
            j0 = j1
        }
    }

    /// Fills `rows` rows of `columns` values (row stride `ld`) with `bias[row]`; nothing without bias.
    static func fillBias(_ bias: UnsafePointer<Float>?, _ dst: UnsafeMutablePointer<Float>,
                         rows: Int, columns: Int, ld: Int) {
        guard let bias else { return }
        for r in 0..<rows { (dst + r &* ld).update(repeating: bias[r], count: columns) }
    }

    /// Copies a staged `[O, width]` block whose columns are flat positions `n·P + p` into
    /// `out [N, O, P]`.
    static func scatter(_ staged: UnsafePointer<Float>, columns: Range<Int>, pixels: Int, channels: Int,
                        out: UnsafeMutablePointer<Float>) {
        let width = columns.count
        var j = columns.lowerBound
        while j < columns.upperBound {
            let n = j / pixels, p = j - n * pixels
            let run = min(pixels - p, columns.upperBound - j)
            for o in 0..<channels {
                (out + (n * channels + o) * pixels + p)
                    .update(from: staged + o * width + (j - columns.lowerBound), count: run)
            }
            j += run
        }
    }

    /// Writes columns `columns` of the im2col matrix into `col [C·kD·kH·kW, columns.count]`:
    /// row `(c, kd, kh, kw)`, column `(n, od, oh, ow)` holds `x[n, c, id, ih, iw]` or 0 in the padding.
    static func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, columns: Range<Int>,
                       col: UnsafeMutablePointer<Float>) {
        let rows = g.inChannels * g.kernelSize
        let width = columns.count
        Parallel.forEachChunk(rows, minimumPerThread: max(1, 16384 / width)) { range in
            for r in range {
                im2colRow(g, x: x, row: r, columns: columns, dst: col + r * width)
            }
        }
    }

    /// One row of the im2col matrix over `columns`.
    @inline(__always)
    static func im2colRow(_ g: ConvGeometry, x: UnsafePointer<Float>, row: Int, columns: Range<Int>,
                          dst: UnsafeMutablePointer<Float>) {
        let (id0, ih0, iw0) = (g.input[0], g.input[1], g.input[2])
        let (od0, oh0, ow0) = (g.output[0], g.output[1], g.output[2])
        let (kh0, kw0) = (g.kernel[1], g.kernel[2])
        let c = row / g.kernelSize
        let k = row - c * g.kernelSize
        let kd = k / (kh0 * kw0), kh = (k / kw0) % kh0, kw = k % kw0
        let offD = kd * g.dilation[0] - g.padding[0]
        let offH = kh * g.dilation[1] - g.padding[1]
        let offW = kw * g.dilation[2] - g.padding[2]
        let sw = g.stride[2]
        // Output columns ow in [owLo, owHi) read inside the input row: 0 ≤ ow·sw + offW < IW.
        let owLo = offW >= 0 ? 0 : min(ow0, (-offW + sw - 1) / sw)
        let owHi = iw0 - offW <= 0 ? 0 : min(ow0, (iw0 - 1 - offW) / sw + 1)
        let planeOut = oh0 * ow0, pixels = od0 * planeOut
        var j = columns.lowerBound
        var n = j / pixels
        var rest = j - n * pixels
        var od = rest / planeOut
        rest -= od * planeOut
        var oh = rest / ow0
        var ow = rest - oh * ow0
        var t = 0
        while j < columns.upperBound {
            let run = min(ow0 - ow, columns.upperBound - j)
            let id = od * g.stride[0] + offD, ih = oh * g.stride[1] + offH
            let out = dst + t
            if id < 0 || id >= id0 || ih < 0 || ih >= ih0 || owLo >= owHi {
                out.update(repeating: 0, count: run)
            } else {
                let src = x + ((n * g.inChannels + c) * id0 + id) * ih0 * iw0 + ih * iw0
                let lo = max(0, min(run, owLo - ow)), hi = max(lo, min(run, owHi - ow))
                if lo > 0 { out.update(repeating: 0, count: lo) }
                if sw == 1 {
                    (out + lo).update(from: src + (ow + lo + offW), count: hi - lo)
                } else {
                    var i = lo
                    while i < hi { out[i] = src[(ow &+ i) &* sw &+ offW]; i &+= 1 }
                }
                if hi < run { (out + hi).update(repeating: 0, count: run - hi) }
            }
            j += run
            t += run
            ow += run
            if ow == ow0 {
                ow = 0
                oh += 1
                if oh == oh0 {
                    oh = 0
                    od += 1
                    if od == od0 { od = 0; n += 1 }
                }
            }
        }
    }
}

/// Sizes of a (transposed) convolution normalised to three spatial dimensions `(D, H, W)`:
/// a 1-d or 2-d problem gets leading size-1 dimensions with unit stride and no padding.
struct ConvGeometry {
    let spatialRank: Int
    let batch: Int
    let inChannels: Int
    let outChannels: Int
    let groups: Int
    let input: [Int]            // [ID, IH, IW]
    let kernel: [Int]           // [KD, KH, KW]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]
    let output: [Int]           // [OD, OH, OW]

    /// Validates shapes and parameters with torch's rules. A convolution's weight is
    /// `[O, C / groups, k...]`; a transposed convolution's is `[C, O / groups, k...]`.
    init(input shape: [Int], weight: [Int], bias: [Int]?, stride: [Int], padding: [Int], dilation: [Int],
         groups: Int, transposed: Bool, outputPadding: [Int]) {
        let op = transposed ? "conv_transpose" : "convolution"
        precondition((3...5).contains(shape.count), "\(op): input must be [N, C, spatial...] with 1–3 spatial dims, got \(shape)")
        let rank = shape.count - 2
        precondition(weight.count == shape.count, "\(op): weight \(weight) does not match input \(shape)")
        precondition(groups >= 1, "\(op): groups must be ≥ 1, got \(groups)")
        func expand(_ v: [Int], _ name: String, fill: Int) -> [Int] {
            precondition(v.count == rank || v.count == 1, "\(op): \(name) \(v) needs 1 or \(rank) values")
            let full = v.count == 1 ? [Int](repeating: v[0], count: rank) : v
            return [Int](repeating: fill, count: 3 - rank) + full
        }
        spatialRank = rank
        batch = shape[0]
        inChannels = shape[1]
        outChannels = transposed ? weight[1] * groups : weight[0]
        self.groups = groups
        self.input = [Int](repeating: 1, count: 3 - rank) + shape.suffix(rank)
        kernel = [Int](repeating: 1, count: 3 - rank) + weight.suffix(rank)
        self.stride = expand(stride, "stride", fill: 1)
        self.padding = expand(padding, "padding", fill: 0)
        self.dilation = expand(dilation, "dilation", fill: 1)
        let outPad = expand(outputPadding, "output_padding", fill: 0)
        let weightChannels = transposed ? weight[0] : weight[1] * groups
        precondition(inChannels % groups == 0 && outChannels % groups == 0 && weightChannels == inChannels,
                     "\(op): input \(shape) with weight \(weight) and groups \(groups): channels do not match")
        if let bias { precondition(bias == [outChannels], "\(op): bias \(bias) must be [\(outChannels)]") }
        var out = [Int]()
        for d in 0..<3 {
            precondition(self.stride[d] >= 1 && self.dilation[d] >= 1 && self.padding[d] >= 0 && kernel[d] >= 1,
                         "\(op): stride, dilation and kernel must be ≥ 1 and padding ≥ 0")
            let span = self.dilation[d] * (kernel[d] - 1)
            if transposed {
                precondition(outPad[d] >= 0 && outPad[d] < max(self.stride[d], self.dilation[d]),
                             "\(op): output_padding \(outputPadding) must be smaller than stride or dilation")
                out.append((self.input[d] - 1) * self.stride[d] - 2 * self.padding[d] + span + outPad[d] + 1)
            } else {
                let padded = self.input[d] + 2 * self.padding[d] - span - 1
                out.append(padded < 0 ? 0 : padded / self.stride[d] + 1)
            }
        }
        precondition(out.allSatisfy { $0 > 0 }, "\(op): input \(shape) with weight \(weight) gives an empty output \(out.suffix(rank))")
        output = out
    }

    /// Kernel positions per channel (`kD·kH·kW`).
    var kernelSize: Int { kernel[0] * kernel[1] * kernel[2] }
    /// Input positions per channel.
    var inPixels: Int { input[0] * input[1] * input[2] }
    /// Output positions per channel.
    var outPixels: Int { output[0] * output[1] * output[2] }
    /// A 1×1(×1) kernel with unit stride and no padding: the convolution is a matrix product.
    var isPointwise: Bool { kernelSize == 1 && stride.allSatisfy { $0 == 1 } && padding.allSatisfy { $0 == 0 } }
}
