import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_3d_blocks.py (diffusers 0.42), `CrossAttnDownBlock3D` and
// `DownBlock3D`, as `get_down_block` builds them for UNet3DConditionModel.

/// diffusers' `CrossAttnDownBlock3D` and `DownBlock3D` (`diffusers/models/unets/unet_3d_blocks.py`):
/// layers of `resnets.i`, `temp_convs.i` (and, with cross-attention, `attentions.i` and
/// `temp_attentions.i`), then `downsamplers.0` (a stride-2 conv) except in the last block. Each
/// layer's output and the downsampled output are skip connections for the up path.
/// Activations are frame-major `[B·F, C, H, W]`.
struct UNet3DDownBlock: Sendable {
    let layers: [UNet3DLayer]
    let downsampler: Downsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, layers count: Int, crossAttention: Bool,
         addDownsample: Bool, settings: UNet3DBlockSettings) throws {
        layers = try (0..<count).map { i in
            try UNet3DLayer(w, index: i, in: i == 0 ? inChannels : outChannels, out: outChannels,
                            crossAttention: crossAttention, settings: settings)
        }
        downsampler = addDownsample ? try Downsample2D(w["downsamplers"][0], channels: outChannels, useConv: true,
                                                       padding: settings.downsamplePadding) : nil
    }

    /// x `[B·F, in, H, W]` → `[B·F, out, H', W']`; appends the skip connections to `skips`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int, skips: inout [Tensor]) -> Tensor {
        var h = x
        for layer in layers {
            h = layer(h, temb: temb, context: context, frames: frames)          // [B·F, out, H, W]
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)                                                  // [B·F, out, H/2, W/2]
            skips.append(h)
        }
        return h
    }
}

/// diffusers' `UNetMidBlock3DCrossAttn` (`diffusers/models/unets/unet_3d_blocks.py`) with one layer:
/// `resnets.0`, `temp_convs.0`, then `attentions.0`, `temp_attentions.0`, `resnets.1`,
/// `temp_convs.1`. Its ResNets use `output_scale_factor = mid_block_scale_factor`.
struct UNetMidBlock3DCrossAttn: Sendable {
    let resnets: [ResnetBlock2D]
    let temporalConvs: [TemporalConvLayer]
    let attention: Transformer2DModel
    let temporalAttention: TransformerTemporalModel

    init(_ w: WeightScope, channels: Int, outputScaleFactor: Float, settings: UNet3DBlockSettings) throws {
        resnets = try (0..<2).map { i in
            try settings.resnet(w["resnets"][i], in: channels, out: channels, outputScaleFactor: outputScaleFactor)
        }
        temporalConvs = try (0..<2).map { i in try settings.temporalConv(w["temp_convs"][i], channels: channels) }
        attention = try settings.transformer(w["attentions"][0], channels: channels)
        temporalAttention = try settings.temporalTransformer(w["temp_attentions"][0], channels: channels)
    }

    /// x `[B·F, C, H, W]` → `[B·F, C, H, W]`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int) -> Tensor {
        var h = temporalConvs[0](resnets[0](x, temb: temb), frames: frames)    // [B·F, C, H, W]
        h = attention(h, encoderHiddenStates: context)
        h = temporalAttention(h, frames: frames)
        return temporalConvs[1](resnets[1](h, temb: temb), frames: frames)
    }
}
