import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_unet2d.py (diffusers 0.42.1 UNet2DConditionModel with random
// weights, stored as float16 values; weights under "weights.", inputs under "inputs.", outputs
// under "outputs."; the config beside it as unet2d_<name>.json).

/// A UNet fixture: its config, its weights and recorded tensors.
private struct UNetFixture {
    let config: UNet2DConditionModelConfig
    let store: WeightStore

    init(_ name: String) throws {
        config = try UNet2DConditionModelConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("unet2d_\(name).json"))
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet2d_\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor { try store.checkpoint.tensor(name) }
    func optional(_ name: String) throws -> Tensor? { store.checkpoint.entry(name) == nil ? nil : try tensor(name) }

    func model() throws -> UNet2DConditionModel { try UNet2DConditionModel(config: config, weights: store["weights"]) }

    /// Runs `unet` on the recorded inputs with sample `sampleKey`.
    func run(_ unet: UNet2DConditionModel, sample sampleKey: String = "inputs.sample") throws -> Tensor {
        let timesteps = try tensor("inputs.timesteps").scalars.map(Double.init)
        var added: UNetAddedConditions? = nil
        if let text = try optional("inputs.text_embeds") {
            added = UNetAddedConditions(textEmbeds: text, timeIds: try tensor("inputs.time_ids"))
        }
        return try unet(try tensor(sampleKey), timesteps: timesteps, encoderHiddenStates: try optional("inputs.encoder_hidden_states"),
                        classLabels: try optional("inputs.class_labels"), timestepCond: try optional("inputs.timestep_cond"),
                        addedConditions: added)
    }
}

private let cases = ["sd_two_blocks", "sd_three_blocks", "wide_three_blocks", "audioldm", "text_time", "variants",
                     "class_table", "class_projection"]

@Suite struct UNet2DConditionModelTests {
    /// Each configuration's prediction (and, where recorded, that of a sample whose size is not
    /// a multiple of the downsampling factor); no weight left unread.
    @Test(arguments: cases)
    func matchesDiffusers(_ name: String) throws {
        let f = try UNetFixture(name)
        let unet = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        expectClose(try f.run(unet), try f.tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "\(name) sample")
        if f.store.checkpoint.entry("inputs.odd_sample") != nil {
            expectClose(try f.run(unet, sample: "inputs.odd_sample"), try f.tensor("outputs.odd_sample"), abs: 1e-4, rel: 1e-4,
                        "\(name) odd-sized sample")
        }
    }

    /// The fixtures cover what the configs of SD 1.x/2.x and AudioLDM vary.
    @Test func fixturesCoverTheConfigFlags() throws {
        let two = try UNetFixture("sd_two_blocks").config, three = try UNetFixture("sd_three_blocks").config
        let wide = try UNetFixture("wide_three_blocks").config, audio = try UNetFixture("audioldm").config
        #expect(two.blockOutChannels.count == 2 && three.blockOutChannels.count == 3)
        #expect(two.attentionHeadDim == .int(2) && three.attentionHeadDim == .list([1, 2, 4]))
        #expect(!two.useLinearProjection && three.useLinearProjection && three.upcastAttention)
        #expect(wide.normNumGroups == 8 && wide.layersPerBlock == .list([1, 2, 1]) && !wide.flipSinToCos)
        #expect(audio.classEmbedType == "simple_projection" && audio.classEmbeddingsConcat)
        #expect(audio.crossAttentionDim == .list(audio.blockOutChannels))
        #expect(try UNetFixture("audioldm").store.checkpoint.entry("inputs.encoder_hidden_states") == nil)
    }

    /// Tests/Fixtures/tiny-sd/unet loads strictly from its folder and matches diffusers.
    @Test func tinySDFolderLoadsAndRuns() throws {
        let unet = try UNet2DConditionModel(folder: Fixtures.folder.appendingPathComponent("tiny-sd/unet"))
        let f = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet2d_tiny_sd.safetensors"))
        let sample = try f.checkpoint.tensor("inputs.sample"), context = try f.checkpoint.tensor("inputs.encoder_hidden_states")
        let timestep = Double(try f.checkpoint.tensor("inputs.timesteps").scalars[0])
        let out = try unet(sample, timestep: timestep, encoderHiddenStates: context)
        expectClose(out, try f.checkpoint.tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "tiny-sd unet")
    }

    /// One timestep for the batch equals the same timestep given per sample (to rounding: BLAS
    /// may split sums differently from one call to the next when other tests share the cores).
    @Test func scalarTimestepBroadcasts() throws {
        let f = try UNetFixture("sd_two_blocks")
        let unet = try f.model()
        let sample = try f.tensor("inputs.sample"), context = try f.tensor("inputs.encoder_hidden_states")
        let one = try unet(sample, timestep: 981, encoderHiddenStates: context)
        let each = try unet(sample, timesteps: [981, 981], encoderHiddenStates: context)
        expectClose(one, each, abs: 1e-6, rel: 1e-6, "scalar vs per-sample timesteps")
    }
}

@Suite struct UNet2DConditionModelLoadingTests {
    /// A checkpoint without one of the model's weights fails naming that key.
    @Test func missingWeightNamesTheKey() throws {
        let f = try UNetFixture("sd_two_blocks")
        let key = "weights.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"
        let store = try Self.store(f, dropping: key, adding: [:])
        let error = #expect(throws: SafeTensorsError.self) { try UNet2DConditionModel(config: f.config, weights: store["weights"]) }
        #expect(error?.reason.contains("missing weight \"\(key)\"") == true)
    }

    /// A weight the model does not read is an error from `finish`, naming the key.
    @Test func unusedWeightNamesTheKey() throws {
        let f = try UNetFixture("sd_two_blocks")
        let extra = "weights.down_blocks.0.attentions.0.transformer_blocks.0.attn2.norm_cross.weight"
        let store = try Self.store(f, dropping: nil, adding: [extra: Tensor(zeros: [12])])
        _ = try UNet2DConditionModel(config: f.config, weights: store["weights"])
        let error = #expect(throws: SafeTensorsError.self) { try store.finish(allowingUnused: ["inputs", "outputs"]) }
        #expect(error?.reason.contains("1 unused weight") == true && error?.reason.contains("\"\(extra)\"") == true)
    }

    /// A weight of the wrong shape fails naming the key and both shapes.
    @Test func misshapenWeightNamesTheKey() throws {
        let f = try UNetFixture("sd_two_blocks")
        let key = "weights.conv_in.weight"
        let store = try Self.store(f, dropping: key, adding: [key: Tensor(zeros: [8, 4, 1, 1])])
        let error = #expect(throws: SafeTensorsError.self) { try UNet2DConditionModel(config: f.config, weights: store["weights"]) }
        #expect(error?.reason.contains("\"\(key)\" has shape [8, 4, 1, 1], expected [8, 4, 3, 3]") == true)
    }

    /// Inputs the network cannot take are one-line errors.
    @Test func badInputsThrow() throws {
        let two = try UNetFixture("sd_two_blocks"), audio = try UNetFixture("audioldm")
        let unet = try two.model(), audioUNet = try audio.model()
        let sample = try two.tensor("inputs.sample"), context = try two.tensor("inputs.encoder_hidden_states")
        #expect(throws: ModelInputError.self) { try unet(sample, timestep: 1, encoderHiddenStates: nil) }
        #expect(throws: ModelInputError.self) { try unet(sample.reshaped([2, 2, 16, 8]), timestep: 1, encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) { try unet(sample, timesteps: [1, 2, 3], encoderHiddenStates: context) }
        #expect(throws: ModelInputError.self) {
            try unet(sample, timestep: 1, encoderHiddenStates: context.narrowed(axis: 2, start: 0, length: 8))
        }
        let audioSample = try audio.tensor("inputs.sample")
        #expect(throws: ModelInputError.self) { try audioUNet(audioSample, timestep: 1, encoderHiddenStates: nil) }
        #expect(throws: ModelInputError.self) {
            try audioUNet(audioSample, timestep: 1, encoderHiddenStates: nil, classLabels: Tensor(zeros: [2, 9]))
        }
    }

    /// The fixture's tensors as a new checkpoint, without `dropping` and with `adding`.
    private static func store(_ f: UNetFixture, dropping: String?, adding: [String: Tensor]) throws -> WeightStore {
        var tensors: [String: Tensor] = [:]
        for name in f.store.checkpoint.names where name != dropping { tensors[name] = try f.tensor(name) }
        tensors.merge(adding) { $1 }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unet2d-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensorsWriter.write(tensors.map { ($0.key, $0.value) }, to: url)
        return WeightStore(try Checkpoint(contentsOf: url))
    }
}
