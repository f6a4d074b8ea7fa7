// Layer normalisation and RMS normalisation over the trailing dimensions.
// Reference: torch.nn.functional.layer_norm and torch.nn.functional.rms_norm.

/// torch.nn.functional.layer_norm(x, normalized_shape, weight, bias, eps): each slice over the
/// trailing `normalizedShape` dimensions is shifted to zero mean and scaled to unit (biased)
/// variance, then multiplied by `weight` and shifted by `bias` (both of `normalizedShape`).
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Float = 1e-5) -> Tensor {
    let n = checkNormalizedShape("layerNorm", x, normalizedShape, weight, bias)
    return normalizeRows(x, n, weight, bias) { row in
        let mean = Float(contiguousSum(row, n) / Double(n))
        let variance = Float(contiguousSquaredDeviations(row, n, mean: mean) / Double(n))
        return (mean, 1 / (variance + eps).squareRoot())
    }
}

/// torch.nn.functional.rms_norm(x, normalized_shape, weight, eps): each slice over the trailing
/// `normalizedShape` dimensions is divided by `sqrt(mean(x²) + eps)`, then multiplied by
/// `weight`. When `eps` is nil PyTorch's default is used, `torch.finfo(float32).eps`.
public func rmsNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, eps: Float? = nil) -> Tensor {
    let n = checkNormalizedShape("rmsNorm", x, normalizedShape, weight, nil)
    let eps = eps ?? Float.ulpOfOne
    return normalizeRows(x, n, weight, nil) { row in
        let meanSquare = Float(contiguousSquaredDeviations(row, n, mean: 0) / Double(n))
        return (0, 1 / (meanSquare + eps).squareRoot())
    }
}

/// Validates the shapes and returns the number of elements in one normalised slice.
private func checkNormalizedShape(_ op: String, _ x: Tensor, _ normalizedShape: [Int],
                                  _ weight: Tensor?, _ bias: Tensor?) -> Int {
    precondition(!normalizedShape.isEmpty && normalizedShape.count <= x.rank
                 && Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                 "\(op): normalized shape \(normalizedShape) is not a suffix of input shape \(x.shape)")
    if let weight {
        precondition(weight.shape == normalizedShape,
                     "\(op): weight shape \(weight.shape) ≠ normalized shape \(normalizedShape)")
    }
    if let bias {
        precondition(bias.shape == normalizedShape,
                     "\(op): bias shape \(bias.shape) ≠ normalized shape \(normalizedShape)")
    }
    return Tensor.elementCount(normalizedShape)
}

/// `y = (x − shift) · scale · weight + bias` per row of `n`, with `(shift, scale)` from `statistics`.
private func normalizeRows(_ x: Tensor, _ n: Int, _ weight: Tensor?, _ bias: Tensor?,
                           _ statistics: (UnsafePointer<Float>) -> (Float, Float)) -> Tensor {
    let rows = n == 0 ? 0 : x.count / n
    let ones = weight == nil ? [Float](repeating: 1, count: n) : []
    let zeros = bias == nil ? [Float](repeating: 0, count: n) : []
    return Tensor(shape: x.shape) { out in
        guard out.count > 0 else { return }
        x.scalars.withUnsafeBufferPointer { src in
            (weight?.scalars ?? ones).withUnsafeBufferPointer { pw in
                (bias?.scalars ?? zeros).withUnsafeBufferPointer { pb in
                    let ps = src.baseAddress!, po = out.baseAddress!
                    let w = pw.baseAddress!, b = pb.baseAddress!
                    Parallel.forEachChunk(rows, minimumPerThread: Swift.max(1, 8192 / n)) { range in
                        for r in range {
                            let row = ps + r &* n, dst = po + r &* n
                            let (shift, scale) = statistics(row)
                            for j in 0..<n { dst[j] = (row[j] - shift) * scale * w[j] + b[j] }
                        }
                    }
                }
            }
        }
    }
}
