// Numerically stable softmax and log-softmax along any axis.
// Reference: torch.softmax / torch.log_softmax (dim=…); the maximum is subtracted first.

extension Tensor {
    /// torch.softmax(x, dim=axis): `exp(x − max) / Σ exp(x − max)` along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { softmaxKernel(axis: axis, logarithm: false) }

    /// torch.log_softmax(x, dim=axis): `x − max − log Σ exp(x − max)` along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxKernel(axis: axis, logarithm: true) }

    private func softmaxKernel(axis: Int, logarithm: Bool) -> Tensor {
        let (outer, n, inner) = axisGeometry(shape, normalizedAxis(axis))
        return Tensor(shape: shape) { out in
            guard out.count > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress!, po = out.baseAddress!
                if inner == 1 {
                    Parallel.forEachChunk(outer, minimumPerThread: Swift.max(1, 4096 / n)) { range in
                        for r in range { softmaxRow(ps + r &* n, po + r &* n, n, logarithm) }
                    }
                    return
                }
                // Strided axis: each task handles one outer slice and a block of `inner` columns.
                let block = Swift.min(inner, 256)
                let blocks = (inner + block - 1) / block
                Parallel.forEachChunk(outer &* blocks, minimumPerThread: Swift.max(1, 4096 / (n &* block))) { range in
                    var maxima = [Float](repeating: 0, count: block), sums = maxima
                    for task in range {
                        let o = task / blocks, k0 = (task % blocks) &* block
                        let width = Swift.min(block, inner - k0)
                        let x = ps + (o &* n &* inner &+ k0), y = po + (o &* n &* inner &+ k0)
                        for k in 0..<width { maxima[k] = x[k]; sums[k] = 0 }
                        for j in 1..<n {
                            let row = x + j &* inner
                            for k in 0..<width where greaterOrNaN(row[k], maxima[k]) { maxima[k] = row[k] }
                        }
                        for j in 0..<n {
                            let row = x + j &* inner, dst = y + j &* inner
                            for k in 0..<width {
                                let e = fastExp(row[k] - maxima[k])
                                sums[k] += e
                                if !logarithm { dst[k] = e }
                            }
                        }
                        if logarithm {
                            for k in 0..<width { sums[k] = maxima[k] + libmLog(sums[k]) }
                            for j in 0..<n {
                                let row = x + j &* inner, dst = y + j &* inner
                                for k in 0..<width { dst[k] = row[k] - sums[k] }
                            }
                        } else {
                            for k in 0..<width { sums[k] = 1 / sums[k] }
                            for j in 0..<n {
                                let dst = y + j &* inner
                                for k in 0..<width { dst[k] *= sums[k] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Softmax (or log-softmax) of one contiguous row of `n > 0` elements.
@inline(__always)
private func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ logarithm: Bool) {
    var maximum = x[0]
    for j in 1..<n where greaterOrNaN(x[j], maximum) { maximum = x[j] }
    for j in 0..<n { y[j] = fastExp(x[j] - maximum) }
    let sum = Float(contiguousSum(UnsafePointer(y), n))
    if logarithm {
        let shift = maximum + libmLog(sum)
        for j in 0..<n { y[j] = x[j] - shift }
    } else {
        let scale = 1 / sum
        for j in 0..<n { y[j] *= scale }
    }
}
