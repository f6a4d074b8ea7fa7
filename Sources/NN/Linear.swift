import SafeTensors
import Tensors

// Reference: torch.nn.Linear (torch/nn/modules/linear.py), y = x Wᵀ + b.

/// `torch.nn.Linear(in_features, out_features, bias)` (`torch/nn/modules/linear.py`), read from
/// its scope as `weight` [out, in] and `bias` [out].
///
/// The weight is kept as the store hands it out (`WeightScope.weight`): Float32, or F16/BF16
/// widened per call into pooled scratch memory when the store keeps half precision. The bias
/// is always Float32 (small).
public struct Linear: Sendable {
    /// `weight` [out, in] as stored.
    public let storedWeight: StoredWeight
    /// `bias` [out], nil for `bias=False`.
    public let bias: Tensor?

    /// `weight` [out, in] as Float32 (a widened copy when it is stored in half precision).
    public var weight: Tensor { storedWeight.tensor() }

    /// Reads `weight` [out, in] and, when `bias`, `bias` [out] from `w`.
    public init(_ w: WeightScope, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        try LayerError.checkPositive("Linear", ["in_features": inFeatures, "out_features": outFeatures])
        storedWeight = try w.weight("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try w.tensor("bias", shape: [outFeatures]) : nil
    }

    /// A layer over given parameters: `weight` [out, in], `bias` [out] or nil.
    public init(weight: Tensor, bias: Tensor?) {
        self.init(weight: StoredWeight(weight), bias: bias)
    }

    /// A layer over a weight as a store holds it (e.g. a 1×1 convolution's, reshaped to [out, in]).
    public init(weight: StoredWeight, bias: Tensor?) {
        precondition(weight.shape.count == 2 && (bias == nil || bias!.shape == [weight.shape[0]]),
                     "Linear: weight \(weight.shape) and bias \(bias?.shape ?? []) do not match")
        storedWeight = weight
        self.bias = bias
    }

    /// `in_features`.
    public var inFeatures: Int { storedWeight.shape[1] }
    /// `out_features`.
    public var outFeatures: Int { storedWeight.shape[0] }

    /// [..., in] → [..., out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        storedWeight.withTensor { weight in linear(x, weight: weight, bias: bias) }
    }
}
