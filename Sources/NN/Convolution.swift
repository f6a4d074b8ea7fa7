import SafeTensors
import Tensors

// Reference: torch.nn.Conv1d / Conv2d / Conv3d (torch/nn/modules/conv.py) with zero padding
// ("zeros" padding_mode), computed by `Tensors.convolution` (im2col + sgemm). Weights stay as
// the store hands them out (`WeightScope.weight`: Float32, or half precision widened per call).

/// The parameters shared by `Conv1d`, `Conv2d` and `Conv3d`.
struct ConvParameters: Sendable {
    let weight: StoredWeight    // [O, I / groups, k...]
    let bias: Tensor?       // [O]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]
    let groups: Int

    init(_ w: WeightScope, layer: String, in inChannels: Int, out outChannels: Int, kernel: [Int], stride: [Int],
         padding: [Int], dilation: [Int], groups: Int, bias: Bool) throws {
        try LayerError.checkPositive(layer, ["in_channels": inChannels, "out_channels": outChannels, "groups": groups])
        let rank = kernel.count
        for (name, values) in [("kernel_size", kernel), ("stride", stride), ("dilation", dilation)] {
            guard values.count == rank, values.allSatisfy({ $0 > 0 }) else {
                throw LayerError(layer, "\(name) \(values) must be \(rank) positive values")
            }
        }
        guard padding.count == rank, padding.allSatisfy({ $0 >= 0 }) else {
            throw LayerError(layer, "padding \(padding) must be \(rank) values ≥ 0")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw LayerError(layer, "in_channels \(inChannels) and out_channels \(outChannels) must be divisible by groups \(groups)")
        }
        weight = try w.weight("weight", shape: [outChannels, inChannels / groups] + kernel)
        self.bias = bias ? try w.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        weight.withTensor { weight in
            convolution(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }
    }
}

/// `torch.nn.Conv1d` (`torch/nn/modules/conv.py`), read from its scope as `weight`
/// [O, I / groups, k] and `bias` [O].
public struct Conv1d: Sendable {
    let parameters: ConvParameters

    /// Reads the weights of `Conv1d(in, out, kernel, stride, padding, dilation, groups, bias)`.
    public init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws {
        parameters = try ConvParameters(w, layer: "Conv1d", in: inChannels, out: outChannels, kernel: [kernel],
                                        stride: [stride], padding: [padding], dilation: [dilation], groups: groups, bias: bias)
    }

    /// `weight` [O, I / groups, k] as Float32 (a widened copy when it is stored in half precision).
    public var weight: Tensor { parameters.weight.tensor() }
    /// `weight` [O, I / groups, k] as stored.
    public var storedWeight: StoredWeight { parameters.weight }
    /// `bias` [O], or nil.
    public var bias: Tensor? { parameters.bias }

    /// [N, I, L] → [N, O, L'].
    public func callAsFunction(_ x: Tensor) -> Tensor { parameters(x) }
}

/// `torch.nn.Conv2d` (`torch/nn/modules/conv.py`), read from its scope as `weight`
/// [O, I / groups, kH, kW] and `bias` [O].
public struct Conv2d: Sendable {
    let parameters: ConvParameters

    /// Reads the weights of `Conv2d(in, out, kernel_size=(kH, kW), stride, padding, dilation,
    /// groups, bias)`; `stride`, `padding` and `dilation` are `[h, w]`.
    public init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, kernel: [Int], stride: [Int] = [1, 1],
                padding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) throws {
        parameters = try ConvParameters(w, layer: "Conv2d", in: inChannels, out: outChannels, kernel: kernel,
                                        stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias)
    }

    /// A square kernel with the same stride, padding and dilation along both axes.
    public init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws {
        try self.init(w, in: inChannels, out: outChannels, kernel: [kernel, kernel], stride: [stride, stride],
                      padding: [padding, padding], dilation: [dilation, dilation], groups: groups, bias: bias)
    }

    /// `weight` [O, I / groups, kH, kW] as Float32 (a widened copy when it is stored in half precision).
    public var weight: Tensor { parameters.weight.tensor() }
    /// `weight` [O, I / groups, kH, kW] as stored.
    public var storedWeight: StoredWeight { parameters.weight }
    /// `bias` [O], or nil.
    public var bias: Tensor? { parameters.bias }

    /// [N, I, H, W] → [N, O, H', W'].
    public func callAsFunction(_ x: Tensor) -> Tensor { parameters(x) }
}

/// `torch.nn.Conv3d` (`torch/nn/modules/conv.py`), read from its scope as `weight`
/// [O, I / groups, kD, kH, kW] and `bias` [O].
public struct Conv3d: Sendable {
    let parameters: ConvParameters

    /// Reads the weights of `Conv3d(in, out, kernel_size=(kD, kH, kW), stride, padding,
    /// dilation, groups, bias)`; `stride`, `padding` and `dilation` are `[d, h, w]`.
    public init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, kernel: [Int], stride: [Int] = [1, 1, 1],
                padding: [Int] = [0, 0, 0], dilation: [Int] = [1, 1, 1], groups: Int = 1, bias: Bool = true) throws {
        parameters = try ConvParameters(w, layer: "Conv3d", in: inChannels, out: outChannels, kernel: kernel,
                                        stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias)
    }

    /// `weight` [O, I / groups, kD, kH, kW] as Float32 (a widened copy when it is stored in half precision).
    public var weight: Tensor { parameters.weight.tensor() }
    /// `weight` [O, I / groups, kD, kH, kW] as stored.
    public var storedWeight: StoredWeight { parameters.weight }
    /// `bias` [O], or nil.
    public var bias: Tensor? { parameters.bias }

    /// [N, I, D, H, W] → [N, O, D', H', W'].
    public func callAsFunction(_ x: Tensor) -> Tensor { parameters(x) }
}
