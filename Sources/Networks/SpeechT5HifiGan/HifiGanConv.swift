import SafeTensors
import Tensors

// Reference: torch.nn.Conv1d / ConvTranspose1d as used by transformers' SpeechT5HifiGan
// (transformers/models/speecht5/modeling_speecht5.py), and torch.nn.utils.weight_norm /
// torch.nn.utils.parametrizations.weight_norm for checkpoints saved with weight norm applied.

/// A convolution weight read from `scope`: the plain `weight` that `save_pretrained` writes for
/// `SpeechT5HifiGan` (weight norm is only applied on request), or its weight-norm factors
/// (`parametrizations.weight.original0/original1` from `apply_weight_norm()` in torch ≥ 2.1,
/// `weight_g`/`weight_v` from the legacy hook), folded as `g · v / ‖v‖` over every dimension but
/// the first, as `torch._weight_norm(v, g, dim=0)`. Throws naming the `weight` key when none is there.
func hifiGanWeight(_ scope: WeightScope, shape: [Int]) throws -> Tensor {
    if scope.contains("weight") { return try scope.tensor("weight", shape: shape) }
    let gainShape = [shape[0]] + Array(repeating: 1, count: shape.count - 1)
    let parametrized = scope["parametrizations"]["weight"]
    if parametrized.contains("original0") {
        return foldWeightNorm(g: try parametrized.tensor("original0", shape: gainShape),
                              v: try parametrized.tensor("original1", shape: shape))
    }
    if scope.contains("weight_g") {
        return foldWeightNorm(g: try scope.tensor("weight_g", shape: gainShape), v: try scope.tensor("weight_v", shape: shape))
    }
    return try scope.tensor("weight", shape: shape)
}

/// `g · v / ‖v‖` with the norm over each slice of the first dimension. g [O, 1, …], v [O, …].
private func foldWeightNorm(g: Tensor, v: Tensor) -> Tensor {
    let rows = v.shape[0], width = v.count / Swift.max(rows, 1)
    return Tensor(shape: v.shape) { out in
        v.scalars.withUnsafeBufferPointer { pv in
            for r in 0..<rows {
                let row = pv.baseAddress! + r &* width
                var sum: Double = 0
                for j in 0..<width { sum += Double(row[j]) * Double(row[j]) }
                let factor = g.scalars[r] / Float(sum.squareRoot())
                let dst = out.baseAddress! + r &* width
                for j in 0..<width { dst[j] = row[j] * factor }
            }
        }
    }
}

/// `nn.Conv1d(input, output, kernel, dilation=dilation, padding=padding)` with bias, read from `scope`.
struct HifiGanConv1d: Sendable {
    let weight: Tensor   // [O, C, k]
    let bias: Tensor     // [O]
    let padding: Int
    let dilation: Int

    init(_ scope: WeightScope, input: Int, output: Int, kernel: Int, dilation: Int = 1, padding: Int) throws {
        weight = try hifiGanWeight(scope, shape: [output, input, kernel])
        bias = try scope.tensor("bias", shape: [output])
        self.padding = padding
        self.dilation = dilation
    }

    /// [B, C, L] → [B, O, L'] (L' = L for the "same" paddings HiFi-GAN uses).
    func callAsFunction(_ x: Tensor) -> Tensor {
        conv1d(x, weight: weight, bias: bias, padding: padding, dilation: dilation)
    }
}

/// `nn.ConvTranspose1d(input, output, kernel, stride=rate, padding=(kernel - rate) // 2)` with bias,
/// one of `SpeechT5HifiGan.upsampler`.
struct HifiGanUpsampler: Sendable {
    let weight: Tensor   // [C, O, k]
    let bias: Tensor     // [O]
    let stride: Int
    let padding: Int

    init(_ scope: WeightScope, input: Int, output: Int, kernel: Int, rate: Int) throws {
        weight = try hifiGanWeight(scope, shape: [input, output, kernel])
        bias = try scope.tensor("bias", shape: [output])
        stride = rate
        padding = (kernel - rate) / 2
    }

    /// [B, C, L] → [B, O, (L − 1)·rate − 2·padding + kernel].
    func callAsFunction(_ x: Tensor) -> Tensor {
        convTranspose1d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// transformers `HifiGanResidualBlock` (modeling_speecht5.py): for each dilation,
/// `x + convs2[i](lrelu(convs1[i](lrelu(x))))`, convs1 dilated, convs2 not, lengths kept.
struct HifiGanResidualBlock: Sendable {
    let convs1: [HifiGanConv1d]
    let convs2: [HifiGanConv1d]
    let slope: Float

    init(_ scope: WeightScope, channels: Int, kernel: Int, dilations: [Int], slope: Float) throws {
        convs1 = try dilations.enumerated().map { i, d in
            try HifiGanConv1d(scope["convs1"][i], input: channels, output: channels, kernel: kernel,
                              dilation: d, padding: (kernel * d - d) / 2)
        }
        convs2 = try dilations.indices.map { i in
            try HifiGanConv1d(scope["convs2"][i], input: channels, output: channels, kernel: kernel,
                              padding: (kernel - 1) / 2)
        }
        self.slope = slope
    }

    /// [B, C, L] → [B, C, L].
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x                                                        // [B, C, L]
        for (conv1, conv2) in zip(convs1, convs2) {
            h += conv2(conv1(h.leakyRelu(negativeSlope: slope)).leakyRelu(negativeSlope: slope))
        }
        return h
    }
}
