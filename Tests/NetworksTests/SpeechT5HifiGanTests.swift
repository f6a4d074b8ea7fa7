import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_hifigan.py (transformers 5.23 SpeechT5HifiGan with random weights,
// saved by save_pretrained; weights under "weights.", spectrograms under "inputs.", waveforms
// under "outputs."; config beside it as hifigan_<name>.json).

/// A HiFi-GAN fixture: its config, its weights and recorded tensors.
private struct HifiGanFixture {
    let config: SpeechT5HifiGanConfig
    let store: WeightStore

    init(_ name: String) throws {
        config = try SpeechT5HifiGanConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("hifigan_\(name).json"))
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("hifigan_\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor { try store.checkpoint.tensor(name) }

    func model() throws -> SpeechT5HifiGan { try SpeechT5HifiGan(config: config, weights: store["weights"]) }
}

@Suite struct SpeechT5HifiGanTests {
    /// Batched and unbatched waveforms of every fixture (normalize_before on and off, leaky slope
    /// 0.1 and 0.2, odd upsampling, weight-norm parametrizations), and no weight left unread.
    @Test(arguments: ["normalized", "plain", "weight_norm"])
    func matchesTransformers(_ name: String) throws {
        let f = try HifiGanFixture(name)
        let model = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        let spectrogram = try f.tensor("inputs.spectrogram")                 // [2, 10, 8]
        let waveform = try model(spectrogram)
        expectClose(waveform, try f.tensor("outputs.waveform"), abs: 1e-5, "\(name) waveform")
        #expect(waveform.shape == [2, model.sampleCount(frames: 10)])
        let unbatched = try model(try f.tensor("inputs.unbatched"))          // [7, 8]
        expectClose(unbatched, try f.tensor("outputs.unbatched"), abs: 1e-5, "\(name) unbatched waveform")
        #expect(unbatched.shape == [model.sampleCount(frames: 7)])
    }

    /// The fixtures cover what they claim: normalize_before both ways, plain weights and
    /// weight-norm factors; the hop length is the product of the rates.
    @Test func fixturesCoverTheLayouts() throws {
        let normalized = try HifiGanFixture("normalized"), plain = try HifiGanFixture("plain")
        let weightNorm = try HifiGanFixture("weight_norm")
        #expect(normalized.config.normalizeBefore && !plain.config.normalizeBefore)
        #expect(plain.config.leakyReluSlope == 0.2 && normalized.config.leakyReluSlope == 0.1)
        #expect(normalized.store["weights"]["conv_pre"].contains("weight"))
        #expect(!weightNorm.store["weights"]["conv_pre"].contains("weight"))
        #expect(weightNorm.store["weights"]["conv_pre"]["parametrizations"]["weight"].contains("original0"))
        // The gains differ from ‖v‖, so a fold that ignored g would not match.
        let parametrized = weightNorm.store["weights"]["conv_pre"]["parametrizations"]["weight"]
        let g = try parametrized.tensor("original0"), v = try parametrized.tensor("original1")   // [16, 1, 1], [16, 8, 7]
        let norm = v.scalars[0..<56].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(Swift.abs(g.scalars[0] - norm) > 1e-3 * norm)
        #expect(try normalized.model().sampleCount(frames: 10) == 10 * normalized.config.hopLength)
        #expect(normalized.config.hopLength == 16 && weightNorm.config.hopLength == 6)
    }

    /// The exact parameter count equals the floats stored for the plain-weight fixtures.
    @Test(arguments: ["normalized", "plain"])
    func parameterCountMatchesTheCheckpoint(_ name: String) throws {
        let f = try HifiGanFixture(name)
        let stored = f.store.checkpoint.names.filter { $0.hasPrefix("weights.") }
            .compactMap { f.store.checkpoint.entry($0) }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(try f.config.estimatedParameterCount() == stored)
    }

    /// `init(folder:)` reads config.json and model.safetensors as save_pretrained writes them.
    @Test func loadsAFolder() throws {
        let f = try HifiGanFixture("weight_norm")
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let json = try String(contentsOf: Fixtures.folder.appendingPathComponent("hifigan_weight_norm.json"), encoding: .utf8)
        try scratch.write(json, to: "vocoder/config.json")
        let weights = try f.store.checkpoint.names.filter { $0.hasPrefix("weights.") }
            .map { (String($0.dropFirst(8)), try f.tensor($0)) }
        try SafeTensorsWriter.write(weights, to: scratch.url.appendingPathComponent("vocoder/model.safetensors"))
        let model = try SpeechT5HifiGan(folder: scratch.url.appendingPathComponent("vocoder"))
        expectClose(try model(try f.tensor("inputs.spectrogram")), try f.tensor("outputs.waveform"), abs: 1e-5, "folder waveform")
    }

    @Test func missingWeightNamesTheKey() throws {
        let f = try HifiGanFixture("normalized")
        var config = f.config
        config.upsampleRates = [4, 4, 2]                 // the checkpoint has two upsamplers
        config.upsampleKernelSizes = [8, 8, 4]
        let error = try #require(throws: SafeTensorsError.self) { try SpeechT5HifiGan(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("missing weight \"weights.upsampler.2.weight\""), "\(error)")
    }

    @Test func wrongShapeNamesBothShapes() throws {
        let f = try HifiGanFixture("plain")
        var config = f.config
        config.upsampleInitialChannel = 32               // conv_pre is [16, 8, 7] in the checkpoint
        let error = try #require(throws: SafeTensorsError.self) { try SpeechT5HifiGan(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("weights.conv_pre.weight") && error.reason.contains("[16, 8, 7]")
                && error.reason.contains("[32, 8, 7]"), "\(error)")
    }

    @Test func badSpectrogramIsAnError() throws {
        let model = try HifiGanFixture("normalized").model()
        for shape in [[2, 10, 9], [10], [0, 8], [2, 0, 8], [1, 2, 10, 8]] {
            let input = Tensor(zeros: shape)
            let error = try #require(throws: ModelInputError.self) { try model(input) }
            #expect(error.description.hasPrefix("SpeechT5HifiGan: spectrogram has shape \(shape)"), "\(error)")
        }
    }

    @Test func invalidConfigNamesTheField() throws {
        let cases: [(String, String)] = [
            (#"{"upsample_rates": [4, 4], "upsample_kernel_sizes": [8]}"#, "upsample_kernel_sizes"),
            (#"{"upsample_rates": [4, 8], "upsample_kernel_sizes": [8, 4]}"#, "upsample_kernel_sizes[1]"),
            (#"{"upsample_initial_channel": 8}"#, "upsample_initial_channel"),
            (#"{"resblock_kernel_sizes": [4], "resblock_dilation_sizes": [[1]]}"#, "resblock_dilation_sizes[0][0]"),
            (#"{"resblock_kernel_sizes": [3, 5]}"#, "resblock_dilation_sizes"),
            (#"{"model_in_dim": 0}"#, "model_in_dim"),
        ]
        for (json, field) in cases {
            let error = try #require(throws: ConfigError.self) { try SpeechT5HifiGanConfig.decode(Data(json.utf8), path: "vocoder/config.json") }
            #expect(error.field == field && error.path == "vocoder/config.json", "\(error)")
        }
        let defaults = try SpeechT5HifiGanConfig.decode(Data("{}".utf8), path: "config.json")
        #expect(defaults.modelInDim == 80 && defaults.hopLength == 256 && defaults.normalizeBefore)
    }
}
