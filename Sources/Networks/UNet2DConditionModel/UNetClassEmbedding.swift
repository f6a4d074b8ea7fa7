import NN
import SafeTensors
import Tensors

// Reference: diffusers/models/unets/unet_2d_condition.py (diffusers 0.42),
// `_set_class_embedding` and `get_class_embed`.

/// The `class_embedding` of diffusers' `UNet2DConditionModel`
/// (`diffusers/models/unets/unet_2d_condition.py`, `_set_class_embedding` / `get_class_embed`):
/// an embedding of `class_labels` added to (or, with `class_embeddings_concat`, concatenated
/// with) the time embedding.
///
/// AudioLDM uses `"simple_projection"` with `class_embeddings_concat`: its `class_labels` are
/// the normalised CLAP text embeddings [B, 512] and its UNet runs without `encoder_hidden_states`.
enum UNetClassEmbedding: Sendable {
    /// `num_class_embeds` without a type: `nn.Embedding(num_class_embeds, time_embed_dim)`;
    /// labels [B] are integer class indices.
    case table(Tensor)
    /// `"timestep"`: labels [B] go through the UNet's `time_proj`, then a
    /// `TimestepEmbedding(timestep_input_dim, time_embed_dim)`.
    case timestep(UNet2DConditionModel.TimeProjection, TimestepEmbedding)
    /// `"identity"`: labels [B, time_embed_dim] are the embedding.
    case identity(width: Int)
    /// `"projection"`: `TimestepEmbedding(projection_class_embeddings_input_dim, time_embed_dim)`
    /// on labels [B, K].
    case projection(TimestepEmbedding, inputWidth: Int)
    /// `"simple_projection"`: `nn.Linear(projection_class_embeddings_input_dim, time_embed_dim)`
    /// on labels [B, K].
    case simpleProjection(Linear)

    /// The class embedding the config asks for, read from `w` (`class_embedding.*`); nil when
    /// there is none. `timeProjection` is the UNet's `time_proj` (for `"timestep"`).
    init?(_ w: WeightScope, config: UNet2DConditionModelConfig, timeEmbedDim: Int, timestepInputDim: Int,
          timeProjection: UNet2DConditionModel.TimeProjection, activation: Activation) throws {
        let projectionWidth = config.projectionClassEmbeddingsInputDim ?? 0
        switch config.classEmbedType {
        case nil:
            guard let count = config.numClassEmbeds else { return nil }
            self = .table(try w.tensor("weight", shape: [count, timeEmbedDim]))
        case "timestep":
            self = .timestep(timeProjection, try TimestepEmbedding(w, inChannels: timestepInputDim, timeEmbedDim: timeEmbedDim,
                                                                   activation: activation))
        case "identity":
            self = .identity(width: timeEmbedDim)
        case "projection":
            self = .projection(try TimestepEmbedding(w, inChannels: projectionWidth, timeEmbedDim: timeEmbedDim),
                               inputWidth: projectionWidth)
        case "simple_projection":
            self = .simpleProjection(try Linear(w, in: projectionWidth, out: timeEmbedDim))
        case let other?:
            throw ConfigError(field: "class_embed_type", "\"\(other)\" is not supported")
        }
    }

    /// `class_labels` → [B, time_embed_dim]; throws `ModelInputError` for labels of the wrong
    /// shape or class indices out of range.
    func callAsFunction(_ labels: Tensor, batch: Int) throws -> Tensor {
        switch self {
        case let .table(table):
            let (count, width) = (table.shape[0], table.shape[1])
            let indices = try Self.indices(labels, batch: batch, limit: count)
            return Tensor(shape: [batch, width]) { out in
                for (row, index) in indices.enumerated() {
                    for j in 0..<width { out[row * width + j] = table.scalars[index * width + j] }
                }
            }
        case let .timestep(projection, embedding):
            try Self.expect(labels, [batch], "class timesteps")
            return embedding(projection(labels))
        case let .identity(width):
            try Self.expect(labels, [batch, width], "identity class embeddings")
            return labels
        case let .projection(embedding, width):
            try Self.expect(labels, [batch, width], "projected class embeddings")
            return embedding(labels)
        case let .simpleProjection(linear):
            try Self.expect(labels, [batch, linear.inFeatures], "projected class embeddings")
            return linear(labels)
        }
    }

    private static func expect(_ labels: Tensor, _ shape: [Int], _ what: String) throws {
        guard labels.shape == shape else {
            throw ModelInputError("UNet2DConditionModel", "class_labels has shape \(labels.shape), expected \(shape) (\(what))")
        }
    }

    /// Integer class indices [B] in `0..<limit`.
    private static func indices(_ labels: Tensor, batch: Int, limit: Int) throws -> [Int] {
        try expect(labels, [batch], "class indices")
        return try labels.scalars.map { value in
            guard value.rounded() == value, value >= 0, value < Float(limit) else {
                throw ModelInputError("UNet2DConditionModel", "class label \(value) is not an index below num_class_embeds \(limit)")
            }
            return Int(value)
        }
    }
}
