import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_blocks.py (diffusers 0.42), `UNetMidBlock2DCrossAttn`
// with num_layers 1, as `get_mid_block` builds it for UNet2DConditionModel.

/// diffusers' `UNetMidBlock2DCrossAttn` (`diffusers/models/unets/unet_2d_blocks.py`):
/// `resnets.0`, then for each layer `attentions.i` (a `Transformer2DModel`) and `resnets.i+1`.
/// Its ResNets use `output_scale_factor = mid_block_scale_factor`. diffusers never passes
/// `only_cross_attention` to this block (nor `mid_block_only_cross_attention`), so its
/// transformers always self-attend in `attn1`.
struct UNetMidBlock2DCrossAttn: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]

    init(_ w: WeightScope, channels: Int, transformerLayers: Int, outputScaleFactor: Float,
         attention: UNetAttentionSettings, settings: UNetBlockSettings, layers: Int = 1) throws {
        resnets = try (0...layers).map { i in
            try settings.resnet(w["resnets"][i], in: channels, out: channels, outputScaleFactor: outputScaleFactor)
        }
        attentions = try (0..<layers).map { i in
            try settings.transformer(w["attentions"][i], channels: channels, attention: attention, layers: transformerLayers)
        }
    }

    /// x [B, C, H, W], context [B, L, D] or nil → [B, C, H, W].
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor?) -> Tensor {
        var h = resnets[0](x, temb: temb)                                       // [B, C, H, W]
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            h = attention(h, encoderHiddenStates: context)
            h = resnet(h, temb: temb)
        }
        return h
    }
}
