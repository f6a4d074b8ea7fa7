import SafeTensors
import Tensors

// Reference: diffusers/models/downsampling.py `Downsample2D` and diffusers/models/upsampling.py
// `Upsample2D` (diffusers 0.42), without their optional norms and the transposed-conv variant.

/// diffusers' `Downsample2D` (`diffusers/models/downsampling.py`): a stride-2 convolution
/// `conv` (kernel 3, `padding`; with padding 0 the input is first padded by one on the right
/// and bottom, as the reference does), or a 2×2 average pool without `use_conv`.
public struct Downsample2D: Sendable {
    let conv: Conv2d?
    let padding: Int

    /// Reads `conv` from `w` when `useConv`, as `Downsample2D(channels, use_conv, out_channels,
    /// padding, kernel_size, bias)` with `name="op"` or `"conv"` (both store `conv.*`).
    public init(_ w: WeightScope, channels: Int, useConv: Bool, outChannels: Int? = nil, padding: Int = 1,
                kernelSize: Int = 3, bias: Bool = true) throws {
        guard useConv || outChannels == nil || outChannels == channels else {
            throw LayerError("Downsample2D", "average pooling cannot change \(channels) channels to \(outChannels!)")
        }
        conv = useConv ? try Conv2d(w["conv"], in: channels, out: outChannels ?? channels, kernel: kernelSize,
                                    stride: 2, padding: padding, bias: bias) : nil
        self.padding = padding
    }

    /// [B, C, H, W] → [B, out, H', W'] (`H' = ⌊(H + 2·padding − k) / 2⌋ + 1` for the convolution,
    /// `⌊H / 2⌋` for the pool).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let conv else { return avgPool2d(x, kernelSize: [2, 2]) }
        return padding == 0 ? conv(pad(x, [0, 1, 0, 1])) : conv(x)
    }
}

/// diffusers' `Upsample2D` (`diffusers/models/upsampling.py`): nearest-neighbour ×2 (or to an
/// explicit `outputSize`), then a 3×3 convolution `conv` when `use_conv`.
public struct Upsample2D: Sendable {
    let conv: Conv2d?
    let interpolate: Bool

    /// Reads `conv` from `w` when `useConv`, as `Upsample2D(channels, use_conv, out_channels,
    /// kernel_size, padding, bias, interpolate)` with `name="conv"`.
    public init(_ w: WeightScope, channels: Int, useConv: Bool, outChannels: Int? = nil, kernelSize: Int = 3,
                padding: Int = 1, bias: Bool = true, interpolate: Bool = true) throws {
        conv = useConv ? try Conv2d(w["conv"], in: channels, out: outChannels ?? channels, kernel: kernelSize,
                                    padding: padding, bias: bias) : nil
        self.interpolate = interpolate
    }

    /// [B, C, H, W] → [B, out, 2H, 2W], or `[B, out, outputSize[0], outputSize[1]]` (the UNet
    /// passes the size of the matching skip connection when the input is not a multiple of
    /// the overall downsampling factor).
    public func callAsFunction(_ x: Tensor, outputSize: [Int]? = nil) -> Tensor {
        var h = x                                                                  // [B, C, H, W]
        if interpolate {
            h = outputSize.map { Tensors.interpolate(x, size: $0, mode: .nearest) }
                ?? Tensors.interpolate(x, scaleFactor: 2, mode: .nearest)          // [B, C, H2, W2]
        }
        return conv.map { $0(h) } ?? h
    }
}
