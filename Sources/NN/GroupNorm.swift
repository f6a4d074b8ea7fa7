import SafeTensors
import Tensors

// Reference: torch.nn.GroupNorm (torch/nn/modules/normalization.py).

/// `torch.nn.GroupNorm(num_groups, num_channels, eps, affine)`
/// (`torch/nn/modules/normalization.py`), read from its scope as `weight` and `bias` [C].
public struct GroupNorm: Sendable {
    /// `num_groups`.
    public let groups: Int
    /// `eps`.
    public let eps: Float
    /// `weight` [C], nil for `affine=False`.
    public let weight: Tensor?
    /// `bias` [C], nil for `affine=False`.
    public let bias: Tensor?

    /// Reads `weight` and `bias` [channels] (when `affine`); `channels` must be divisible by `groups`.
    public init(_ w: WeightScope, groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) throws {
        try LayerError.checkPositive("GroupNorm", ["num_groups": groups, "num_channels": channels])
        guard channels % groups == 0 else {
            throw LayerError("GroupNorm", "num_channels \(channels) must be divisible by num_groups \(groups)")
        }
        self.groups = groups
        self.eps = eps
        weight = affine ? try w.tensor("weight", shape: [channels]) : nil
        bias = affine ? try w.tensor("bias", shape: [channels]) : nil
    }

    /// [N, C, *] → the same shape; with `applyingSiLU`, `silu(group_norm(x))` in one pass.
    public func callAsFunction(_ x: Tensor, applyingSiLU: Bool = false) -> Tensor {
        groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, applyingSiLU: applyingSiLU)
    }

    /// `activation(group_norm(x))`, fused when the activation is SiLU (the common case in
    /// diffusers' ResNets, whose `nonlinearity` follows each norm).
    public func callAsFunction(_ x: Tensor, then activation: Activation) -> Tensor {
        activation == .silu ? self(x, applyingSiLU: true) : activation(self(x))
    }
}
