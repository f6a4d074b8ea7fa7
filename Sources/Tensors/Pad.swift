// Copies that pick each output index from an input index per dimension: padding, repeat, flip.
// Reference: torch.nn.functional.pad, torch.Tensor.repeat, torch.flip.

/// How torch.nn.functional.pad fills the border.
public enum PaddingMode: Sendable, Equatable {
    /// `mode='constant', value=v`; negative padding crops.
    case constant(Float)
    /// `mode='reflect'`: mirrored without repeating the edge (`dcb|abcd|cba`); padding < size.
    case reflect
    /// `mode='replicate'`: the edge value repeated (`aaa|abcd|ddd`).
    case replicate
    /// `mode='circular'`: wrapped around (`bcd|abcd|abc`); padding ≤ size.
    case circular
}

/// torch.nn.functional.pad(x, padding, mode): `padding` lists (before, after) pairs starting
/// from the LAST dimension, as PyTorch does: `[left, right, top, bottom, front, back]`.
public func pad(_ x: Tensor, _ padding: [Int], mode: PaddingMode = .constant(0)) -> Tensor {
    precondition(padding.count % 2 == 0 && padding.count / 2 <= x.rank,
                 "pad: padding \(padding) must hold (before, after) pairs for at most \(x.rank) dimensions of \(x.shape)")
    var outShape = x.shape
    var maps = x.shape.map { Array(0..<$0) }
    for p in 0..<(padding.count / 2) {
        let d = x.rank - 1 - p
        let before = padding[2 * p], after = padding[2 * p + 1], n = x.shape[d]
        let size = n + before + after
        precondition(size >= 0, "pad: padding \(padding) leaves a negative size for \(x.shape)")
        switch mode {
        case .constant:
            break
        case .reflect:
            precondition(before < n && after < n && before >= 0 && after >= 0,
                         "pad: reflect padding \(padding) must be non-negative and below the size of dimension \(d) of \(x.shape)")
        case .replicate:
            precondition(n > 0 && before >= 0 && after >= 0,
                         "pad: replicate padding \(padding) needs a non-empty dimension \(d) of \(x.shape)")
        case .circular:
            precondition(before <= n && after <= n && before >= 0 && after >= 0,
                         "pad: circular padding \(padding) must not exceed dimension \(d) of \(x.shape)")
        }
        outShape[d] = size
        maps[d] = (0..<size).map { o in
            let i = o - before
            switch mode {
            case .constant: return i >= 0 && i < n ? i : -1
            case .reflect: return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
            case .replicate: return Swift.min(Swift.max(i, 0), n - 1)
            case .circular: return ((i % n) + n) % n
            }
        }
    }
    if case .constant(let value) = mode { return gather(x, shape: outShape, maps: maps, fill: value) }
    return gather(x, shape: outShape, maps: maps, fill: 0)
}

extension Tensor {
    /// torch.Tensor.repeat(*repeats): the tensor tiled `repeats[d]` times along each dimension;
    /// extra leading repeats add leading dimensions.
    public func repeated(_ repeats: [Int]) -> Tensor {
        precondition(repeats.count >= rank && repeats.allSatisfy { $0 >= 0 },
                     "repeat: repeats \(repeats) must be non-negative and cover the dimensions of \(shape)")
        let source = reshaped(Array(repeating: 1, count: repeats.count - rank) + shape)
        let outShape = zip(source.shape, repeats).map { $0 * $1 }
        let maps = zip(source.shape, outShape).map { n, size in (0..<size).map { $0 % n } }
        return gather(source, shape: outShape, maps: maps, fill: 0)
    }

    /// torch.flip(x, dims): the order of entries reversed along each axis in `axes`.
    public func flipped(axes: [Int]) -> Tensor {
        let flip = Set(axes.map { normalizedAxis($0) })
        let maps = shape.enumerated().map { d, n in flip.contains(d) ? Array((0..<n).reversed()) : Array(0..<n) }
        return gather(self, shape: shape, maps: maps, fill: 0)
    }
}

/// `out[o] = x[maps[0][o₀], maps[1][o₁], …]`, or `fill` where any map entry is −1.
/// The per-dimension maps express padding, tiling, flipping and nearest-neighbour resampling.
func gather(_ x: Tensor, shape outShape: [Int], maps: [[Int]], fill: Float) -> Tensor {
    precondition(maps.count == x.rank && zip(maps, outShape).allSatisfy { $0.count == $1 })
    if x.rank == 0 { return x }
    let depth = x.rank - 1
    let length = outShape[depth], lastMap = maps[depth]
    let outerSizes = Array(outShape[..<depth])
    let inStrides = Tensor.strides(x.shape)
    // Offsets of each outer map entry, -1 when it selects the fill value.
    let outerOffsets = (0..<depth).map { d in maps[d].map { $0 < 0 ? -1 : $0 * inStrides[d] } }
    return Tensor(shape: outShape) { out in
        guard out.count > 0 else { return }
        let rows = out.count / length
        x.scalars.withUnsafeBufferPointer { src in
            lastMap.withUnsafeBufferPointer { lm in
                let ps = src.baseAddress ?? UnsafePointer(out.baseAddress!), po = out.baseAddress!
                let lm = lm.baseAddress!
                Parallel.forEachChunk(rows, minimumPerThread: Swift.max(1, 16_384 / length)) { range in
                    var index = [Int](repeating: 0, count: depth)
                    var rest = range.lowerBound
                    for d in stride(from: depth - 1, through: 0, by: -1) {
                        index[d] = rest % outerSizes[d]
                        rest /= outerSizes[d]
                    }
                    for r in range {
                        let dst = po + r &* length
                        var base = 0, valid = true
                        for d in 0..<depth {
                            let offset = outerOffsets[d][index[d]]
                            if offset < 0 { valid = false }
                            base &+= offset
                        }
                        if valid {
                            let s = ps + base
                            for j in 0..<length { let m = lm[j]; dst[j] = m < 0 ? fill : s[m] }
                        } else {
                            dst.update(repeating: fill, count: length)
                        }
                        var d = depth - 1
                        while d >= 0 {
                            index[d] += 1
                            if index[d] < outerSizes[d] { break }
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
    }
}
