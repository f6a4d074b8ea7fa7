import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_blocks.py (diffusers 0.42), `CrossAttnUpBlock2D`
// and `UpBlock2D`, as `get_up_block` builds them for UNet2DConditionModel (FreeU off).

/// The ResNets of an up block: ResNet `i` takes the previous output concatenated with the
/// skip connection popped last from the down path.
private func upResnets(_ w: WeightScope, in inChannels: Int, out outChannels: Int, previous: Int, layers: Int,
                       settings: UNetBlockSettings) throws -> [ResnetBlock2D] {
    try (0..<layers).map { i in
        let skipChannels = i == layers - 1 ? inChannels : outChannels     // res_skip_channels
        let resnetIn = i == 0 ? previous : outChannels                    // resnet_in_channels
        return try settings.resnet(w["resnets"][i], in: resnetIn + skipChannels, out: outChannels)
    }
}

/// diffusers' `UpBlock2D` (`diffusers/models/unets/unet_2d_blocks.py`): `resnets.*` over the
/// input concatenated (channels) with one skip connection each, then `upsamplers.0` (nearest ×2
/// and a 3×3 conv) except in the last block.
struct UpBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let upsampler: Upsample2D?

    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, previous: Int, layers: Int, addUpsample: Bool,
         settings: UNetBlockSettings) throws {
        resnets = try upResnets(w, in: inChannels, out: outChannels, previous: previous, layers: layers, settings: settings)
        upsampler = addUpsample ? try Upsample2D(w["upsamplers"][0], channels: outChannels, useConv: true) : nil
    }

    /// x [B, prev, H, W] → [B, out, 2H, 2W] (or `upsampleSize`), consuming one skip per ResNet.
    func callAsFunction(_ x: Tensor, temb: Tensor, skips: inout [Tensor], upsampleSize: [Int]?) -> Tensor {
        var h = x
        for resnet in resnets {
            let skip = skips.removeLast()                                       // [B, Cs, H, W]
            h = resnet(concat([h, skip], axis: 1), temb: temb)                  // [B, out, H, W]
        }
        return upsampler.map { $0(h, outputSize: upsampleSize) } ?? h
    }
}

/// diffusers' `CrossAttnUpBlock2D` (`diffusers/models/unets/unet_2d_blocks.py`): pairs of
/// `resnets.i` (over the input concatenated with a skip connection) and `attentions.i`, then
/// `upsamplers.0` except in the last block.
struct CrossAttnUpBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let upsampler: Upsample2D?

    /// `transformerLayers` has one depth per layer (diffusers' `transformer_layers_per_block`
    /// for this block, from `reverse_transformer_layers_per_block` when given).
    init(_ w: WeightScope, in inChannels: Int, out outChannels: Int, previous: Int, layers: Int, transformerLayers: [Int],
         addUpsample: Bool, attention: UNetAttentionSettings, settings: UNetBlockSettings) throws {
        resnets = try upResnets(w, in: inChannels, out: outChannels, previous: previous, layers: layers, settings: settings)
        attentions = try (0..<layers).map { i in
            try settings.transformer(w["attentions"][i], channels: outChannels, attention: attention, layers: transformerLayers[i])
        }
        upsampler = addUpsample ? try Upsample2D(w["upsamplers"][0], channels: outChannels, useConv: true) : nil
    }

    /// x [B, prev, H, W], context [B, L, D] or nil → [B, out, 2H, 2W] (or `upsampleSize`).
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor?, skips: inout [Tensor], upsampleSize: [Int]?) -> Tensor {
        var h = x
        for (resnet, attention) in zip(resnets, attentions) {
            let skip = skips.removeLast()                                       // [B, Cs, H, W]
            h = resnet(concat([h, skip], axis: 1), temb: temb)                  // [B, out, H, W]
            h = attention(h, encoderHiddenStates: context)
        }
        return upsampler.map { $0(h, outputSize: upsampleSize) } ?? h
    }
}

/// One entry of `UNet2DConditionModel.up_blocks`.
enum UNetUpBlock: Sendable {
    case plain(UpBlock2D)
    case crossAttention(CrossAttnUpBlock2D)

    /// The number of skip connections the block consumes (`len(upsample_block.resnets)`).
    var skipCount: Int {
        switch self {
        case let .plain(block): block.resnets.count
        case let .crossAttention(block): block.resnets.count
        }
    }

    /// Runs the block, consuming `skipCount` skip connections from the end of `skips`.
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor?, skips: inout [Tensor], upsampleSize: [Int]?) -> Tensor {
        switch self {
        case let .plain(block): block(x, temb: temb, skips: &skips, upsampleSize: upsampleSize)
        case let .crossAttention(block): block(x, temb: temb, context: context, skips: &skips, upsampleSize: upsampleSize)
        }
    }
}
