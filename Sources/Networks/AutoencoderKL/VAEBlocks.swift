import SafeTensors
import Tensors

// The building blocks of diffusers' VAE Encoder/Decoder, without time embedding:
// diffusers/models/resnet.py (ResnetBlock2D), downsampling.py (Downsample2D),
// upsampling.py (Upsample2D), attention_processor.py (Attention + AttnProcessor2_0 as
// UNetMidBlock2D builds it), unets/unet_2d_blocks.py (UNetMidBlock2D).
// Internal stand-ins until the shared NN layers exist; they read the same keys.

/// torch.nn.Conv2d with square kernel, read from `scope` (`weight` [O, I, k, k], `bias` [O]).
struct ConvLayer: Sendable {
    let weight: Tensor   // [O, I, k, k]
    let bias: Tensor     // [O]
    let stride: Int
    let padding: Int

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1, padding: Int) throws {
        weight = try scope.tensor("weight", shape: [outChannels, inChannels, kernel, kernel])
        bias = try scope.tensor("bias", shape: [outChannels])
        self.stride = stride
        self.padding = padding
    }

    /// [N, I, H, W] → [N, O, H', W'].
    func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: [stride, stride], padding: [padding, padding])
    }
}

/// torch.nn.GroupNorm(groups, channels, eps, affine=True) read from `scope`.
struct GroupNormLayer: Sendable {
    let weight: Tensor   // [C]
    let bias: Tensor     // [C]
    let groups: Int
    let eps: Float

    init(_ scope: WeightScope, channels: Int, groups: Int, eps: Float) throws {
        weight = try scope.tensor("weight", shape: [channels])
        bias = try scope.tensor("bias", shape: [channels])
        self.groups = groups
        self.eps = eps
    }

    /// [N, C, *] → same shape; with `silu`, followed by SiLU in the same pass.
    func callAsFunction(_ x: Tensor, silu: Bool = false) -> Tensor {
        groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, applyingSiLU: silu)
    }
}

/// diffusers' `get_activation(act_fn)` for the names `AutoencoderKLConfig` accepts.
enum VAEActivation: Sendable {
    case silu, mish, gelu, relu

    init(_ name: String) throws {
        switch name {
        case "silu", "swish": self = .silu
        case "mish": self = .mish
        case "gelu": self = .gelu
        case "relu": self = .relu
        default: throw ConfigError(field: "act_fn", "\"\(name)\" is not one of silu, swish, mish, gelu, relu")
        }
    }

    /// `norm` then the activation, fused for SiLU.
    func after(_ norm: GroupNormLayer, _ x: Tensor) -> Tensor {
        switch self {
        case .silu: norm(x, silu: true)
        case .mish: norm(x).mish()
        case .gelu: norm(x).gelu()
        case .relu: norm(x).relu()
        }
    }
}

/// diffusers `ResnetBlock2D` (resnet.py) with `temb_channels=None`, pre-norm, output scale 1:
/// `shortcut(x) + conv2(act(norm2(conv1(act(norm1(x))))))`; `conv_shortcut` (1×1) when the
/// channel count changes.
struct VAEResnetBlock2D: Sendable {
    let norm1, norm2: GroupNormLayer
    let conv1, conv2: ConvLayer
    let convShortcut: ConvLayer?
    let activation: VAEActivation

    init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, groups: Int, eps: Float,
         activation: VAEActivation) throws {
        norm1 = try GroupNormLayer(scope["norm1"], channels: inChannels, groups: groups, eps: eps)
        conv1 = try ConvLayer(scope["conv1"], in: inChannels, out: outChannels, kernel: 3, padding: 1)
        norm2 = try GroupNormLayer(scope["norm2"], channels: outChannels, groups: groups, eps: eps)
        conv2 = try ConvLayer(scope["conv2"], in: outChannels, out: outChannels, kernel: 3, padding: 1)
        convShortcut = inChannels == outChannels ? nil
            : try ConvLayer(scope["conv_shortcut"], in: inChannels, out: outChannels, kernel: 1, padding: 0)
        self.activation = activation
    }

    /// [N, I, H, W] → [N, O, H, W].
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = conv1(activation.after(norm1, x))                          // [N, O, H, W]
        h = conv2(activation.after(norm2, h))                              // dropout is identity at inference
        h += convShortcut.map { $0(x) } ?? x
        return h
    }
}

/// diffusers `Downsample2D` (downsampling.py) as the VAE builds it (`use_conv=True`, `padding=0`):
/// zero padding (0, 1, 0, 1), then a 3×3 convolution with stride 2 (`downsamplers.0.conv`).
struct VAEDownsample2D: Sendable {
    let conv: ConvLayer

    init(_ scope: WeightScope, channels: Int) throws {
        conv = try ConvLayer(scope["conv"], in: channels, out: channels, kernel: 3, stride: 2, padding: 0)
    }

    /// [N, C, H, W] → [N, C, ⌊H/2⌋, ⌊W/2⌋] (for even sizes H/2, W/2).
    func callAsFunction(_ x: Tensor) -> Tensor { conv(pad(x, [0, 1, 0, 1])) }
}

/// diffusers `Upsample2D` (upsampling.py) with `use_conv=True`: nearest ×2, then a 3×3
/// convolution (`upsamplers.0.conv`).
struct VAEUpsample2D: Sendable {
    let conv: ConvLayer

    init(_ scope: WeightScope, channels: Int) throws {
        conv = try ConvLayer(scope["conv"], in: channels, out: channels, kernel: 3, padding: 1)
    }

    /// [N, C, H, W] → [N, C, 2H, 2W].
    func callAsFunction(_ x: Tensor) -> Tensor { conv(interpolate(x, scaleFactor: 2, mode: .nearest)) }
}

/// diffusers `Attention` as `UNetMidBlock2D` builds it for the VAE (attention_processor.py,
/// `AttnProcessor2_0`): `group_norm`, then `to_q`/`to_k`/`to_v` over the H·W positions,
/// `heads = C / attention_head_dim` (one head in AutoencoderKL), `to_out.0`, residual added.
///
/// Checkpoints saved before diffusers 0.14 name the projections `query`, `key`, `value`,
/// `proj_attn`; they are read under those names when `to_q` is absent, as
/// `ModelMixin._convert_deprecated_attention_blocks` (models/modeling_utils.py) renames them.
struct VAEAttention: Sendable {
    let groupNorm: GroupNormLayer
    let toQ, toK, toV, toOut: DenseLayer
    let heads: Int

    init(_ scope: WeightScope, channels: Int, headDim: Int, groups: Int, eps: Float) throws {
        groupNorm = try GroupNormLayer(scope["group_norm"], channels: channels, groups: groups, eps: eps)
        let deprecated = !scope["to_q"].exists && scope["query"].exists
        let names = deprecated ? (scope["query"], scope["key"], scope["value"], scope["proj_attn"])
            : (scope["to_q"], scope["to_k"], scope["to_v"], scope["to_out"][0])
        toQ = try DenseLayer(names.0, in: channels, out: channels)
        toK = try DenseLayer(names.1, in: channels, out: channels)
        toV = try DenseLayer(names.2, in: channels, out: channels)
        toOut = try DenseLayer(names.3, in: channels, out: channels)
        heads = channels / headDim
    }

    /// [N, C, H, W] → [N, C, H, W].
    func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = groupNorm(x).reshaped([n, c, h * w]).transposed(1, 2)             // [N, HW, C]
        let attended = multiHeadAttention(query: toQ(tokens), key: toK(tokens), value: toV(tokens),
                                          heads: heads)                                // [N, HW, C]
        var out = toOut(attended).transposed(1, 2).reshaped([n, c, h, w])              // [N, C, H, W]
        out += x
        return out
    }
}

/// diffusers `UNetMidBlock2D` (unets/unet_2d_blocks.py) without time embedding, one layer:
/// `resnets.0`, `attentions.0` (when `mid_block_add_attention`), `resnets.1`.
struct VAEMidBlock2D: Sendable {
    let resnets: [VAEResnetBlock2D]
    let attention: VAEAttention?

    init(_ scope: WeightScope, channels: Int, groups: Int, eps: Float, activation: VAEActivation,
         addAttention: Bool) throws {
        resnets = try (0..<2).map {
            try VAEResnetBlock2D(scope["resnets"][$0], in: channels, out: channels, groups: groups, eps: eps,
                                 activation: activation)
        }
        attention = addAttention
            ? try VAEAttention(scope["attentions"][0], channels: channels, headDim: channels, groups: groups, eps: eps)
            : nil
    }

    /// [N, C, H, W] → [N, C, H, W].
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = resnets[0](x)
        if let attention { h = attention(h) }
        return resnets[1](h)
    }
}
