import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_condition.py (diffusers 0.42), `_set_add_embedding`
// and `get_aug_embed` for addition_embed_type "text_time" (Stable Diffusion XL).

/// The `added_cond_kwargs` of diffusers' `UNet2DConditionModel.forward`
/// (`diffusers/models/unets/unet_2d_condition.py`) for `addition_embed_type="text_time"`
/// (SDXL's micro-conditioning).
public struct UNetAddedConditions: Sendable {
    /// `text_embeds` [B, K]: the pooled text embedding.
    public var textEmbeds: Tensor
    /// `time_ids` [B, N]: original size, crop offset and target size (N = 6 for SDXL).
    public var timeIds: Tensor

    /// The conditions `{"text_embeds": textEmbeds, "time_ids": timeIds}`.
    public init(textEmbeds: Tensor, timeIds: Tensor) {
        self.textEmbeds = textEmbeds
        self.timeIds = timeIds
    }
}

/// `add_time_proj` (`Timesteps(addition_time_embed_dim, flip_sin_to_cos, freq_shift)`) and
/// `add_embedding` (`TimestepEmbedding(projection_class_embeddings_input_dim, time_embed_dim)`):
/// `add_embedding(cat([text_embeds, add_time_proj(time_ids.flatten()).reshape(B, -1)], -1))`.
struct UNetTextTimeEmbedding: Sendable {
    let timeProjection: Timesteps
    let embedding: TimestepEmbedding
    let inputWidth: Int

    init(_ w: WeightScope, config: UNet2DConditionModelConfig, timeEmbedDim: Int) throws {
        guard let timeWidth = config.additionTimeEmbedDim, let inputWidth = config.projectionClassEmbeddingsInputDim else {
            throw ConfigError(field: "addition_time_embed_dim", "and projection_class_embeddings_input_dim are required with addition_embed_type \"text_time\"")
        }
        timeProjection = Timesteps(numChannels: timeWidth, flipSinToCos: config.flipSinToCos,
                                   downscaleFreqShift: Double(config.freqShift))
        embedding = try TimestepEmbedding(w, inChannels: inputWidth, timeEmbedDim: timeEmbedDim)
        self.inputWidth = inputWidth
    }

    /// The augmentation [B, time_embed_dim]; throws `ModelInputError` for missing or misshapen conditions.
    func callAsFunction(_ conditions: UNetAddedConditions?, batch: Int) throws -> Tensor {
        guard let conditions else {
            throw ModelInputError("UNet2DConditionModel", "addition_embed_type \"text_time\" needs text_embeds and time_ids")
        }
        let text = conditions.textEmbeds, ids = conditions.timeIds
        let projected = ids.rank == 2 && ids.shape[0] == batch ? ids.shape[1] * timeProjection.numChannels : -1
        guard text.rank == 2, text.shape[0] == batch, projected >= 0, text.shape[1] + projected == inputWidth else {
            throw ModelInputError("UNet2DConditionModel", """
                text_embeds \(text.shape) and time_ids \(ids.shape) do not give [\(batch), \(inputWidth)] \
                (projection_class_embeddings_input_dim) with addition_time_embed_dim \(timeProjection.numChannels)
                """)
        }
        let timeEmbeds = timeProjection(ids.reshaped([-1])).reshaped([batch, projected])   // [B, N·D]
        return embedding(concat([text, timeEmbeds], axis: 1))                               // [B, time_embed_dim]
    }
}
