import SafeTensors
import Tensors

// Minimal weight-holding layers for the networks in this folder and AutoencoderKL/, built on the
// Tensors kernels. Stand-ins until the shared NN layers (Linear, LayerNorm) exist; internal, so
// they can be swapped for NN's without touching any public API.

/// torch.nn.Linear read from `scope` (`weight` [out, in], optional `bias` [out]).
struct DenseLayer: Sendable {
    let weight: Tensor   // [out, in]
    let bias: Tensor?    // [out]

    init(_ scope: WeightScope, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool = true) throws {
        weight = try scope.tensor("weight", shape: [outFeatures, inFeatures])
        bias = hasBias ? try scope.tensor("bias", shape: [outFeatures]) : nil
    }

    /// [..., in] → [..., out].
    func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// torch.nn.LayerNorm(dim, eps) read from `scope` (`weight`, `bias` [dim]).
struct LayerNormLayer: Sendable {
    let weight: Tensor   // [dim]
    let bias: Tensor     // [dim]
    let eps: Float

    init(_ scope: WeightScope, dim: Int, eps: Float) throws {
        weight = try scope.tensor("weight", shape: [dim])
        bias = try scope.tensor("bias", shape: [dim])
        self.eps = eps
    }

    /// Normalises over the last dimension; the shape is kept.
    func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: [weight.count], weight: weight, bias: bias, eps: eps)
    }
}
