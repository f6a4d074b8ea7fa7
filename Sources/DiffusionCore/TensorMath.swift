import Tensors

// Element-wise linear combinations for the samplers: coefficients are computed in Double
// and applied in Float, as diffusers applies float32 scalars to float32 tensors.

/// a·x (a new tensor).
func scaled(_ x: Tensor, by a: Double) -> Tensor {
    let a = Float(a)
    return Tensor(shape: x.shape) { out in
        x.scalars.withUnsafeBufferPointer { xs in
            for i in 0..<xs.count { out[i] = a * xs[i] }
        }
    }
}

/// a·x + b·y for tensors of one shape.
func combine(_ a: Double, _ x: Tensor, _ b: Double, _ y: Tensor) -> Tensor {
    precondition(x.shape == y.shape, "combine: shapes \(x.shape) and \(y.shape) differ")
    let a = Float(a), b = Float(b)
    return Tensor(shape: x.shape) { out in
        x.scalars.withUnsafeBufferPointer { xs in
            y.scalars.withUnsafeBufferPointer { ys in
                for i in 0..<xs.count { out[i] = a * xs[i] + b * ys[i] }
            }
        }
    }
}

/// Σ cₖ·tₖ for tensors of one shape (left to right).
func combine(_ terms: [(Double, Tensor)]) -> Tensor {
    let shape = terms[0].1.shape
    var acc = scaled(terms[0].1, by: terms[0].0)
    for (c, t) in terms.dropFirst() {
        precondition(t.shape == shape, "combine: shapes \(t.shape) and \(shape) differ")
        let c = Float(c)
        acc.scalars.withUnsafeMutableBufferPointer { a in
            t.scalars.withUnsafeBufferPointer { ts in
                for i in 0..<a.count { a[i] += c * ts[i] }
            }
        }
    }
    return acc
}

/// (x − y)/s: the Euler derivative d = (x − x̂0)/σ in float32 as k-diffusion's `to_d`.
func derivative(_ x: Tensor, _ denoised: Tensor, sigma: Double) -> Tensor {
    let s = Float(sigma)
    return Tensor(shape: x.shape) { out in
        x.scalars.withUnsafeBufferPointer { xs in
            denoised.scalars.withUnsafeBufferPointer { ds in
                for i in 0..<xs.count { out[i] = (xs[i] - ds[i]) / s }
            }
        }
    }
}
