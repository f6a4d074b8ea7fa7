// Dimension reordering and size-1 dimensions.
// Reference: torch.permute, torch.transpose, torch.squeeze, torch.unsqueeze (materialised:
// the result is always contiguous, as `.contiguous()` after the view).

/// Walks the offsets `Σ index[d] · strides[d]` of a row-major traversal of `sizes`.
struct OffsetOdometer {
    let sizes: [Int]
    let strides: [Int]
    var index: [Int]
    var offset = 0

    /// Starts at flat position `start` of the traversal.
    init(sizes: [Int], strides: [Int], start: Int) {
        self.sizes = sizes
        self.strides = strides
        index = [Int](repeating: 0, count: sizes.count)
        var rest = start
        for d in stride(from: sizes.count - 1, through: 0, by: -1) where sizes[d] > 0 {
            index[d] = rest % sizes[d]
            rest /= sizes[d]
            offset &+= index[d] &* strides[d]
        }
    }

    /// Advances to the next position (wrapping to the start after the last).
    @inline(__always)
    mutating func next() {
        var d = sizes.count - 1
        while d >= 0 {
            index[d] &+= 1
            offset &+= strides[d]
            if index[d] < sizes[d] { return }
            offset &-= strides[d] &* sizes[d]
            index[d] = 0
            d -= 1
        }
    }
}

extension Tensor {
    /// torch.permute(x, dims).contiguous(): output dimension `i` is input dimension `dims[i]`.
    ///
    /// Dimensions that stay adjacent are merged first, so `[B,C,F,H,W] → [B,F,C,H,W]` copies
    /// whole `H·W` rows, and moves of the innermost dimension (e.g. swapping the last two)
    /// run as a cache-blocked transpose.
    public func permuted(_ dims: [Int]) -> Tensor {
        let dims = dims.map { normalizedAxis($0) }
        precondition(dims.count == rank && Set(dims).count == rank,
                     "permute: \(dims) is not a permutation of the dimensions of \(shape)")
        let outShape = dims.map { shape[$0] }
        let inStrides = Tensor.strides(shape)
        // Collapse: drop size-1 dimensions, merge output neighbours that are input neighbours.
        var sizes: [Int] = [], strides: [Int] = [], source: [Int] = []
        for (i, d) in dims.enumerated() where outShape[i] != 1 {
            if let last = source.last, last + 1 == d {
                sizes[sizes.count - 1] *= shape[d]
                strides[strides.count - 1] = inStrides[d]
            } else {
                sizes.append(shape[d])
                strides.append(inStrides[d])
            }
            source.append(d)
        }
        if sizes.count <= 1 || count == 0 { return reshaped(outShape) }
        let length = sizes.removeLast(), innerStride = strides.removeLast()
        let rows = count / length
        return Tensor(shape: outShape) { out in
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress!, po = out.baseAddress!
                if innerStride == 1 {
                    // Whole rows stay contiguous: copy them.
                    Parallel.forEachChunk(rows, minimumPerThread: Swift.max(1, 32_768 / length)) { range in
                        var odometer = OffsetOdometer(sizes: sizes, strides: strides, start: range.lowerBound)
                        for r in range {
                            (po + r &* length).update(from: ps + odometer.offset, count: length)
                            odometer.next()
                        }
                    }
                    return
                }
                // Blocked gather: 16 output rows × 16 columns at a time, so both the strided
                // reads and the contiguous writes stay in cache.
                let tile = 16
                let blocks = (rows + tile - 1) / tile
                Parallel.forEachChunk(blocks, minimumPerThread: Swift.max(1, 32_768 / (tile &* length))) { range in
                    var odometer = OffsetOdometer(sizes: sizes, strides: strides, start: range.lowerBound &* tile)
                    var bases = [Int](repeating: 0, count: tile)
                    for block in range {
                        let r0 = block &* tile, height = Swift.min(tile, rows - r0)
                        for r in 0..<height { bases[r] = odometer.offset; odometer.next() }
                        var j0 = 0
                        while j0 < length {
                            let j1 = Swift.min(length, j0 &+ tile)
                            for r in 0..<height {
                                let dst = po + (r0 &+ r) &* length, s = ps + bases[r]
                                for j in j0..<j1 { dst[j] = s[j &* innerStride] }
                            }
                            j0 = j1
                        }
                    }
                }
            }
        }
    }

    /// torch.transpose(x, a, b).contiguous(): dimensions `a` and `b` swapped.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var dims = Array(0..<rank)
        dims.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(dims)
    }

    /// torch.squeeze(x, dim): removes dimension `axis` if its size is 1, else returns `x` unchanged.
    public func squeezed(axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        guard shape[a] == 1 else { return self }
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// torch.squeeze(x): removes every dimension of size 1.
    public func squeezed() -> Tensor { reshaped(shape.filter { $0 != 1 }) }

    /// torch.unsqueeze(x, dim): inserts a dimension of size 1 at `axis` (in `-(rank+1)...rank`).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for shape \(shape)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }
}
