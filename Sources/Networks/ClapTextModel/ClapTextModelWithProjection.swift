import Foundation
import NN
import SafeTensors
import Tensors

// Reference: transformers/models/clap/modeling_clap.py (5.23): ClapTextEmbeddings, ClapTextModel,
// ClapTextPooler, ClapTextModelWithProjection; diffusers AudioLDMPipeline._encode_prompt
// (pipelines/deprecated/audioldm/pipeline_audioldm.py) for the normalised prompt embeddings.

/// The outputs of `ClapTextModelWithProjection`: transformers' `ClapTextModelOutput`
/// (`transformers/models/clap/modeling_clap.py`) plus the inner `ClapTextModel`'s `pooler_output`.
public struct ClapTextModelOutput: Sendable {
    /// `last_hidden_state`: the last encoder layer's output, [B, L, D].
    public var lastHiddenState: Tensor
    /// `pooler_output` of the inner `ClapTextModel`: `tanh(pooler.dense(h[:, 0]))`, [B, D].
    public var pooledOutput: Tensor
    /// `text_embeds`: `text_projection(pooledOutput)`, [B, projection_dim] (not normalised).
    public var textEmbeds: Tensor
}

/// transformers `ClapTextModelWithProjection` (`transformers/models/clap/modeling_clap.py`): CLAP's
/// RoBERTa text tower with its projection, the text encoder of diffusers' AudioLDM.
///
/// Word, position and token-type embeddings with a LayerNorm (`ClapTextEmbeddings`, positions
/// numbered from `pad_token_id + 1` over the non-padding tokens, as
/// `create_position_ids_from_input_ids`), `num_hidden_layers` post-norm BERT layers with
/// bidirectional self-attention under the attention mask, the pooler (`tanh(dense(h[:, 0]))`)
/// and `text_projection` (`linear2(relu(linear1(pooled)))`).
///
/// Weights are the keys `save_pretrained` writes: `text_model.embeddings.*`,
/// `text_model.encoder.layer.{i}.*`, `text_model.pooler.dense.*`, `text_projection.linear{1,2}.*`.
public struct ClapTextModelWithProjection: Sendable {
    /// The config the model was built from.
    public let config: ClapTextConfig
    let wordEmbeddings: Tensor       // [vocab, D]
    let positionEmbeddings: Tensor   // [maxPositions, D]
    let tokenTypeEmbedding: Tensor   // [D]: row 0 of token_type_embeddings
    let embeddingNorm: LayerNorm
    let layers: [BertLayer]
    let pooler: Linear
    let textProjection: ClapProjectionLayer

    /// The int64 buffers `save_pretrained` writes beside the weights (`position_ids`, an arange,
    /// and `token_type_ids`, zeros), which the model does not read.
    public static let ignoredKeys = ["text_model.embeddings.position_ids", "text_model.embeddings.token_type_ids"]

    /// Builds the model from `scope`, the scope of the whole text encoder checkpoint (its root or
    /// the prefix it is stored under). Throws naming the full key for a missing or misshapen weight.
    public init(config: ClapTextConfig, weights scope: WeightScope) throws {
        try config.validate()
        self.config = config
        let d = config.hiddenSize
        let body = scope["text_model"], embeddings = body["embeddings"]
        wordEmbeddings = try embeddings["word_embeddings"].tensor("weight", shape: [config.vocabSize, d])
        positionEmbeddings = try embeddings["position_embeddings"].tensor("weight", shape: [config.maxPositionEmbeddings, d])
        let types = try embeddings["token_type_embeddings"].tensor("weight", shape: [config.typeVocabSize, d])
        tokenTypeEmbedding = Tensor(shape: [d], scalars: Array(types.scalars[0..<d]))
        embeddingNorm = try LayerNorm(embeddings["LayerNorm"], dim: d, eps: Float(config.layerNormEps))
        let encoder = body["encoder"]["layer"]
        layers = try (0..<config.numHiddenLayers).map { try BertLayer(encoder[$0], config: config) }
        pooler = try Linear(body["pooler"]["dense"], in: d, out: d)
        textProjection = try ClapProjectionLayer(scope["text_projection"], config: config)
    }

    /// Loads a `text_encoder/` folder: `config.json` and the safetensors weights (`loading` picks
    /// the variant, e.g. `model.fp16.safetensors`, and how half-precision weights are held).
    /// Strict: a missing, misshapen or unused weight (other than `ignoredKeys`) is an error naming
    /// the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try ClapTextConfig.load(contentsOf: folder.appendingPathComponent(ClapTextConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root)
        try store.finish(allowingUnused: Self.ignoredKeys)
    }

    /// The forward pass, `ClapTextModelWithProjection.forward(input_ids, attention_mask)`.
    ///
    /// - Parameters:
    ///   - inputIds: B sequences of the same length L (a tokenizer's padded output), each id in
    ///     `0..<vocab_size`, with `L` non-padding tokens at most `config.maxSequenceLength`.
    ///   - attentionMask: optional B×L of 1 (attend) and 0 (padding); all ones when nil (as
    ///     transformers). Each row must attend to at least one token.
    public func callAsFunction(inputIds: [[Int]], attentionMask: [[Int]]? = nil) throws -> ClapTextModelOutput {
        let (batch, length) = try checkIds(inputIds)
        let mask = try attentionMask.map { try keepMask($0, batch: batch, length: length) }
        var h = embed(inputIds, length: length)                               // [B, L, D]
        for layer in layers { h = layer(h, mask: mask) }
        let d = config.hiddenSize
        let first = Tensor(shape: [batch, d]) { out in                        // h[:, 0], [B, D]
            h.scalars.withUnsafeBufferPointer { ph in
                for b in 0..<batch {
                    (out.baseAddress! + b &* d).update(from: ph.baseAddress! + b &* length &* d, count: d)
                }
            }
        }
        let pooled = pooler(first).tanh()                                     // [B, D]
        return ClapTextModelOutput(lastHiddenState: h, pooledOutput: pooled, textEmbeds: textProjection(pooled))
    }

    /// The prompt embeddings of diffusers' `AudioLDMPipeline._encode_prompt`:
    /// `F.normalize(text_embeds, dim=-1)` (each row divided by max(‖row‖, 1e-12)),
    /// [B, projection_dim].
    public func promptEmbeddings(inputIds: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        let embeds = try self(inputIds: inputIds, attentionMask: attentionMask).textEmbeds   // [B, P]
        let width = embeds.shape[1]
        return Tensor(shape: embeds.shape) { out in
            embeds.scalars.withUnsafeBufferPointer { pe in
                for b in 0..<embeds.shape[0] {
                    let row = pe.baseAddress! + b &* width, dst = out.baseAddress! + b &* width
                    var sum: Float = 0
                    for j in 0..<width { sum += row[j] * row[j] }
                    let inverse = 1 / Swift.max(sum.squareRoot(), 1e-12)
                    for j in 0..<width { dst[j] = row[j] * inverse }
                }
            }
        }
    }

    /// Validates the ids; returns (B, L).
    private func checkIds(_ ids: [[Int]]) throws -> (Int, Int) {
        guard let first = ids.first else { throw ModelInputError("ClapTextModelWithProjection", "input_ids is empty (no sequence)") }
        let length = first.count, limit = config.maxSequenceLength
        for (b, row) in ids.enumerated() {
            guard row.count == length else {
                throw ModelInputError("ClapTextModelWithProjection", "input_ids[\(b)] has \(row.count) tokens but input_ids[0] has \(length); pad the batch to one length")
            }
            guard length >= 1 else { throw ModelInputError("ClapTextModelWithProjection", "input_ids[\(b)] has no tokens") }
            if let bad = row.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelInputError("ClapTextModelWithProjection", "input_ids[\(b)][\(bad)] = \(row[bad]) is outside the vocabulary 0..<\(config.vocabSize)")
            }
            let tokens = row.count { $0 != config.padTokenId }
            guard tokens <= limit else {
                throw ModelInputError("ClapTextModelWithProjection", "input_ids[\(b)] has \(tokens) tokens that are not padding; the model takes at most \(limit) (max_position_embeddings \(config.maxPositionEmbeddings) − pad_token_id − 1)")
            }
        }
        return (ids.count, length)
    }

    /// The attention mask as a `keep` mask broadcast over heads and queries, [B, 1, 1, L].
    private func keepMask(_ mask: [[Int]], batch: Int, length: Int) throws -> AttentionMask {
        guard mask.count == batch, mask.allSatisfy({ $0.count == length }) else {
            throw ModelInputError("ClapTextModelWithProjection", "attention_mask must be \(batch)×\(length) like input_ids")
        }
        if let empty = mask.firstIndex(where: { $0.allSatisfy { $0 == 0 } }) {
            throw ModelInputError("ClapTextModelWithProjection", "attention_mask[\(empty)] masks every token")
        }
        return .keep(Tensor(shape: [batch, 1, 1, length], scalars: mask.flatMap { $0.map { $0 == 0 ? 0 : 1 } }))
    }

    /// `ClapTextEmbeddings`: LayerNorm(word[ids] + token_type[0] + position[positions]), [B, L, D],
    /// with `create_position_ids_from_input_ids`: padding tokens take position `pad_token_id`,
    /// the others `pad_token_id + ` their 1-based rank among the non-padding tokens.
    private func embed(_ ids: [[Int]], length: Int) -> Tensor {
        let d = config.hiddenSize, pad = config.padTokenId
        let summed = Tensor(shape: [ids.count, length, d]) { out in
            wordEmbeddings.scalars.withUnsafeBufferPointer { word in
                positionEmbeddings.scalars.withUnsafeBufferPointer { position in
                    tokenTypeEmbedding.scalars.withUnsafeBufferPointer { type in
                        for (b, row) in ids.enumerated() {
                            var rank = 0
                            for (l, id) in row.enumerated() {
                                if id != pad { rank += 1 }
                                let positionId = id == pad ? pad : pad + rank
                                let dst = out.baseAddress! + (b &* length &+ l) &* d
                                let w = word.baseAddress! + id &* d, p = position.baseAddress! + positionId &* d
                                for j in 0..<d { dst[j] = (w[j] + type[j]) + p[j] }
                            }
                        }
                    }
                }
            }
        }
        return embeddingNorm(summed)
    }
}
