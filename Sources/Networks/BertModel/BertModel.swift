import Foundation
import NN
import SafeTensors
import Tensors

// Reference: transformers/models/bert/modeling_bert.py (5.23): BertEmbeddings, BertEncoder,
// BertPooler, BertModel; sentence-transformers' models/Pooling.py (mean pooling).

/// The outputs of `BertModel`: transformers' `BaseModelOutputWithPoolingAndCrossAttentions`.
public struct BertModelOutput: Sendable {
    /// `last_hidden_state`: the last encoder layer's output, [B, L, D].
    public var lastHiddenState: Tensor
    /// `pooler_output`: `tanh(pooler.dense(h[:, 0]))`, [B, D]; nil for a model without a pooler.
    public var poolerOutput: Tensor?
}

/// transformers `BertModel` (`transformers/models/bert/modeling_bert.py`, 5.23), the encoder:
/// all-MiniLM-L6-v2, the default models' text encoder, is one.
///
/// `BertEmbeddings`: LayerNorm(word_embeddings[ids] + token_type_embeddings[token_type_ids] +
/// position_embeddings[0..<L]) (absolute positions from 0, whatever the padding); then
/// `num_hidden_layers` post-norm `BertLayer`s with bidirectional self-attention in which the
/// padding keys (attention mask 0) are masked out; then, when the model has one, `BertPooler`.
///
/// Weights are the keys `BertModel.save_pretrained` writes: `embeddings.*`,
/// `encoder.layer.{i}.*`, `pooler.dense.*` (at the root: checkpoints of BERT with a task head,
/// whose keys start with `bert.`, are not read). The int64 `embeddings.position_ids` and
/// `embeddings.token_type_ids` buffers that older files carry are allowed and not read.
///
/// Limitations: encoder only (no decoder, cross-attention or key/value cache), absolute
/// position embeddings only (as transformers 5.23), no `inputs_embeds`.
public struct BertModel: Sendable {
    /// The config the model was built from.
    public let config: BertConfig
    let wordEmbeddings: Tensor       // [vocab, D]
    let positionEmbeddings: Tensor   // [maxPositions, D]
    let tokenTypeEmbeddings: Tensor  // [typeVocab, D]
    let embeddingNorm: LayerNorm
    let layers: [BertLayer]
    let pooler: Linear?

    /// The int64 buffers older `save_pretrained` files carry beside the weights (`position_ids`,
    /// an arange, and `token_type_ids`, zeros), which the model does not read.
    public static let ignoredKeys = ["embeddings.position_ids", "embeddings.token_type_ids"]

    /// Whether the model has `BertPooler` (`add_pooling_layer`).
    public var hasPooler: Bool { pooler != nil }

    /// Builds the model from `scope`, the root of a `BertModel` checkpoint. `addPoolingLayer`
    /// is transformers' argument of the same name (true: `pooler.dense` is required). Throws
    /// naming the full key for a missing or misshapen weight.
    public init(config: BertConfig, weights scope: WeightScope, addPoolingLayer: Bool = true) throws {
        try config.validate()
        self.config = config
        let d = config.hiddenSize
        let embeddings = scope["embeddings"]
        wordEmbeddings = try embeddings["word_embeddings"].tensor("weight", shape: [config.vocabSize, d])
        positionEmbeddings = try embeddings["position_embeddings"].tensor("weight", shape: [config.maxPositionEmbeddings, d])
        tokenTypeEmbeddings = try embeddings["token_type_embeddings"].tensor("weight", shape: [config.typeVocabSize, d])
        embeddingNorm = try LayerNorm(embeddings["LayerNorm"], dim: d, eps: Float(config.layerNormEps))
        let encoder = scope["encoder"]["layer"]
        layers = try (0..<config.numHiddenLayers).map { try BertLayer(encoder[$0], config: config) }
        pooler = addPoolingLayer ? try Linear(scope["pooler"]["dense"], in: d, out: d) : nil
    }

    /// Loads a model folder: `config.json` and the safetensors weights (`loading` picks the
    /// variant, e.g. `model.fp16.safetensors`, and how half-precision weights are held). The pooler
    /// is read when the checkpoint has `pooler.dense.weight` (all-MiniLM-L6-v2 has it). Strict: a
    /// missing, misshapen or unused weight (other than `ignoredKeys`) is an error naming the key.
    public init(folder: URL, loading: WeightLoading = WeightLoading()) throws {
        let config = try BertConfig.load(contentsOf: folder.appendingPathComponent(BertConfig.fileName))
        let store = try WeightStore(contentsOf: folder, loading: loading)
        try self.init(config: config, weights: store.root, addPoolingLayer: store.root.contains("pooler.dense.weight"))
        try store.finish(allowingUnused: Self.ignoredKeys)
    }

    /// The forward pass, `BertModel.forward(input_ids, attention_mask, token_type_ids)`.
    ///
    /// - Parameters:
    ///   - inputIds: B sequences of the same length L (a tokenizer's padded output), 1 ≤ L ≤
    ///     `max_position_embeddings`, each id in `0..<vocab_size`.
    ///   - attentionMask: optional B×L of 1 (attend) and 0 (padding); all ones when nil (as
    ///     transformers). Each row must attend to at least one token.
    ///   - tokenTypeIds: optional B×L segment ids in `0..<type_vocab_size`; zeros when nil.
    public func callAsFunction(inputIds: [[Int]], attentionMask: [[Int]]? = nil,
                               tokenTypeIds: [[Int]]? = nil) throws -> BertModelOutput {
        let (batch, length) = try checkIds(inputIds)
        let mask = try attentionMask.map { try keepMask($0, batch: batch, length: length) }
        if let types = tokenTypeIds { try checkTokenTypes(types, batch: batch, length: length) }
        var h = embed(inputIds, tokenTypes: tokenTypeIds, length: length)    // [B, L, D]
        for layer in layers { h = layer(h, mask: mask) }
        guard let pooler else { return BertModelOutput(lastHiddenState: h, poolerOutput: nil) }
        let d = config.hiddenSize
        let first = Tensor(shape: [batch, d]) { out in                        // h[:, 0], [B, D]
            h.scalars.withUnsafeBufferPointer { ph in
                for b in 0..<batch {
                    (out.baseAddress! + b &* d).update(from: ph.baseAddress! + b &* length &* d, count: d)
                }
            }
        }
        return BertModelOutput(lastHiddenState: h, poolerOutput: pooler(first).tanh())
    }

    /// sentence-transformers' mean pooling (`Pooling(pooling_mode_mean_tokens=True)`, the
    /// sentence embedding of all-MiniLM-L6-v2 before its `Normalize`): for each sequence, the sum
    /// of the hidden states of the tokens with mask 1 divided by `max(count, 1e-9)`.
    /// `hiddenStates` [B, L, D] and `attentionMask` B×L → [B, D].
    public static func meanPooling(_ hiddenStates: Tensor, attentionMask: [[Int]]) -> Tensor {
        let (batch, length, d) = (hiddenStates.shape[0], hiddenStates.shape[1], hiddenStates.shape[2])
        precondition(attentionMask.count == batch && attentionMask.allSatisfy { $0.count == length },
                     "meanPooling: attention mask must be \(batch)×\(length)")
        return Tensor(shape: [batch, d]) { out in
            hiddenStates.scalars.withUnsafeBufferPointer { ph in
                for b in 0..<batch {
                    let dst = out.baseAddress! + b &* d
                    dst.initialize(repeating: 0, count: d)
                    var count: Float = 0
                    for (l, keep) in attentionMask[b].enumerated() where keep != 0 {
                        let row = ph.baseAddress! + (b &* length &+ l) &* d
                        for j in 0..<d { dst[j] += row[j] }
                        count += 1
                    }
                    let scale = 1 / Swift.max(count, 1e-9)
                    for j in 0..<d { dst[j] *= scale }
                }
            }
        }
    }

    /// Validates the ids; returns (B, L).
    private func checkIds(_ ids: [[Int]]) throws -> (Int, Int) {
        guard let first = ids.first else { throw ModelInputError("BertModel", "input_ids is empty (no sequence)") }
        let length = first.count
        for (b, row) in ids.enumerated() {
            guard row.count == length else {
                throw ModelInputError("BertModel", "input_ids[\(b)] has \(row.count) tokens but input_ids[0] has \(length); pad the batch to one length")
            }
            guard length >= 1 else { throw ModelInputError("BertModel", "input_ids[\(b)] has no tokens") }
            guard length <= config.maxPositionEmbeddings else {
                throw ModelInputError("BertModel", "input_ids[\(b)] has \(length) tokens, more than max_position_embeddings (\(config.maxPositionEmbeddings))")
            }
            if let bad = row.firstIndex(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelInputError("BertModel", "input_ids[\(b)][\(bad)] = \(row[bad]) is outside the vocabulary 0..<\(config.vocabSize)")
            }
        }
        return (ids.count, length)
    }

    private func checkTokenTypes(_ types: [[Int]], batch: Int, length: Int) throws {
        guard types.count == batch, types.allSatisfy({ $0.count == length }) else {
            throw ModelInputError("BertModel", "token_type_ids must be \(batch)×\(length) like input_ids")
        }
        for (b, row) in types.enumerated() {
            if let bad = row.firstIndex(where: { $0 < 0 || $0 >= config.typeVocabSize }) {
                throw ModelInputError("BertModel", "token_type_ids[\(b)][\(bad)] = \(row[bad]) is outside 0..<type_vocab_size \(config.typeVocabSize)")
            }
        }
    }

    /// The attention mask as a `keep` mask broadcast over heads and queries, [B, 1, 1, L].
    private func keepMask(_ mask: [[Int]], batch: Int, length: Int) throws -> AttentionMask {
        guard mask.count == batch, mask.allSatisfy({ $0.count == length }) else {
            throw ModelInputError("BertModel", "attention_mask must be \(batch)×\(length) like input_ids")
        }
        if let empty = mask.firstIndex(where: { $0.allSatisfy { $0 == 0 } }) {
            throw ModelInputError("BertModel", "attention_mask[\(empty)] masks every token")
        }
        return .keep(Tensor(shape: [batch, 1, 1, length], scalars: mask.flatMap { $0.map { $0 == 0 ? 0 : 1 } }))
    }

    /// `BertEmbeddings`: LayerNorm((word[ids] + token_type[types]) + position[l]), [B, L, D].
    private func embed(_ ids: [[Int]], tokenTypes: [[Int]]?, length: Int) -> Tensor {
        let d = config.hiddenSize
        let summed = Tensor(shape: [ids.count, length, d]) { out in
            wordEmbeddings.scalars.withUnsafeBufferPointer { word in
                positionEmbeddings.scalars.withUnsafeBufferPointer { position in
                    tokenTypeEmbeddings.scalars.withUnsafeBufferPointer { type in
                        for (b, row) in ids.enumerated() {
                            for (l, id) in row.enumerated() {
                                let t = tokenTypes?[b][l] ?? 0
                                let dst = out.baseAddress! + (b &* length &+ l) &* d
                                let w = word.baseAddress! + id &* d, p = position.baseAddress! + l &* d
                                let s = type.baseAddress! + t &* d
                                for j in 0..<d { dst[j] = (w[j] + s[j]) + p[j] }
                            }
                        }
                    }
                }
            }
        }
        return embeddingNorm(summed)
    }
}
