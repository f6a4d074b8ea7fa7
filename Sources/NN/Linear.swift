import SafeTensors
import Tensors

// Reference: torch.nn.Linear (torch/nn/modules/linear.py), y = x Wᵀ + b.

/// `torch.nn.Linear(in_features, out_features, bias)` (`torch/nn/modules/linear.py`), read from
/// its scope as `weight` [out, in] and `bias` [out].
public struct Linear: Sendable {
    /// `weight` [out, in].
    public let weight: Tensor
    /// `bias` [out], nil for `bias=False`.
    public let bias: Tensor?

    /// Reads `weight` [out, in] and, when `bias`, `bias` [out] from `w`.
    public init(_ w: WeightScope, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        try LayerError.checkPositive("Linear", ["in_features": inFeatures, "out_features": outFeatures])
        weight = try w.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try w.tensor("bias", shape: [outFeatures]) : nil
    }

    /// A layer over given parameters: `weight` [out, in], `bias` [out] or nil.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && (bias == nil || bias!.shape == [weight.shape[0]]),
                     "Linear: weight \(weight.shape) and bias \(bias?.shape ?? []) do not match")
        self.weight = weight
        self.bias = bias
    }

    /// `in_features`.
    public var inFeatures: Int { weight.shape[1] }
    /// `out_features`.
    public var outFeatures: Int { weight.shape[0] }

    /// [..., in] → [..., out].
    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}
