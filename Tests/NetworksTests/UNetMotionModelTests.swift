import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_unet_motion.py (diffusers 0.42.1 UNetMotionModel with random weights,
// stored as float16 values; weights under "weights.", inputs under "inputs.", outputs under
// "outputs."; the config beside it as unet_motion_<name>.json). Besides `inputs.sample`, each fixture
// records other runs `inputs.<run>` → `outputs.<run>` (1, 5 or 8 frames, a size that is not a multiple
// of the downsampling factor) with the same timestep and context, and `inputs.per_frame_context`, the
// context repeated per frame as AnimateDiffPipeline passes it. "variants" stores no positional tables.

/// A UNetMotionModel fixture: its config, its weights and recorded tensors.
private struct MotionFixture {
    let name: String
    let config: UNetMotionModelConfig
    let store: WeightStore

    init(_ name: String) throws {
        self.name = name
        config = try UNetMotionModelConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("unet_motion_\(name).json"))
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet_motion_\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor { try store.checkpoint.tensor(name) }
    func optional(_ name: String) throws -> Tensor? { store.checkpoint.entry(name) == nil ? nil : try tensor(name) }

    func model() throws -> UNetMotionModel { try UNetMotionModel(config: config, weights: store["weights"]) }

    /// The names of the recorded runs: "sample" and the extra ones.
    var runs: [String] {
        let fixed: Set = ["inputs.timesteps", "inputs.encoder_hidden_states", "inputs.timestep_cond",
                          "inputs.per_frame_context"]
        return store.checkpoint.names.filter { $0.hasPrefix("inputs.") && !fixed.contains($0) }
            .map { String($0.dropFirst("inputs.".count)) }.sorted()
    }

    /// Runs `unet` on recorded input `inputs.<run>` with the context `[B, L, D]` (or `context`).
    func run(_ unet: UNetMotionModel, _ run: String = "sample", context: Tensor? = nil) throws -> Tensor {
        try unet(try tensor("inputs.\(run)"), timestep: Double(try tensor("inputs.timesteps").scalars[0]),
                 encoderHiddenStates: try context ?? tensor("inputs.encoder_hidden_states"),
                 timestepCond: try optional("inputs.timestep_cond"))
    }

    /// The weights without their "weights." prefix (a `unet/` folder's checkpoint).
    func weights() throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for name in store.checkpoint.names where name.hasPrefix("weights.") {
            tensors[String(name.dropFirst("weights.".count))] = try tensor(name)
        }
        return tensors
    }
}

private let cases = ["two_blocks", "variants", "no_motion_mid"]

/// A checkpoint of `tensors` in a temporary file.
private func store(_ tensors: [String: Tensor]) throws -> WeightStore {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("unet-motion-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensorsWriter.write(tensors.map { ($0.key, $0.value) }, to: url)
    return WeightStore(try Checkpoint(contentsOf: url))
}

@Suite struct UNetMotionModelTests {
    /// Each configuration's prediction for every recorded run, with the context per video and per
    /// frame; no weight left unread.
    @Test(arguments: cases)
    func matchesDiffusers(_ name: String) throws {
        let f = try MotionFixture(name)
        let unet = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        #expect(f.runs.count >= 2)
        for run in f.runs {
            expectClose(try f.run(unet, run), try f.tensor("outputs.\(run)"), abs: 1e-4, rel: 1e-4, "\(name) \(run)")
        }
        expectClose(try f.run(unet, context: try f.tensor("inputs.per_frame_context")), try f.tensor("outputs.sample"),
                    abs: 1e-4, rel: 1e-4, "\(name) with the context per frame")
    }

    /// The fixtures cover what the config varies, and the positional tables both stored and computed.
    @Test func fixturesCoverTheConfig() throws {
        let two = try MotionFixture("two_blocks"), variants = try MotionFixture("variants")
        let plainMid = try MotionFixture("no_motion_mid")
        #expect(two.config.blockOutChannels.count == 2 && variants.config.blockOutChannels.count == 3)
        #expect(two.config.layersPerBlock == 1 && variants.config.layersPerBlock == 2)
        #expect(variants.config.headsPerBlock == [2, 4, 2] && variants.config.motionHeadsPerBlock == [4, 2, 2])
        #expect(variants.config.useLinearProjection && variants.config.midBlockLayers == 2)
        #expect(variants.config.transformerLayersPerBlock == 2 && variants.config.temporalTransformerLayersPerBlock == 2)
        #expect(variants.config.actFn == "mish" && variants.config.timeCondProjDim == 3 && variants.config.downsamplePadding == 0)
        #expect(!plainMid.config.useMotionMidBlock && two.config.motionMaxSeqLength == 8)
        #expect(try two.weights().keys.contains { $0.hasSuffix("pos_embed.pe") })
        #expect(try !variants.weights().keys.contains { $0.hasSuffix("pos_embed.pe") })
        let frames = try [two, variants, plainMid].flatMap { f in try f.runs.map { try f.tensor("inputs.\($0)").shape[2] } }
        #expect(Set(frames).isSuperset(of: [1, 2, 3, 4, 5, 8]))
        #expect(try variants.tensor("inputs.odd_size").shape.suffix(2) == [7, 5])
    }

    /// The parameter count the config implies equals the checkpoint's (positional tables are buffers).
    @Test(arguments: cases)
    func parameterCountMatchesTheWeights(_ name: String) throws {
        let f = try MotionFixture(name)
        let stored = try f.weights().filter { !$0.key.hasSuffix("pos_embed.pe") }.values.reduce(0) { $0 + $1.count }
        #expect(try f.config.estimatedParameterCount() == stored)
    }

    /// A `unet/` folder (config.json and diffusion_pytorch_model.safetensors) loads strictly and runs.
    @Test func folderLoadsAndRuns() throws {
        let f = try MotionFixture("two_blocks")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unet-motion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Fixtures.folder.appendingPathComponent("unet_motion_two_blocks.json"),
                                         to: folder.appendingPathComponent("config.json"))
        try SafeTensorsWriter.write(try f.weights().map { ($0.key, $0.value) },
                                    to: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let unet = try UNetMotionModel(folder: folder)
        expectClose(try f.run(unet), try f.tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "two_blocks from a folder")
    }
}

@Suite struct UNetMotionModelLoadingTests {
    /// A checkpoint without one of the model's weights fails naming that key.
    @Test(arguments: ["down_blocks.0.motion_modules.0.proj_in.weight",
                      "mid_block.motion_modules.0.transformer_blocks.0.attn2.to_v.weight",
                      "up_blocks.1.motion_modules.1.transformer_blocks.0.ff.net.0.proj.bias"])
    func missingWeightNamesTheKey(_ key: String) throws {
        let f = try MotionFixture("two_blocks")
        var weights = try f.weights()
        #expect(weights[key] != nil)
        weights[key] = nil
        let error = #expect(throws: SafeTensorsError.self) { try UNetMotionModel(config: f.config, weights: try store(weights).root) }
        #expect(error?.reason.contains("missing weight \"\(key)\"") == true, "\(error?.reason ?? "no error")")
    }

    /// A positional table of the wrong length fails naming the key.
    @Test func misshapenPositionsNameTheKey() throws {
        let f = try MotionFixture("two_blocks")
        var weights = try f.weights()
        let key = "down_blocks.1.motion_modules.0.transformer_blocks.0.pos_embed.pe"
        weights[key] = Tensor(zeros: [1, 4, 16])
        let error = #expect(throws: SafeTensorsError.self) { try UNetMotionModel(config: f.config, weights: try store(weights).root) }
        #expect(error?.reason.contains("\"\(key)\" has shape [1, 4, 16], expected [1, 8, 16]") == true,
                "\(error?.reason ?? "no error")")
    }

    /// Unsupported options and impossible head counts are one-line config errors.
    @Test func unsupportedConfigsThrow() throws {
        let json = try String(contentsOf: Fixtures.folder.appendingPathComponent("unet_motion_two_blocks.json"), encoding: .utf8)
        func decode(_ replacing: String, _ with: String) throws -> UNetMotionModelConfig {
            try JSONDecoder().decode(UNetMotionModelConfig.self, from: Data(json.replacingOccurrences(of: replacing, with: with).utf8))
        }
        let hid = try decode("\"encoder_hid_dim\": null", "\"encoder_hid_dim\": 8")
        #expect(throws: ConfigError.self) { try hid.validate() }
        let oddHeads = try decode("\"motion_num_attention_heads\": 2", "\"motion_num_attention_heads\": 8")  // 8 / 8 = 1 wide
        #expect(throws: ConfigError.self) { try oddHeads.validate() }
        let indivisible = try decode("\"num_attention_heads\": 2", "\"num_attention_heads\": 3")
        #expect(throws: ConfigError.self) { try indivisible.validate() }
    }

    /// Inputs the network cannot take are one-line errors, among them more frames than the positions cover.
    @Test func badInputsThrow() throws {
        let f = try MotionFixture("two_blocks")
        let unet = try f.model()
        let sample = try f.tensor("inputs.sample"), context = try f.tensor("inputs.encoder_hidden_states")
        #expect(throws: ModelInputError.self) { try unet(sample.reshaped([2, 4, 3, 64]), timestep: 1, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample, timesteps: [1, 2, 3], encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample, timestep: .nan, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) {
            try unet(sample, timestep: 1, encoderHiddenStates: context.narrowed(axis: 0, start: 0, length: 1))
        }
        let nine = Tensor(zeros: [1, 4, 9, 4, 4])
        let error = #expect(throws: ModelInputError.self) {
            try unet(nine, timestep: 1, encoderHiddenStates: context.narrowed(axis: 0, start: 0, length: 1))
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("motion_max_seq_length"))
    }
}
