// Joining and slicing along one axis.
// Reference: torch.cat, torch.split (with sizes), torch.chunk, torch.narrow.

/// torch.cat(tensors, dim=axis): all shapes equal except along `axis`.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat: no tensors")
    let first = tensors[0]
    let a = first.normalizedAxis(axis)
    for t in tensors {
        precondition(t.rank == first.rank
                     && t.shape.enumerated().allSatisfy { $0.offset == a || $0.element == first.shape[$0.offset] },
                     "concat: shape \(t.shape) does not match \(first.shape) outside axis \(axis)")
    }
    var shape = first.shape
    shape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let (outer, total, inner) = axisGeometry(shape, a)
    let rowLength = total * inner
    return Tensor(shape: shape) { out in
        guard out.count > 0 else { return }
        let po = out.baseAddress!
        var column = 0
        for t in tensors {
            let width = t.shape[a] * inner
            if width > 0 {
                t.scalars.withUnsafeBufferPointer { src in
                    let ps = src.baseAddress!
                    Parallel.forEachChunk(outer, minimumPerThread: Swift.max(1, 65_536 / width)) { range in
                        for o in range {
                            (po + (o &* rowLength &+ column)).update(from: ps + o &* width, count: width)
                        }
                    }
                }
            }
            column += width
        }
    }
}

extension Tensor {
    /// torch.narrow(x, dim=axis, start, length).contiguous(): `length` entries of `axis` from
    /// `start` (negative `start` counts from the end). Also `x[..., start:start+length, ...]`.
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        let a = normalizedAxis(axis)
        let begin = start < 0 ? start + shape[a] : start
        precondition(begin >= 0 && length >= 0 && begin + length <= shape[a],
                     "narrow: [\(start), \(start)+\(length)) out of range for axis \(axis) of \(shape)")
        if begin == 0 && length == shape[a] { return self }
        var outShape = shape
        outShape[a] = length
        let (outer, n, inner) = axisGeometry(shape, a)
        let width = length * inner
        return Tensor(shape: outShape) { out in
            guard out.count > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress!, po = out.baseAddress!
                Parallel.forEachChunk(outer, minimumPerThread: Swift.max(1, 65_536 / width)) { range in
                    for o in range {
                        (po + o &* width).update(from: ps + (o &* n &+ begin) &* inner, count: width)
                    }
                }
            }
        }
    }

    /// torch.split(x, split_size_or_sections=sizes, dim=axis) with explicit sizes summing to the
    /// size of `axis`.
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
                     "split: sizes \(sizes) do not add up to axis \(axis) of \(shape)")
        var start = 0
        return sizes.map { length in
            defer { start += length }
            return narrowed(axis: a, start: start, length: length)
        }
    }

    /// torch.chunk(x, chunks, dim=axis): pieces of `ceil(size / chunks)` along `axis`, the last
    /// one smaller; like PyTorch, fewer than `chunks` pieces may come back.
    public func chunked(_ chunks: Int, axis: Int) -> [Tensor] {
        precondition(chunks > 0, "chunk: chunks must be positive, got \(chunks) for shape \(shape)")
        let a = normalizedAxis(axis)
        let size = shape[a]
        let step = Swift.max(1, (size + chunks - 1) / chunks)
        if size == 0 { return Array(repeating: self, count: chunks) }
        return stride(from: 0, to: size, by: step).map { narrowed(axis: a, start: $0, length: Swift.min(step, size - $0)) }
    }
}
