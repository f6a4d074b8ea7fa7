// Affine map over the last dimension through one sgemm.
// Reference: torch.nn.functional.linear (y = x Wᵀ + b).

/// torch.nn.functional.linear(x, weight, bias): x [..., in] · weight [out, in]ᵀ + bias [out]
/// → [..., out]. All leading dimensions are folded into the rows of a single sgemm.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(x.rank >= 1 && weight.rank == 2 && x.shape[x.rank - 1] == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape) ([out, in])")
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    if let bias {
        precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) does not match weight \(weight.shape)")
    }
    let rows = inFeatures == 0 ? Tensor.elementCount(Array(x.shape.dropLast())) : x.count / inFeatures
    return Tensor(shape: Array(x.shape.dropLast()) + [outFeatures]) { out in               // [M, out]
        guard out.count > 0 else { return }
        let po = out.baseAddress!
        if let bias {
            bias.scalars.withUnsafeBufferPointer { pb in
                for r in 0..<rows { (po + r &* outFeatures).update(from: pb.baseAddress!, count: outFeatures) }
            }
        }
        x.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
                if inFeatures == 0 {
                    if bias == nil { po.update(repeating: 0, count: out.count) }
                    return
                }
                sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
                      a: px.baseAddress!, b: pw.baseAddress!, beta: bias == nil ? 0 : 1, c: po)
            }
        }
    }
}
