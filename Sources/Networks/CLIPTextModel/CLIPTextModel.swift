import Foundation
import NN
import SafeTensors
import Tensors

// Reference: transformers/models/clip/modeling_clip.py (5.23): CLIPTextEmbeddings, CLIPTextModel,
// CLIPTextModelWithProjection; diffusers StableDiffusionPipeline.encode_prompt for clip_skip.

/// The outputs of `CLIPTextModel`, transformers' `BaseModelOutputWithPooling` (plus
/// `CLIPTextModelOutput.text_embeds` for `CLIPTextModelWithProjection`).
public struct CLIPTextModelOutput: Sendable {
    /// `last_hidden_state`: the last layer's output through `final_layer_norm`, [B, L, D].
    public var lastHiddenState: Tensor
    /// `pooler_output`: `lastHiddenState` at each sequence's end-of-text token, [B, D].
    public var pooledOutput: Tensor
    /// `hidden_states` when requested: the embeddings, then each layer's output (before
    /// `final_layer_norm`), `num_hidden_layers + 1` tensors of [B, L, D]; empty otherwise.
    public var hiddenStates: [Tensor]
    /// `text_embeds`: `text_projection(pooledOutput)`, [B, projection_dim], for a model with
    /// projection; nil otherwise.
    public var textEmbeds: Tensor?
}

/// transformers `CLIPTextModel` (and `CLIPTextModelWithProjection` when the config's
/// `architectures` names it), `transformers/models/clip/modeling_clip.py`: the text encoder of
/// Stable Diffusion 1.x/2.x.
///
/// Token and position embeddings, `num_hidden_layers` pre-norm encoder layers with causal
/// self-attention, `final_layer_norm`, pooling at the end-of-text token. Weights are read from
/// a scope in either layout: keys under `text_model.` (SD 1.5/2.x checkpoints,
/// `CLIPTextModelWithProjection`) or without it (transformers 5 `save_pretrained` of a plain
/// `CLIPTextModel`); the layout is detected from the checkpoint.
public struct CLIPTextModel: Sendable {
    /// The config the model was built from.
    public let config: CLIPTextConfig
    let tokenEmbedding: Tensor       // [vocab, D]
    let positionEmbedding: Tensor    // [maxPositions, D]
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: LayerNorm
    let textProjection: Linear?  // [projection_dim, D], no bias

    /// Keys a checkpoint may hold that the model does not use (the `position_ids` buffer that
    /// older transformers versions saved).
    public static let ignoredKeys = ["text_model.embeddings.position_ids", "embeddings.position_ids"]

    /// Builds the model from `scope`, the scope of the whole text encoder checkpoint (its root, or
    /// the prefix under which it is stored). The body is read from `scope["text_model"]` when the
    /// checkpoint has keys there, else from `scope`; `text_projection` is read from `scope` when
    /// `config.hasProjection`. Throws naming the full key for a missing or misshapen weight.
    public init(config: CLIPTextConfig, weights scope: WeightScope) throws {
        try config.validate()
        self.config = config
        let body = scope["text_model"].exists ? scope["text_model"] : scope
        let d = config.hiddenSize
        tokenEmbedding = try body["embeddings"]["token_embedding"].tensor("weight", shape: [config.vocabSize, d])
        positionEmbedding = try body["embeddings"]["position_embedding"]
            .tensor("weight", shape: [config.maxPositionEmbeddings, d])
        let encoder = body["encoder"]["layers"]
        layers = try (0..<config.numHiddenLayers).map { try CLIPEncoderLayer(encoder[$0], config: config) }
        finalLayerNorm = try LayerNorm(body["final_layer_norm"], dim: d, eps: Float(config.layerNormEps))
        textProjection = config.hasProjection
            ? try Linear(scope["text_projection"], in: d, out: config.projectionDim, bias: false) : nil
    }

    /// Loads a `text_encoder/` folder: `config.json` and the safetensors weights (`loading` picks
    /// the variant, e.g. `model.fp16.safetensors`, and how half-precision weights are held).
    /// Strict: a missing, misshapen or unused weight (other than `ignoredKeys`) is an error naming
    /// the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try CLIPTextConfig.load(contentsOf: folder.appendingPathComponent(CLIPTextConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish(allowingUnused: Self.ignoredKeys)
    }

    /// The forward pass, `CLIPTextModel.forward(input_ids, attention_mask, output_hidden_states)`.
    ///
    /// - Parameters:
    ///   - inputIds: B sequences of the same length L, 1 ≤ L ≤ `max_position_embeddings`, each id
    ///     in `0..<vocab_size` (a tokenizer's padded output).
    ///   - attentionMask: optional B×L of 1 (attend) and 0 (padding), combined with the causal
    ///     mask as transformers' `create_causal_mask` does; diffusers passes it only when the
    ///     config sets `use_attention_mask`.
    ///   - outputHiddenStates: also return every layer's output.
    /// - Returns: the hidden states and the pooled output: with `eos_token_id == 2` (configs
    ///   written before transformers PR #24773) or nil, at the position of the largest id in
    ///   each sequence; otherwise at the first position holding `eos_token_id` (position 0 when
    ///   a sequence has none, as torch's argmax of all zeros).
    public func callAsFunction(inputIds: [[Int]], attentionMask: [[Int]]? = nil,
                               outputHiddenStates: Bool = false) throws -> CLIPTextModelOutput {
        var hiddenStates: [Tensor] = []
        let last = try encode(inputIds, attentionMask: attentionMask, layerCount: layers.count) {
            if outputHiddenStates { hiddenStates.append($0) }
        }
        let lastHiddenState = finalLayerNorm(last)                         // [B, L, D]
        let pooled = pool(lastHiddenState, inputIds: inputIds)             // [B, D]
        return CLIPTextModelOutput(lastHiddenState: lastHiddenState, pooledOutput: pooled,
                                   hiddenStates: hiddenStates, textEmbeds: textProjection.map { $0(pooled) })
    }

    /// The prompt embeddings diffusers' `StableDiffusionPipeline.encode_prompt` computes: with
    /// `clipSkip` nil, `last_hidden_state`; otherwise `final_layer_norm(hidden_states[-(clipSkip + 1)])`
    /// (clipSkip 1 uses the penultimate layer; only the layers needed are run).
    /// `clipSkip` must lie in `0...num_hidden_layers`. Returns [B, L, D].
    public func promptEmbeddings(inputIds: [[Int]], attentionMask: [[Int]]? = nil, clipSkip: Int? = nil) throws -> Tensor {
        guard let clipSkip else { return try self(inputIds: inputIds, attentionMask: attentionMask).lastHiddenState }
        guard (0...layers.count).contains(clipSkip) else {
            throw ModelInputError("CLIPTextModel", "clip_skip \(clipSkip) is outside 0...\(layers.count) (the model has \(layers.count) layers)")
        }
        let hidden = try encode(inputIds, attentionMask: attentionMask, layerCount: layers.count - clipSkip) { _ in }
        return finalLayerNorm(hidden)                                      // [B, L, D]
    }

    /// Embeddings and the first `layerCount` layers; `observe` sees the embeddings and each
    /// layer's output. Returns the last of them, [B, L, D].
    private func encode(_ inputIds: [[Int]], attentionMask: [[Int]]?, layerCount: Int,
                        observe: (Tensor) -> Void) throws -> Tensor {
        let (batch, length) = try checkIds(inputIds)
        let mask = try attentionMask.map { try keepMask($0, batch: batch, length: length) }
        var h = embed(inputIds, length: length)                            // [B, L, D]
        observe(h)
        for layer in layers.prefix(layerCount) {
            h = layer(h, mask: mask)
            observe(h)
        }
        return h
    }

    /// Validates the ids; returns (B, L).
    private func checkIds(_ ids: [[Int]]) throws -> (Int, Int) {
        guard let first = ids.first else { throw ModelInputError("CLIPTextModel", "input_ids is empty (no sequence)") }
        let length = first.count
        let limit = config.maxPositionEmbeddings
        for (b, row) in ids.enumerated() {
            guard row.count == length else {
                throw ModelInputError("CLIPTextModel", "input_ids[\(b)] has \(row.count) tokens but input_ids[0] has \(length); pad the batch to one length")
            }
            guard length >= 1, length <= limit else {
                throw ModelInputError("CLIPTextModel", "input_ids[\(b)] has \(length) tokens; the model takes 1 to max_position_embeddings (\(limit))")
            }
            if let bad = row.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelInputError("CLIPTextModel", "input_ids[\(b)][\(bad)] = \(row[bad]) is outside the vocabulary 0..<\(config.vocabSize)")
            }
        }
        return (ids.count, length)
    }

    /// The attention mask as a `keep` mask broadcast over heads and queries, [B, 1, 1, L].
    private func keepMask(_ mask: [[Int]], batch: Int, length: Int) throws -> AttentionMask {
        guard mask.count == batch, mask.allSatisfy({ $0.count == length }) else {
            throw ModelInputError("CLIPTextModel", "attention_mask must be \(batch)×\(length) like input_ids")
        }
        return .keep(Tensor(shape: [batch, 1, 1, length], scalars: mask.flatMap { $0.map { $0 == 0 ? 0 : 1 } }))
    }

    /// `CLIPTextEmbeddings`: token_embedding[ids] + position_embedding[0..<L], [B, L, D].
    private func embed(_ ids: [[Int]], length: Int) -> Tensor {
        let d = config.hiddenSize
        return Tensor(shape: [ids.count, length, d]) { out in
            tokenEmbedding.scalars.withUnsafeBufferPointer { tok in
                positionEmbedding.scalars.withUnsafeBufferPointer { pos in
                    for (b, row) in ids.enumerated() {
                        for (l, id) in row.enumerated() {
                            let dst = out.baseAddress! + (b &* length &+ l) &* d
                            let t = tok.baseAddress! + id &* d, p = pos.baseAddress! + l &* d
                            for j in 0..<d { dst[j] = t[j] + p[j] }
                        }
                    }
                }
            }
        }
    }

    /// The pooled rows of `hidden` [B, L, D] → [B, D] (see `callAsFunction`).
    private func pool(_ hidden: Tensor, inputIds: [[Int]]) -> Tensor {
        let d = config.hiddenSize, length = hidden.shape[1]
        let positions = inputIds.map { row -> Int in
            if let eos = config.eosTokenId, eos != 2 { return row.firstIndex(of: eos) ?? 0 }
            let largest = row.max() ?? 0
            return row.firstIndex(of: largest) ?? 0
        }
        var rows: [Float] = []
        rows.reserveCapacity(inputIds.count * d)
        for (b, p) in positions.enumerated() {
            let start = (b * length + p) * d
            rows.append(contentsOf: hidden.scalars[start..<start + d])
        }
        return Tensor(shape: [inputIds.count, d], scalars: rows)
    }
}
