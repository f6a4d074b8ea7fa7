import Foundation
import SafeTensors
import Tensors

// Reference: diffusers/models/embeddings.py, `Timesteps` (get_timestep_embedding) and
// `TimestepEmbedding` (linear_1, act, linear_2, optional cond_proj and post_act).

/// diffusers' `Timesteps(num_channels, flip_sin_to_cos, downscale_freq_shift, scale)`
/// (`diffusers/models/embeddings.py`): sinusoidal features of (possibly fractional) timesteps.
/// It has no weights.
public struct Timesteps: Sendable {
    /// `num_channels`: the width of the embedding.
    public let numChannels: Int
    /// `flip_sin_to_cos`: cosine half first.
    public let flipSinToCos: Bool
    /// `downscale_freq_shift`.
    public let downscaleFreqShift: Double
    /// `scale`.
    public let scale: Double

    /// The embedding of `Timesteps(numChannels, flipSinToCos, downscaleFreqShift, scale)`.
    public init(numChannels: Int, flipSinToCos: Bool, downscaleFreqShift: Double, scale: Double = 1) {
        self.numChannels = numChannels
        self.flipSinToCos = flipSinToCos
        self.downscaleFreqShift = downscaleFreqShift
        self.scale = scale
    }

    /// timesteps [N] → [N, num_channels].
    public func callAsFunction(_ timesteps: Tensor) -> Tensor {
        timestepEmbedding(timesteps, embeddingDim: numChannels, flipSinToCos: flipSinToCos,
                          downscaleFreqShift: downscaleFreqShift, scale: scale)
    }
}

/// diffusers' `TimestepEmbedding` (`diffusers/models/embeddings.py`): `linear_1`, activation,
/// `linear_2`, then `post_act` if any; with `cond_proj_dim`, `cond_proj(condition)` (no bias) is
/// added to the input first.
public struct TimestepEmbedding: Sendable {
    /// `linear_1` [in_channels → time_embed_dim].
    public let linear1: Linear
    /// `act`.
    public let activation: Activation
    /// `linear_2` [time_embed_dim → out_dim].
    public let linear2: Linear
    /// `post_act`, if any.
    public let postActivation: Activation?
    /// `cond_proj` [cond_proj_dim → in_channels], if any.
    public let condProj: Linear?

    /// Reads `linear_1`, `linear_2` (and `cond_proj`) from `w`, as `TimestepEmbedding(in_channels,
    /// time_embed_dim, act_fn, out_dim, post_act_fn, cond_proj_dim)`.
    public init(_ w: WeightScope, inChannels: Int, timeEmbedDim: Int, activation: Activation = .silu,
                outDim: Int? = nil, postActivation: Activation? = nil, condProjDim: Int? = nil) throws {
        linear1 = try Linear(w["linear_1"], in: inChannels, out: timeEmbedDim)
        self.activation = activation
        linear2 = try Linear(w["linear_2"], in: timeEmbedDim, out: outDim ?? timeEmbedDim)
        self.postActivation = postActivation
        condProj = try condProjDim.map { try Linear(w["cond_proj"], in: $0, out: inChannels, bias: false) }
    }

    /// sample [N, in_channels] (and condition [N, cond_proj_dim]) → [N, out_dim].
    public func callAsFunction(_ sample: Tensor, condition: Tensor? = nil) -> Tensor {
        var x = sample                                                      // [N, in]
        if let condition, let condProj { x += condProj(condition) }
        var y = linear2(activation(linear1(x)))                             // [N, out]
        if let postActivation { y = postActivation(y) }
        return y
    }
}

/// diffusers' `GaussianFourierProjection(embedding_size, set_W_to_weight=False, log=False,
/// flip_sin_to_cos)` (`diffusers/models/embeddings.py`), the `"fourier"` time projection of
/// `UNet2DConditionModel`: `[sin(2π·t·w), cos(2π·t·w)]` (cosine first when flipped), with the
/// random frequencies `weight` [embedding_size] read from the checkpoint.
public struct GaussianFourierProjection: Sendable {
    /// `weight` [embedding_size].
    public let weight: Tensor
    /// `flip_sin_to_cos`.
    public let flipSinToCos: Bool

    /// Reads `weight` [embeddingSize] from `w`.
    public init(_ w: WeightScope, embeddingSize: Int, flipSinToCos: Bool) throws {
        try LayerError.checkPositive("GaussianFourierProjection", ["embedding_size": embeddingSize])
        weight = try w.tensor("weight", shape: [embeddingSize])
        self.flipSinToCos = flipSinToCos
    }

    /// timesteps [N] → [N, 2·embedding_size].
    public func callAsFunction(_ timesteps: Tensor) -> Tensor {
        let n = timesteps.count, size = weight.count
        let pi = Float.pi                                       // np.pi as the Float32 scalar torch multiplies by
        return Tensor(shape: [n, 2 * size]) { out in
            for (row, t) in timesteps.scalars.enumerated() {
                let o = out.baseAddress! + row * 2 * size
                let (sinStart, cosStart) = flipSinToCos ? (size, 0) : (0, size)
                for j in 0..<size {
                    let x = t * weight.scalars[j] * 2 * pi      // x[:, None] * W[None, :] * 2 * np.pi
                    o[sinStart + j] = Foundation.sin(x)
                    o[cosStart + j] = Foundation.cos(x)
                }
            }
        }
    }
}
