import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_clip.py (transformers 5.23 CLIPTextModel / CLIPTextModelWithProjection
// with random weights; weights under "weights.", ids under "inputs.", outputs under "outputs.").

/// A CLIP fixture: its config (clip_<name>.json), its weights and recorded tensors.
private struct CLIPFixture {
    let config: CLIPTextConfig
    let store: WeightStore
    let inputIds: [[Int]]
    let attentionMask: [[Int]]?

    init(_ name: String) throws {
        let json = Fixtures.folder.appendingPathComponent("clip_\(name).json")
        config = try CLIPTextConfig.load(contentsOf: json)
        let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("clip_\(name).safetensors"))
        self.store = store
        inputIds = try Self.rows(store.checkpoint.tensor("inputs.input_ids"))
        attentionMask = store.checkpoint.entry("inputs.attention_mask") == nil ? nil
            : try Self.rows(store.checkpoint.tensor("inputs.attention_mask"))
    }

    func expected(_ name: String) throws -> Tensor { try store.checkpoint.tensor("outputs.\(name)") }

    func model() throws -> CLIPTextModel { try CLIPTextModel(config: config, weights: store["weights"]) }

    /// [B, L] ids stored as int64 (read as exact Floats) → B rows of Int.
    static func rows(_ t: Tensor) -> [[Int]] {
        let length = t.shape[1]
        return (0..<t.shape[0]).map { b in t.scalars[b * length..<(b + 1) * length].map { Int($0) } }
    }
}

@Suite struct CLIPTextModelTests {
    /// Every fixture: last_hidden_state, pooled output, each hidden state, clip_skip 1, text_embeds;
    /// and no weight left unread.
    @Test(arguments: ["quick", "gelu_projection", "legacy_prefix"])
    func matchesTransformers(_ name: String) throws {
        let f = try CLIPFixture(name)
        let model = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        let out = try model(inputIds: f.inputIds, attentionMask: f.attentionMask, outputHiddenStates: true)
        expectClose(out.lastHiddenState, try f.expected("last_hidden_state"), abs: 1e-4, "\(name) last_hidden_state")
        expectClose(out.pooledOutput, try f.expected("pooled"), abs: 1e-4, "\(name) pooled")
        #expect(out.hiddenStates.count == f.config.numHiddenLayers + 1)
        for (i, h) in out.hiddenStates.enumerated() {
            expectClose(h, try f.expected("hidden_states.\(i)"), abs: 1e-4, "\(name) hidden_states[\(i)]")
        }
        let skipped = try model.promptEmbeddings(inputIds: f.inputIds, attentionMask: f.attentionMask, clipSkip: 1)
        expectClose(skipped, try f.expected("clip_skip1"), abs: 1e-4, "\(name) clip_skip 1")
        if f.config.hasProjection {
            let embeds = try #require(out.textEmbeds)
            expectClose(embeds, try f.expected("text_embeds"), abs: 1e-4, "\(name) text_embeds")
        } else {
            #expect(out.textEmbeds == nil)
        }
    }

    /// The fixtures cover both pooling rules and both key layouts.
    @Test func fixturesCoverPoolingRulesAndLayouts() throws {
        let quick = try CLIPFixture("quick"), legacy = try CLIPFixture("gelu_projection")
        #expect(quick.config.eosTokenId == 99 && legacy.config.eosTokenId == 2)
        #expect(!quick.store["weights"]["text_model"].exists && legacy.store["weights"]["text_model"].exists)
        // Padding with eos: the first eos is pooled, not the last.
        #expect(quick.inputIds[0].filter { $0 == 99 }.count > 1)
    }

    /// promptEmbeddings: nil is last_hidden_state; 0 equals it too; the last layer count gives
    /// the embeddings through final_layer_norm; beyond is an error.
    @Test func clipSkipRange() throws {
        let f = try CLIPFixture("quick")
        let model = try f.model()
        let last = try f.expected("last_hidden_state")
        expectClose(try model.promptEmbeddings(inputIds: f.inputIds), last, abs: 1e-4, "clip_skip nil")
        expectClose(try model.promptEmbeddings(inputIds: f.inputIds, clipSkip: 0), last, abs: 1e-4, "clip_skip 0")
        #expect(throws: ModelInputError.self) { try model.promptEmbeddings(inputIds: f.inputIds, clipSkip: 3) }
        #expect(throws: ModelInputError.self) { try model.promptEmbeddings(inputIds: f.inputIds, clipSkip: -1) }
    }

    /// tiny-sd/text_encoder (transformers 5 layout, no prefix) loads from its folder and matches.
    @Test func tinySDTextEncoder() throws {
        let model = try CLIPTextModel(folder: tinySD.appendingPathComponent("text_encoder"))
        let reference = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("clip_tiny_sd.safetensors"))
        let ids = CLIPFixture.rows(try reference.checkpoint.tensor("inputs.input_ids"))
        #expect(ids[0].count == 77)
        let out = try model(inputIds: ids)
        expectClose(out.lastHiddenState, try reference.checkpoint.tensor("outputs.last_hidden_state"), abs: 1e-4, "tiny-sd last_hidden_state")
        expectClose(out.pooledOutput, try reference.checkpoint.tensor("outputs.pooled"), abs: 1e-4, "tiny-sd pooled")
        expectClose(try model.promptEmbeddings(inputIds: ids, clipSkip: 1),
                    try reference.checkpoint.tensor("outputs.clip_skip1"), abs: 1e-4, "tiny-sd clip_skip 1")
    }

    @Test func missingWeightNamesTheKey() throws {
        let f = try CLIPFixture("legacy_prefix")
        var config = f.config
        config.numHiddenLayers = 4        // the checkpoint has 3 layers
        let error = try #require(throws: SafeTensorsError.self) { try CLIPTextModel(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("missing weight \"weights.text_model.encoder.layers.3."), "\(error)")
    }

    @Test func wrongShapeNamesBothShapes() throws {
        let f = try CLIPFixture("quick")
        var config = f.config
        config.intermediateSize = 48
        let error = try #require(throws: SafeTensorsError.self) { try CLIPTextModel(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("weights.encoder.layers.0.mlp.fc1.weight") && error.reason.contains("[64, 32]")
                && error.reason.contains("[48, 32]"), "\(error)")
    }

    @Test func unusedWeightIsAnError() throws {
        let f = try CLIPFixture("gelu_projection")
        var config = f.config
        config.architectures = ["CLIPTextModel"]     // leaves text_projection unread
        _ = try CLIPTextModel(config: config, weights: f.store["weights"])
        let error = try #require(throws: SafeTensorsError.self) { try f.store.finish(allowingUnused: ["inputs", "outputs"]) }
        #expect(error.reason.contains("weights.text_projection.weight"), "\(error)")
    }

    @Test func badInputIsAnError() throws {
        let model = try CLIPFixture("quick").model()
        let cases: [([[Int]], String)] = [
            ([], "empty"),
            ([[1, 2], [1]], "one length"),
            ([[]], "1 to max_position_embeddings"),
            ([Array(repeating: 1, count: 78)], "1 to max_position_embeddings (77)"),
            ([[1, 100]], "input_ids[0][1] = 100 is outside the vocabulary 0..<100"),
            ([[-1]], "outside the vocabulary"),
        ]
        for (ids, message) in cases {
            let error = try #require(throws: ModelInputError.self) { try model(inputIds: ids) }
            #expect(error.description.hasPrefix("CLIPTextModel: ") && error.reason.contains(message), "\(error)")
        }
        #expect(throws: ModelInputError.self) { try model(inputIds: [[1, 2]], attentionMask: [[1]]) }
    }
}
