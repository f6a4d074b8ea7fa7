import Tensors

/// Where Gaussian noise comes from: the initial latent x_T and the fresh noise that
/// ancestral and SDE samplers add at each step. Draws are sequential, so the order in which
/// a sampler asks for noise is part of its contract (it follows diffusers' order).
public protocol NoiseSource {
    /// A tensor of `shape` filled with independent standard normal samples.
    mutating func randn(_ shape: [Int]) -> Tensor
}
