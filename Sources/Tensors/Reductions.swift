// Reductions along one axis or over all elements.
// Reference: torch.sum / mean / amax / amin / var / argmax (dim=…, keepdim=…).

/// `shape` seen as `[outer, n, inner]` around `axis` (already normalised).
@inline(__always)
func axisGeometry(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
    (Tensor.elementCount(Array(shape[..<axis])), shape[axis], Tensor.elementCount(Array(shape[(axis + 1)...])))
}

/// Sum of `n` contiguous floats: eight-lane SIMD partial sums over blocks of 4096, the blocks
/// added in Double, so long rows keep Float32 accuracy.
@inline(__always)
func contiguousSum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < n {
        let end = Swift.min(n, start &+ 4096)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = start
        while i &+ 16 <= end {
            acc0 += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            acc1 += UnsafeRawPointer(p + (i &+ 8)).loadUnaligned(as: SIMD8<Float>.self)
            i &+= 16
        }
        var block = (acc0 + acc1).sum()
        while i < end { block += p[i]; i &+= 1 }
        total += Double(block)
        start = end
    }
    return total
}

/// Sum of `(p[i] − mean)²` over `n` contiguous floats, accumulated like `contiguousSum`.
@inline(__always)
func contiguousSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Double {
    var total = 0.0
    var start = 0
    let m = SIMD8<Float>(repeating: mean)
    while start < n {
        let end = Swift.min(n, start &+ 4096)
        var acc = SIMD8<Float>()
        var i = start
        while i &+ 8 <= end {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
            acc += d * d
            i &+= 8
        }
        var block = acc.sum()
        while i < end { let d = p[i] - mean; block += d * d; i &+= 1 }
        total += Double(block)
        start = end
    }
    return total
}

/// `a` is "greater" for max/argmax: larger, or NaN (PyTorch propagates NaN).
@inline(__always) func greaterOrNaN(_ a: Float, _ b: Float) -> Bool { a > b || a != a }
/// `a` is "less" for min: smaller, or NaN.
@inline(__always) func lessOrNaN(_ a: Float, _ b: Float) -> Bool { a < b || a != a }

extension Tensor {
    /// Shape after reducing `axis`.
    func reducedShape(_ axis: Int, keepingDimension: Bool) -> [Int] {
        var s = shape
        if keepingDimension { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Reduces `axis` with `body(input, n, inner, output)`, which reduces one outer slice:
    /// `input` is `[n, inner]`, `output` is `[inner]`.
    func reduce(axis: Int, keepingDimension: Bool,
                _ body: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let a = normalizedAxis(axis)
        let (outer, n, inner) = axisGeometry(shape, a)
        return Tensor(shape: reducedShape(a, keepingDimension: keepingDimension)) { out in
            guard out.count > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress ?? UnsafePointer(out.baseAddress!), po = out.baseAddress!
                Parallel.forEachChunk(outer, minimumPerThread: Swift.max(1, 16_384 / Swift.max(n &* inner, 1))) { range in
                    for o in range { body(ps + o &* n &* inner, n, inner, po + o &* inner) }
                }
            }
        }
    }

    /// torch.sum(x, dim=axis, keepdim=keepingDimension).
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        reduce(axis: axis, keepingDimension: keepingDimension) { p, n, inner, o in
            if inner == 1 { o[0] = Float(contiguousSum(p, n)); return }
            for k in 0..<inner { o[k] = 0 }
            for j in 0..<n { let row = p + j &* inner; for k in 0..<inner { o[k] += row[k] } }
        }
    }

    /// torch.mean(x, dim=axis, keepdim=keepingDimension).
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let n = Float(size(axis))
        var s = sum(axis: axis, keepingDimension: keepingDimension)
        s.applyInPlace(ScalarRight<DivideOperator>(n))
        return s
    }

    /// torch.amax(x, dim=axis, keepdim=keepingDimension) (the values of torch.max(x, dim)); NaN wins.
    public func max(axis: Int, keepingDimension: Bool = false) -> Tensor {
        precondition(size(axis) > 0, "max: axis \(axis) of \(shape) is empty")
        return reduce(axis: axis, keepingDimension: keepingDimension) { p, n, inner, o in
            for k in 0..<inner { o[k] = p[k] }
            for j in 1..<n {
                let row = p + j &* inner
                for k in 0..<inner where greaterOrNaN(row[k], o[k]) { o[k] = row[k] }
            }
        }
    }

    /// torch.amin(x, dim=axis, keepdim=keepingDimension) (the values of torch.min(x, dim)); NaN wins.
    public func min(axis: Int, keepingDimension: Bool = false) -> Tensor {
        precondition(size(axis) > 0, "min: axis \(axis) of \(shape) is empty")
        return reduce(axis: axis, keepingDimension: keepingDimension) { p, n, inner, o in
            for k in 0..<inner { o[k] = p[k] }
            for j in 1..<n {
                let row = p + j &* inner
                for k in 0..<inner where lessOrNaN(row[k], o[k]) { o[k] = row[k] }
            }
        }
    }

    /// torch.var(x, dim=axis, unbiased=unbiased, keepdim=keepingDimension): two-pass variance,
    /// divided by `n − 1` when `unbiased` (Bessel's correction), else by `n`.
    public func variance(axis: Int, unbiased: Bool = true, keepingDimension: Bool = false) -> Tensor {
        let divisor = Double(size(axis) - (unbiased ? 1 : 0))
        return reduce(axis: axis, keepingDimension: keepingDimension) { p, n, inner, o in
            if inner == 1 {
                let mean = Float(contiguousSum(p, n) / Double(n))
                o[0] = Float(contiguousSquaredDeviations(p, n, mean: mean) / divisor)
                return
            }
            var mean = [Double](repeating: 0, count: inner), m2 = mean
            for j in 0..<n { let row = p + j &* inner; for k in 0..<inner { mean[k] += Double(row[k]) } }
            for k in 0..<inner { mean[k] /= Double(n) }
            for j in 0..<n {
                let row = p + j &* inner
                for k in 0..<inner { let d = Double(row[k]) - mean[k]; m2[k] += d * d }
            }
            for k in 0..<inner { o[k] = Float(m2[k] / divisor) }
        }
    }

    /// torch.argmax(x, dim=axis, keepdim=keepingDimension): the first index of the maximum
    /// (a NaN counts as the maximum). Indices are returned as Float values (exact below 2²⁴).
    public func argmax(axis: Int, keepingDimension: Bool = false) -> Tensor {
        precondition(size(axis) > 0, "argmax: axis \(axis) of \(shape) is empty")
        return reduce(axis: axis, keepingDimension: keepingDimension) { p, n, inner, o in
            for k in 0..<inner {
                var best = p[k], index = 0
                for j in 1..<n where greaterOrNaN(p[j &* inner &+ k], best) && best == best {
                    best = p[j &* inner &+ k]; index = j
                }
                o[k] = Float(index)
            }
        }
    }

    /// torch.sum(x) over all elements, accumulated in Double.
    public func sum() -> Float { Float(totalSum()) }

    /// torch.mean(x) over all elements.
    public func mean() -> Float {
        precondition(count > 0, "mean: empty tensor \(shape)")
        return Float(totalSum() / Double(count))
    }

    /// torch.max(x) over all elements; NaN wins.
    public func max() -> Float {
        precondition(count > 0, "max: empty tensor \(shape)")
        return scalars.reduce(scalars[0]) { greaterOrNaN($1, $0) ? $1 : $0 }
    }

    /// torch.min(x) over all elements; NaN wins.
    public func min() -> Float {
        precondition(count > 0, "min: empty tensor \(shape)")
        return scalars.reduce(scalars[0]) { lessOrNaN($1, $0) ? $1 : $0 }
    }

    /// torch.var(x, unbiased=unbiased) over all elements (two-pass, Double accumulation).
    public func variance(unbiased: Bool = true) -> Float {
        precondition(count > (unbiased ? 1 : 0), "variance: too few elements in \(shape)")
        let mean = Float(totalSum() / Double(count))
        let m2 = scalars.withUnsafeBufferPointer { contiguousSquaredDeviations($0.baseAddress!, count, mean: mean) }
        return Float(m2 / Double(count - (unbiased ? 1 : 0)))
    }

    /// torch.argmax(x) over all elements: the flat index of the first maximum (NaN wins).
    public func argmax() -> Int {
        precondition(count > 0, "argmax: empty tensor \(shape)")
        var index = 0
        for i in 1..<count where greaterOrNaN(scalars[i], scalars[index]) && scalars[index] == scalars[index] {
            index = i
        }
        return index
    }

    private func totalSum() -> Double {
        scalars.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return 0 }
            return contiguousSum(base, p.count)
        }
    }
}
