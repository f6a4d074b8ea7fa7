import SafeTensors
import Tensors

// Reference: torch.nn.LayerNorm (torch/nn/modules/normalization.py) over the last dimension.

/// `torch.nn.LayerNorm(dim, eps, elementwise_affine, bias)` (`torch/nn/modules/normalization.py`)
/// over the last dimension, read from its scope as `weight` and `bias` [dim].
public struct LayerNorm: Sendable {
    /// `normalized_shape[0]`.
    public let dim: Int
    /// `eps`.
    public let eps: Float
    /// `weight` [dim], nil for `elementwise_affine=False`.
    public let weight: Tensor?
    /// `bias` [dim], nil for `elementwise_affine=False` or `bias=False`.
    public let bias: Tensor?

    /// Reads `weight` (when `elementwiseAffine`) and `bias` (when also `bias`) [dim].
    public init(_ w: WeightScope, dim: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) throws {
        try LayerError.checkPositive("LayerNorm", ["normalized_shape": dim])
        self.dim = dim
        self.eps = eps
        weight = elementwiseAffine ? try w.tensor("weight", shape: [dim]) : nil
        self.bias = elementwiseAffine && bias ? try w.tensor("bias", shape: [dim]) : nil
    }

    /// [..., dim] → the same shape.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: [dim], weight: weight, bias: bias, eps: eps)
    }
}
