import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_3d_blocks.py (diffusers 0.42), `CrossAttnUpBlock3D` and
// `UpBlock3D`, as `get_up_block` builds them for UNet3DConditionModel (FreeU off).

/// diffusers' `CrossAttnUpBlock3D` and `UpBlock3D` (`diffusers/models/unets/unet_3d_blocks.py`):
/// layers whose ResNet takes the previous output concatenated (channels) with the skip connection
/// popped last from the down path, then `temp_convs.i` (and `attentions.i`, `temp_attentions.i`),
/// then `upsamplers.0` (nearest ×2 and a 3×3 conv) except in the last block.
/// Activations are frame-major `[B·F, C, H, W]`.
struct UNet3DUpBlock: Sendable {
    let layers: [UNet3DLayer]
    let upsampler: Upsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, previous: Int, layers count: Int,
         crossAttention: Bool, addUpsample: Bool, settings: UNet3DBlockSettings) throws {
        layers = try (0..<count).map { i in
            let skipChannels = i == count - 1 ? inChannels : outChannels      // res_skip_channels
            let resnetIn = i == 0 ? previous : outChannels                    // resnet_in_channels
            return try UNet3DLayer(w, index: i, in: resnetIn + skipChannels, out: outChannels,
                                   crossAttention: crossAttention, settings: settings)
        }
        upsampler = addUpsample ? try Upsample2D(w["upsamplers"][0], channels: outChannels, useConv: true) : nil
    }

    /// The number of skip connections the block consumes (`len(upsample_block.resnets)`).
    var skipCount: Int { layers.count }

    /// x `[B·F, prev, H, W]` → `[B·F, out, 2H, 2W]` (or `upsampleSize`), consuming one skip per layer.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, frames: Int, skips: inout [Tensor],
                        upsampleSize: [Int]?) -> Tensor {
        var h = x
        for layer in layers {
            let skip = skips.removeLast()                                       // [B·F, Cs, H, W]
            h = layer(concat([h, skip], axis: 1), temb: temb, context: context, frames: frames)
        }
        return upsampler.map { $0(h, outputSize: upsampleSize) } ?? h
    }
}
