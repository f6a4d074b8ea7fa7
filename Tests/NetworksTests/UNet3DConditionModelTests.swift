import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_unet3d.py (diffusers 0.42.1 UNet3DConditionModel with random weights,
// stored as float16 values; weights under "weights.", inputs under "inputs.", outputs under
// "outputs."; the config beside it as unet3d_<name>.json). Besides `inputs.sample`, some fixtures
// record other runs `inputs.<run>` → `outputs.<run>` (1 frame, 5 frames, a size that is not a
// multiple of the downsampling factor) with the same timestep and context.

/// A UNet3D fixture: its config, its weights and recorded tensors.
private struct UNet3DFixture {
    let name: String
    let config: UNet3DConditionModelConfig
    let store: WeightStore

    init(_ name: String) throws {
        self.name = name
        config = try UNet3DConditionModelConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("unet3d_\(name).json"))
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet3d_\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor { try store.checkpoint.tensor(name) }
    func optional(_ name: String) throws -> Tensor? { store.checkpoint.entry(name) == nil ? nil : try tensor(name) }

    func model() throws -> UNet3DConditionModel { try UNet3DConditionModel(config: config, weights: store["weights"]) }

    /// The names of the recorded runs: "sample" and the extra ones.
    var runs: [String] {
        let fixed: Set = ["inputs.timesteps", "inputs.encoder_hidden_states", "inputs.timestep_cond"]
        return store.checkpoint.names.filter { $0.hasPrefix("inputs.") && !fixed.contains($0) }
            .map { String($0.dropFirst("inputs.".count)) }.sorted()
    }

    /// Runs `unet` on recorded input `inputs.<run>`.
    func run(_ unet: UNet3DConditionModel, _ run: String = "sample") throws -> Tensor {
        try unet(try tensor("inputs.\(run)"), timestep: Double(try tensor("inputs.timesteps").scalars[0]),
                 encoderHiddenStates: try tensor("inputs.encoder_hidden_states"),
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

private let cases = ["two_blocks", "three_blocks", "variants"]

/// A temporary folder, removed when the test ends.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("unet3d-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A checkpoint of `tensors` in a temporary file.
private func store(_ tensors: [String: Tensor]) throws -> WeightStore {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("unet3d-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensorsWriter.write(tensors.map { ($0.key, $0.value) }, to: url)
    return WeightStore(try Checkpoint(contentsOf: url))
}

@Suite struct UNet3DConditionModelTests {
    /// Each configuration's prediction for every recorded run; no weight left unread.
    @Test(arguments: cases)
    func matchesDiffusers(_ name: String) throws {
        let f = try UNet3DFixture(name)
        let unet = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        #expect(f.runs.count >= 2)
        for run in f.runs {
            expectClose(try f.run(unet, run), try f.tensor("outputs.\(run)"), abs: 1e-4, rel: 1e-4, "\(name) \(run)")
        }
    }

    /// The fixtures cover what the config varies: 2 and 3 levels, 1 and several layers, 1 to 5
    /// frames, sizes that are not a multiple of the downsampling factor, widths and activations.
    @Test func fixturesCoverTheConfig() throws {
        let two = try UNet3DFixture("two_blocks"), three = try UNet3DFixture("three_blocks")
        let variants = try UNet3DFixture("variants")
        #expect(two.config.blockOutChannels.count == 2 && three.config.blockOutChannels.count == 3)
        #expect(two.config.layersPerBlock == 1 && three.config.layersPerBlock == 2)
        #expect(Set([two, three, variants].map(\.config.attentionHeadDim)) == [2, 4])
        #expect(Set([two, three, variants].map(\.config.crossAttentionDim)).count == 3)
        #expect(variants.config.actFn == "mish" && variants.config.timeCondProjDim == 3 && variants.config.downsamplePadding == 0)
        let frames = try [two, three, variants].flatMap { f in try f.runs.map { try f.tensor("inputs.\($0)").shape[2] } }
        #expect(Set(frames).isSuperset(of: [1, 2, 3, 4, 5]))
        #expect(try three.tensor("inputs.odd_size").shape.suffix(2) == [7, 5])
    }

    /// A `unet/` folder (config.json and diffusion_pytorch_model.safetensors) loads strictly and runs.
    @Test func folderLoadsAndRuns() throws {
        let f = try UNet3DFixture("two_blocks")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Fixtures.folder.appendingPathComponent("unet3d_two_blocks.json"),
                                         to: folder.appendingPathComponent("config.json"))
        try SafeTensorsWriter.write(try f.weights().map { ($0.key, $0.value) },
                                    to: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let unet = try UNet3DConditionModel(folder: folder)
        expectClose(try f.run(unet), try f.tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "two_blocks from a folder")
    }

    /// One timestep for the batch equals the same timestep given per video (to rounding: BLAS may
    /// split sums differently from one call to the next).
    @Test func scalarTimestepBroadcasts() throws {
        let f = try UNet3DFixture("two_blocks")
        let unet = try f.model()
        let sample = try f.tensor("inputs.sample"), context = try f.tensor("inputs.encoder_hidden_states")
        let one = try unet(sample, timestep: 981, encoderHiddenStates: context)
        let each = try unet(sample, timesteps: [981, 981], encoderHiddenStates: context)
        expectClose(one, each, abs: 1e-6, rel: 1e-6, "scalar vs per-video timesteps")
    }
}

@Suite struct UNet3DConditionModelLoadingTests {
    /// A checkpoint without one of the model's weights fails naming that key.
    @Test(arguments: ["transformer_in.proj_in.weight", "down_blocks.0.temp_convs.0.conv4.3.bias",
                      "mid_block.temp_attentions.0.transformer_blocks.0.attn2.to_v.weight"])
    func missingWeightNamesTheKey(_ key: String) throws {
        let f = try UNet3DFixture("two_blocks")
        var weights = try f.weights()
        weights[key] = nil
        let error = #expect(throws: SafeTensorsError.self) { try UNet3DConditionModel(config: f.config, weights: try store(weights).root) }
        #expect(error?.reason.contains("missing weight \"\(key)\"") == true, "\(error?.reason ?? "no error")")
    }

    /// A weight of the wrong shape fails naming the key and both shapes.
    @Test func misshapenWeightNamesTheKey() throws {
        let f = try UNet3DFixture("two_blocks")
        var weights = try f.weights()
        let key = "up_blocks.1.temp_convs.0.conv2.3.weight"
        weights[key] = Tensor(zeros: [8, 8, 1, 1, 1])
        let error = #expect(throws: SafeTensorsError.self) { try UNet3DConditionModel(config: f.config, weights: try store(weights).root) }
        #expect(error?.reason.contains("\"\(key)\" has shape [8, 8, 1, 1, 1], expected [8, 8, 3, 1, 1]") == true,
                "\(error?.reason ?? "no error")")
    }

    /// A weight the model does not read makes loading a folder fail, naming the key.
    @Test func unusedWeightNamesTheKey() throws {
        let f = try UNet3DFixture("two_blocks")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Fixtures.folder.appendingPathComponent("unet3d_two_blocks.json"),
                                         to: folder.appendingPathComponent("config.json"))
        var weights = try f.weights()
        let extra = "down_blocks.1.attentions.0.norm.weight"          // DownBlock3D has no attentions
        weights[extra] = Tensor(zeros: [16])
        try SafeTensorsWriter.write(weights.map { ($0.key, $0.value) },
                                    to: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let error = #expect(throws: SafeTensorsError.self) { try UNet3DConditionModel(folder: folder) }
        #expect(error?.reason.contains("\"\(extra)\"") == true, "\(error?.reason ?? "no error")")
    }

    /// Inputs the network cannot take are one-line errors.
    @Test func badInputsThrow() throws {
        let two = try UNet3DFixture("two_blocks"), variants = try UNet3DFixture("variants")
        let unet = try two.model(), conditioned = try variants.model()
        let sample = try two.tensor("inputs.sample"), context = try two.tensor("inputs.encoder_hidden_states")
        #expect(throws: ModelInputError.self) { try unet(sample.reshaped([2, 4, 3, 64]), timestep: 1, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample.reshaped([2, 2, 6, 8, 8]), timestep: 1, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample, timesteps: [1, 2, 3], encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample, timestep: .nan, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) {
            try unet(sample, timestep: 1, encoderHiddenStates: context.narrowed(axis: 2, start: 0, length: 8))
        }
        #expect(throws: ModelInputError.self) {
            try unet(sample, timestep: 1, encoderHiddenStates: context.narrowed(axis: 0, start: 0, length: 1))
        }
        #expect(throws: ModelInputError.self) { try unet(sample, timestep: 1, encoderHiddenStates: context, timestepCond: Tensor(zeros: [2, 3])) }
        let variantSample = try variants.tensor("inputs.sample"), variantContext = try variants.tensor("inputs.encoder_hidden_states")
        #expect(throws: ModelInputError.self) { try conditioned(variantSample, timestep: 1, encoderHiddenStates: variantContext) }
    }
}
