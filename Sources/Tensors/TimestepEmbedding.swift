import Foundation

// Sinusoidal timestep embeddings.
// Reference: diffusers.models.embeddings.get_timestep_embedding (used by `Timesteps`).

/// diffusers' `get_timestep_embedding(timesteps, embedding_dim, flip_sin_to_cos,
/// downscale_freq_shift, scale, max_period)`: timesteps [N] (may be fractional) → [N, D] with
/// `[sin(t·f), cos(t·f)]` (or `[cos, sin]` when `flipSinToCos`), frequencies
/// `f_i = exp(−ln(maxPeriod) · i / (D/2 − downscaleFreqShift))`, and a zero column appended
/// when `D` is odd.
///
/// Computed in Float32 step by step as the reference is (exponent, true division, exp,
/// product, scale), so the arguments of sin and cos round the same way. The one difference
/// left is `exp`: PyTorch's (Intel MKL VML in the x86 wheels, Sleef elsewhere) and the C
/// library's differ by one ulp on about 1% of the frequencies, and `t · f` scales that ulp by
/// `t`. Results agree to 1e-5 up to t ≈ 150 and to about `t · 2⁻²⁴` beyond (≤ 6e-5 at
/// t = 999, the spacing of Float32 numbers near 999: the reference's own rounding error).
public func timestepEmbedding(_ timesteps: Tensor, embeddingDim: Int, flipSinToCos: Bool = false,
                              downscaleFreqShift: Double = 1, scale: Double = 1,
                              maxPeriod: Double = 10000) -> Tensor {
    precondition(timesteps.rank == 1, "timestepEmbedding: timesteps \(timesteps.shape) must be 1-D")
    precondition(embeddingDim >= 0, "timestepEmbedding: negative embedding dimension \(embeddingDim)")
    let halfDim = embeddingDim / 2
    let logPeriod = Float(-Foundation.log(maxPeriod))
    let divisor = Float(Double(halfDim) - downscaleFreqShift)
    let frequencies = (0..<halfDim).map { i in Foundation.exp(logPeriod * Float(i) / divisor) }    // [D/2]
    let factor = Float(scale)
    let sinColumn = flipSinToCos ? halfDim : 0, cosColumn = flipSinToCos ? 0 : halfDim
    return Tensor(shape: [timesteps.count, embeddingDim]) { out in
        for (n, t) in timesteps.scalars.enumerated() {
            let row = out.baseAddress! + n * embeddingDim
            for i in 0..<halfDim {
                let argument = factor * (t * frequencies[i])
                row[sinColumn + i] = Foundation.sin(argument)
                row[cosColumn + i] = Foundation.cos(argument)
            }
            if embeddingDim % 2 == 1 { row[embeddingDim - 1] = 0 }
        }
    }
}
