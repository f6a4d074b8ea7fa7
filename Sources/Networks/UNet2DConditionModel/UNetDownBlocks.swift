import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_blocks.py (diffusers 0.42), `CrossAttnDownBlock2D`
// and `DownBlock2D`, as `get_down_block` builds them for UNet2DConditionModel.

/// diffusers' `DownBlock2D` (`diffusers/models/unets/unet_2d_blocks.py`): `resnets.*`, then
/// `downsamplers.0` (a stride-2 conv) except in the last block. Every ResNet output and the
/// downsampled output are skip connections for the up path.
struct DownBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let downsampler: Downsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, addDownsample: Bool,
         settings: UNetBlockSettings) throws {
        resnets = try (0..<layers).map { i in
            try settings.resnet(w["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels)
        }
        downsampler = addDownsample ? try Downsample2D(w["downsamplers"][0], channels: outChannels, useConv: true,
                                                       padding: settings.downsamplePadding) : nil
    }

    /// x [B, in, H, W] → [B, out, H', W']; appends the skip connections to `skips`.
    func callAsFunction(_ x: Tensor, temb: Tensor, skips: inout [Tensor]) -> Tensor {
        var h = x
        for resnet in resnets {
            h = resnet(h, temb: temb)                                           // [B, out, H, W]
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)                                                  // [B, out, H/2, W/2]
            skips.append(h)
        }
        return h
    }
}

/// diffusers' `CrossAttnDownBlock2D` (`diffusers/models/unets/unet_2d_blocks.py`): pairs of
/// `resnets.i` and `attentions.i` (a `Transformer2DModel` over the context), then
/// `downsamplers.0` except in the last block. Each pair's output is a skip connection.
struct CrossAttnDownBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let downsampler: Downsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, layers: Int, transformerLayers: Int,
         addDownsample: Bool, attention: UNetAttentionSettings, settings: UNetBlockSettings) throws {
        resnets = try (0..<layers).map { i in
            try settings.resnet(w["resnets"][i], in: i == 0 ? inChannels : outChannels, out: outChannels)
        }
        attentions = try (0..<layers).map { i in
            try settings.transformer(w["attentions"][i], channels: outChannels, attention: attention, layers: transformerLayers)
        }
        downsampler = addDownsample ? try Downsample2D(w["downsamplers"][0], channels: outChannels, useConv: true,
                                                       padding: settings.downsamplePadding) : nil
    }

    /// x [B, in, H, W], context [B, L, D] or nil → [B, out, H', W']; appends the skips.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor?, skips: inout [Tensor]) -> Tensor {
        var h = x
        for (resnet, attention) in zip(resnets, attentions) {
            h = resnet(h, temb: temb)                                           // [B, out, H, W]
            h = attention(h, encoderHiddenStates: context)                      // [B, out, H, W]
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)                                                  // [B, out, H/2, W/2]
            skips.append(h)
        }
        return h
    }
}

/// One entry of `UNet2DConditionModel.down_blocks`.
enum UNetDownBlock: Sendable {
    case plain(DownBlock2D)
    case crossAttention(CrossAttnDownBlock2D)

    /// Runs the block, appending its skip connections to `skips`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor?, skips: inout [Tensor]) -> Tensor {
        switch self {
        case let .plain(block): block(x, temb: temb, skips: &skips)
        case let .crossAttention(block): block(x, temb: temb, context: context, skips: &skips)
        }
    }
}
