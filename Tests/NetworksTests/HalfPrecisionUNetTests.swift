import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

/// Tests/Fixtures/tiny-sd/unet rewritten with F16 weights (as a published `fp16` variant is) in
/// a temporary folder; removed by `remove()`.
private struct HalfUNetFolder {
    let url: URL

    init(dtype: DType) throws {
        let source = Fixtures.folder.appendingPathComponent("tiny-sd/unet")
        url = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-half-unet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let checkpoint = try Checkpoint(contentsOf: source)
        let tensors = try checkpoint.names.map { ($0, try checkpoint.tensor($0)) }
        try SafeTensorsWriter.write(tensors, dtype: dtype, to: url.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: url.appendingPathComponent("config.json"))
    }

    func model(_ halfPrecision: HalfPrecisionStorage) throws -> UNet2DConditionModel {
        let config = try UNet2DConditionModelConfig.load(contentsOf: url.appendingPathComponent("config.json"))
        let store = try WeightStore(contentsOf: url, halfPrecision: halfPrecision)
        #expect(store.halfPrecision == halfPrecision)
        let model = try UNet2DConditionModel(config: config, weights: store.root)
        try store.finish()
        return model
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

@Suite struct HalfPrecisionUNetTests {
    /// A UNet whose F16/BF16 weights are kept in half precision and widened per layer call gives
    /// the output of the same UNet widened on load (the kernels see identical Float32 values).
    @Test(arguments: [DType.F16, .BF16]) func keptHalfWeightsMatchWideningOnLoad(dtype: DType) throws {
        let folder = try HalfUNetFolder(dtype: dtype)
        defer { folder.remove() }
        let f = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet2d_tiny_sd.safetensors"))
        let sample = try f.checkpoint.tensor("inputs.sample"), context = try f.checkpoint.tensor("inputs.encoder_hidden_states")
        let timestep = Double(try f.checkpoint.tensor("inputs.timesteps").scalars[0])
        let kept = try folder.model(.keep)(sample, timestep: timestep, encoderHiddenStates: context)
        let widened = try folder.model(.widen)(sample, timestep: timestep, encoderHiddenStates: context)
        expectClose(kept, widened, abs: 1e-6, rel: 1e-6, "tiny-sd unet \(dtype): kept vs widened on load")
        // Rounding the weights to half precision moves the output only a little from diffusers' Float32 one.
        expectClose(kept, try f.checkpoint.tensor("outputs.sample"), abs: dtype == .F16 ? 2e-2 : 1e-1, rel: 0.1,
                    "tiny-sd unet \(dtype) vs Float32 reference")
    }
}
