import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_clap.py (transformers 5.23 ClapTextModelWithProjection with random
// weights, saved by save_pretrained; weights under "weights.", ids and mask under "inputs.",
// outputs under "outputs."; config beside it as clap_<name>.json).

/// A CLAP text fixture: its config, its weights and recorded tensors.
private struct ClapFixture {
    let config: ClapTextConfig
    let store: WeightStore
    let inputIds: [[Int]]
    let attentionMask: [[Int]]

    init(_ name: String) throws {
        config = try ClapTextConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("clap_\(name).json"))
        let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("clap_\(name).safetensors"))
        self.store = store
        inputIds = Self.rows(try store.checkpoint.tensor("inputs.input_ids"))
        attentionMask = Self.rows(try store.checkpoint.tensor("inputs.attention_mask"))
    }

    func expected(_ name: String) throws -> Tensor { try store.checkpoint.tensor("outputs.\(name)") }

    func model() throws -> ClapTextModelWithProjection { try ClapTextModelWithProjection(config: config, weights: store["weights"]) }

    /// [B, L] ids stored as int64 (read as exact Floats) → B rows of Int.
    static func rows(_ t: Tensor) -> [[Int]] {
        let length = t.shape[1]
        return (0..<t.shape[0]).map { b in t.scalars[b * length..<(b + 1) * length].map { Int($0) } }
    }

    static let allowed = ["inputs", "outputs"] + ClapTextModelWithProjection.ignoredKeys.map { "weights." + $0 }
}

@Suite struct ClapTextModelTests {
    /// last_hidden_state, pooler output, text_embeds and AudioLDM's normalised prompt embeddings,
    /// with padding under the attention mask; no weight left unread but the int64 buffers.
    @Test(arguments: ["small", "wide"])
    func matchesTransformers(_ name: String) throws {
        let f = try ClapFixture(name)
        let model = try f.model()
        try f.store.finish(allowingUnused: ClapFixture.allowed)
        let out = try model(inputIds: f.inputIds, attentionMask: f.attentionMask)
        expectClose(out.lastHiddenState, try f.expected("last_hidden_state"), abs: 1e-4, rel: 1e-4, "\(name) last_hidden_state")
        expectClose(out.pooledOutput, try f.expected("pooled"), abs: 1e-4, "\(name) pooled")
        expectClose(out.textEmbeds, try f.expected("text_embeds"), abs: 1e-4, rel: 1e-4, "\(name) text_embeds")
        let prompt = try model.promptEmbeddings(inputIds: f.inputIds, attentionMask: f.attentionMask)
        expectClose(prompt, try f.expected("prompt_embeds"), abs: 1e-4, "\(name) prompt_embeds")
    }

    /// The fixtures pad (so the mask and the padding-aware positions matter) and use two
    /// padding ids (positions from 2 and from 1).
    @Test func fixturesCoverPaddingAndBuffers() throws {
        let small = try ClapFixture("small"), wide = try ClapFixture("wide")
        #expect(small.config.padTokenId == 1 && wide.config.padTokenId == 0)
        #expect(small.attentionMask.contains { $0.contains(0) } && small.attentionMask.contains { !$0.contains(0) })
        #expect(small.inputIds[1].last == small.config.padTokenId)
        for key in ClapTextModelWithProjection.ignoredKeys { #expect(small.store["weights"].contains(key)) }
        #expect(wide.config.hiddenAct == "gelu_new" && wide.config.typeVocabSize == 2)
    }

    /// The exact parameter count equals the floats stored (the int64 buffers aside).
    @Test(arguments: ["small", "wide"])
    func parameterCountMatchesTheCheckpoint(_ name: String) throws {
        let f = try ClapFixture(name)
        let stored = f.store.checkpoint.names
            .filter { $0.hasPrefix("weights.") && !ClapTextModelWithProjection.ignoredKeys.contains(String($0.dropFirst(8))) }
            .compactMap { f.store.checkpoint.entry($0) }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(try f.config.estimatedParameterCount() == stored)
    }

    /// `init(folder:)` reads config.json and model.safetensors as save_pretrained writes them
    /// (the int64 buffers included) and leaves nothing unread.
    @Test func loadsAFolder() throws {
        let f = try ClapFixture("small")
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let json = try String(contentsOf: Fixtures.folder.appendingPathComponent("clap_small.json"), encoding: .utf8)
        try scratch.write(json, to: "text_encoder/config.json")
        let weights = try f.store.checkpoint.names.filter { $0.hasPrefix("weights.") }
            .map { (String($0.dropFirst(8)), try f.store.checkpoint.tensor($0)) }
        try SafeTensorsWriter.write(weights, to: scratch.url.appendingPathComponent("text_encoder/model.safetensors"))
        let model = try ClapTextModelWithProjection(folder: scratch.url.appendingPathComponent("text_encoder"))
        let out = try model(inputIds: f.inputIds, attentionMask: f.attentionMask)
        expectClose(out.textEmbeds, try f.expected("text_embeds"), abs: 1e-4, rel: 1e-4, "folder text_embeds")
    }

    @Test func missingWeightNamesTheKey() throws {
        let f = try ClapFixture("small")
        var config = f.config
        config.numHiddenLayers = 3        // the checkpoint has 2 layers
        let error = try #require(throws: SafeTensorsError.self) { try ClapTextModelWithProjection(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("missing weight \"weights.text_model.encoder.layer.2."), "\(error)")
    }

    @Test func unreadWeightIsAnError() throws {
        let f = try ClapFixture("small")
        _ = try f.model()
        let error = try #require(throws: SafeTensorsError.self) { try f.store.finish(allowingUnused: ["inputs", "outputs"]) }
        #expect(error.reason.contains("weights.text_model.embeddings.position_ids"), "\(error)")
    }

    @Test func badInputIsAnError() throws {
        let f = try ClapFixture("small")
        let model = try f.model()
        let tooLong = [0] + Array(repeating: 5, count: f.config.maxSequenceLength)     // 1 + 38 tokens
        let cases: [([[Int]], [[Int]]?, String)] = [
            ([], nil, "empty"),
            ([[0, 5], [0]], nil, "one length"),
            ([[]], nil, "no tokens"),
            ([tooLong], nil, "at most 38"),
            ([[0, 100]], nil, "input_ids[0][1] = 100 is outside the vocabulary 0..<100"),
            ([[-1]], nil, "outside the vocabulary"),
            ([[0, 5]], [[1]], "attention_mask must be 1×2"),
            ([[0, 5], [0, 1]], [[1, 1], [0, 0]], "attention_mask[1] masks every token"),
        ]
        for (ids, mask, message) in cases {
            let error = try #require(throws: ModelInputError.self) { try model(inputIds: ids, attentionMask: mask) }
            #expect(error.description.hasPrefix("ClapTextModelWithProjection: ") && error.reason.contains(message), "\(error)")
        }
        _ = try model(inputIds: [[0] + Array(repeating: 5, count: f.config.maxSequenceLength - 1)])
    }

    @Test func invalidConfigNamesTheField() throws {
        let cases: [(String, String)] = [
            (#"{"hidden_size": 30, "num_attention_heads": 4}"#, "hidden_size"),
            (#"{"hidden_act": "tanh"}"#, "hidden_act"),
            (#"{"projection_hidden_act": "softplus"}"#, "projection_hidden_act"),
            (#"{"pad_token_id": 60000}"#, "pad_token_id"),
            (#"{"max_position_embeddings": 2, "pad_token_id": 1}"#, "pad_token_id"),
            (#"{"type_vocab_size": 0}"#, "type_vocab_size"),
        ]
        for (json, field) in cases {
            let error = try #require(throws: ConfigError.self) { try ClapTextConfig.decode(Data(json.utf8), path: "text_encoder/config.json") }
            #expect(error.field == field, "\(error)")
        }
        let defaults = try ClapTextConfig.decode(Data("{}".utf8), path: "config.json")
        #expect(defaults.maxSequenceLength == 512 && defaults.projectionHiddenAct == "relu")
    }
}
