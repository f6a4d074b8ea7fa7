import Foundation
import Networks
import SafeTensors
import Tensors

/// One whole-network benchmark of `diffuse-bench --models DIR`. `key` names the same case in
/// tools/bench/bench_models_torch.py, which makes the inputs (fixed seed) and the reference output.
struct ModelCase {
    let key: String
    let title: String
    /// Folders (relative to the models folder, or absolute) that must exist.
    let requires: [String]
    /// Forward passes per round and side (their median is the round's time).
    let runsPerRound: Int
    /// How the weights are held (`keep` for the fp16 cases).
    let halfPrecision: HalfPrecisionStorage
    /// Loads the network from `models` and returns one forward pass over the inputs in `io`.
    let prepare: (_ models: URL, _ io: SafeTensorsFile, _ halfPrecision: HalfPrecisionStorage) throws -> () throws -> Tensor
}

/// The model suite (issue 4 item 6, and the model-level targets of issues 5 and 6).
enum ModelSuite {
    /// The tiny random pipeline committed for the parity tests.
    static let tinyUNet = packageRoot.appendingPathComponent("Tests/Fixtures/tiny-sd/unet")

    /// All cases, in table order.
    static var all: [ModelCase] { [
        unet(key: "tiny_unet_64", title: "tiny-sd UNet, 8×8 latents, B=2", folder: tinyUNet.path, runs: 20),
        unet(key: "tiny_unet_256", title: "tiny-sd UNet, 32×32 latents, B=2", folder: tinyUNet.path, runs: 10),
        unet(key: "sd15_unet_256", title: "SD 1.5 UNet 256×256 (32×32 latents), B=2", folder: "sd15/unet", runs: 1),
        unet(key: "sd15_unet_512", title: "SD 1.5 UNet 512×512 (64×64 latents), B=2", folder: "sd15/unet", runs: 1),
        unet(key: "sd15_unet_512_fp16", title: "SD 1.5 UNet 512×512, B=2, fp16 weights kept half", folder: "sd15/unet",
             runs: 1, variant: "fp16", halfPrecision: .keep),
        ModelCase(key: "sd15_vae_decode_512", title: "SD 1.5 VAE decode 64×64 → 512×512, B=1", requires: ["sd15/vae"],
                  runsPerRound: 1, halfPrecision: .widen) { models, io, half in
            let vae = try loadVAE(models.appendingPathComponent("sd15/vae"), half)
            let latents = try io.tensor("latents")                                        // [1, 4, 64, 64]
            return { try vae.decode(latents) }
        },
        ModelCase(key: "sd15_text_encoder", title: "SD 1.5 CLIP text encoder, 77 tokens, B=2",
                  requires: ["sd15/text_encoder"], runsPerRound: 5, halfPrecision: .widen) { models, io, half in
            let folder = models.appendingPathComponent("sd15/text_encoder")
            let config = try CLIPTextConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
            let store = try WeightStore(contentsOf: folder, halfPrecision: half)
            let model = try CLIPTextModel(config: config, weights: store.root)
            try store.finish(allowingUnused: CLIPTextModel.ignoredKeys)
            let ids = try io.tensor("input_ids")                                          // [2, 77]
            let rows = (0..<ids.shape[0]).map { b in (0..<ids.shape[1]).map { Int(ids.scalars[b * ids.shape[1] + $0]) } }
            return { try model(inputIds: rows).lastHiddenState }
        },
        ModelCase(key: "audioldm_unet_5s", title: "AudioLDM-s-full-v2 UNet, 5 s ([8, 125, 16]), B=2",
                  requires: ["audioldm-s-full-v2-unet"], runsPerRound: 1, halfPrecision: .widen) { models, io, half in
            let model = try loadUNet(models.appendingPathComponent("audioldm-s-full-v2-unet"), variant: nil, half)
            let sample = try io.tensor("sample"), labels = try io.tensor("class_labels")
            let t = Double(try io.tensor("timestep").scalars[0])
            return { try model(sample, timestep: t, encoderHiddenStates: nil, classLabels: labels) }
        },
        ModelCase(key: "unet3d_8f", title: "text-to-video-ms-1.7b UNet3D, 8 frames 32×32, B=2",
                  requires: ["text-to-video-ms-1.7b-unet"], runsPerRound: 1, halfPrecision: .widen) { models, io, half in
            let model = try loadUNet3D(models.appendingPathComponent("text-to-video-ms-1.7b-unet"), half)
            let sample = try io.tensor("sample"), context = try io.tensor("encoder_hidden_states")  // [2, 4, 8, 32, 32]
            let t = Double(try io.tensor("timestep").scalars[0])
            return { try model(sample, timestep: t, encoderHiddenStates: context) }
        },
        // Issue 6's memory target: one TextToVideoSD denoising step at 16 frames 256×256 (the UNet3D
        // forward under guidance) and the VAE decode of the 16 frames, in one process. SD 1.5's VAE
        // stands in for text-to-video-ms's (same AutoencoderKL config). Diffuse decodes 4 frames at a
        // time (VideoAdapter's decodeBatchSize); diffusers' decode_latents decodes all 16 at once.
        ModelCase(key: "t2v_16f_256", title: "text-to-video-ms UNet3D 16 frames 32×32 B=2 + VAE decode 16×256×256",
                  requires: ["text-to-video-ms-1.7b-unet", "sd15/vae"], runsPerRound: 1, halfPrecision: .widen) { models, io, half in
            let unet = try loadUNet3D(models.appendingPathComponent("text-to-video-ms-1.7b-unet"), half)
            let vae = try loadVAE(models.appendingPathComponent("sd15/vae"), half)
            let sample = try io.tensor("sample"), context = try io.tensor("encoder_hidden_states")  // [2, 4, 16, 32, 32]
            let t = Double(try io.tensor("timestep").scalars[0])
            let (channels, frames, h, w) = (sample.shape[1], sample.shape[2], sample.shape[3], sample.shape[4])
            return {
                let noise = try unet(sample, timestep: t, encoderHiddenStates: context)           // [2, 4, 16, 32, 32]
                let latents = noise.narrowed(axis: 0, start: 0, length: 1).permuted([0, 2, 1, 3, 4])
                    .reshaped([frames, channels, h, w])                                           // [16, 4, 32, 32]
                return try vae.decode(latents, batchSize: 4)                                      // [16, 3, 256, 256]
            }
        },
    ] }

    static func loadUNet3D(_ folder: URL, _ half: HalfPrecisionStorage) throws -> UNet3DConditionModel {
        let config = try UNet3DConditionModelConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(contentsOf: folder, halfPrecision: half)
        let model = try UNet3DConditionModel(config: config, weights: store.root)
        try store.finish()
        return model
    }

    static func loadVAE(_ folder: URL, _ half: HalfPrecisionStorage) throws -> AutoencoderKL {
        let config = try AutoencoderKLConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(contentsOf: folder, halfPrecision: half)
        let vae = try AutoencoderKL(config: config, weights: store.root)
        try store.finish()
        return vae
    }

    /// A UNet2DConditionModel forward with a 77-token context; the latent size is in `key`'s inputs.
    static func unet(key: String, title: String, folder: String, runs: Int, variant: String? = nil,
                     halfPrecision: HalfPrecisionStorage = .widen) -> ModelCase {
        ModelCase(key: key, title: title, requires: [folder], runsPerRound: runs, halfPrecision: halfPrecision) { models, io, half in
            let url = folder.hasPrefix("/") ? URL(fileURLWithPath: folder) : models.appendingPathComponent(folder)
            let model = try loadUNet(url, variant: variant, half)
            let sample = try io.tensor("sample"), context = try io.tensor("encoder_hidden_states")
            let t = Double(try io.tensor("timestep").scalars[0])
            return { try model(sample, timestep: t, encoderHiddenStates: context) }
        }
    }

    static func loadUNet(_ folder: URL, variant: String?, _ half: HalfPrecisionStorage) throws -> UNet2DConditionModel {
        let config = try UNet2DConditionModelConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(contentsOf: folder, variant: variant, halfPrecision: half)
        let model = try UNet2DConditionModel(config: config, weights: store.root)
        try store.finish()
        return model
    }

    /// The repository root (this file is Sources/diffuse-bench/ModelBenchmarks.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Milliseconds to widen every half-precision weight of rank ≥ 2 in `folder` once, as a
    /// forward pass with `keep` does (nil when the checkpoint has none).
    static func halfWideningMilliseconds(_ folder: URL, variant: String?) throws -> Double? {
        let store = try WeightStore(contentsOf: folder, variant: variant, halfPrecision: .keep)
        let weights = try store.checkpoint.entries.filter { ($0.dtype == .F16 || $0.dtype == .BF16) && $0.shape.count >= 2 }
            .map { try store.root.weight($0.name, shape: $0.shape) }
        guard !weights.isEmpty else { return nil }
        return medianTime(warmup: 1, runs: 3) {
            for w in weights { w.withTensor { _ in } }
        } * 1e3
    }
}

/// The result of one case, measured in its own process (so each peak memory is that case's).
struct ModelResult: Codable {
    var key: String
    var loadSeconds: Double
    var milliseconds: Double
    var torchMilliseconds: Double
    var torchLoadSeconds: Double
    var maxAbsDifference: Double
    var maxAbsReference: Double
    var peakKiB: Int
    var torchPeakKiB: Int
    var parameters: Int
    var storedWeightMiB: Double
    var halfWideningMilliseconds: Double?
}

/// Runs case `key` in this process: PyTorch worker, load, check, alternate timings.
func runModelCase(_ key: String, models: URL, rounds: Int) throws -> ModelResult {
    guard let c = ModelSuite.all.first(where: { $0.key == key }) else { throw BenchError("unknown model case \(key)") }
    let io = models.appendingPathComponent("io-\(key).safetensors")
    let script = ModelSuite.packageRoot.appendingPathComponent("tools/bench/bench_models_torch.py")
    let torch = try ModelTorchWorker(script: script, models: models, key: key, io: io)
    let file = try SafeTensorsFile(contentsOf: io)
    let start = DispatchTime.now().uptimeNanoseconds
    let forward = try c.prepare(models, file, c.halfPrecision)
    let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let output = try forward()
    let reference = try file.tensor("output")
    guard output.shape == reference.shape else {
        throw BenchError("\(key): output \(output.shape), PyTorch \(reference.shape)")
    }
    var maxDifference: Float = 0, maxReference: Float = 0
    for (a, b) in zip(output.scalars, reference.scalars) {
        maxDifference = max(maxDifference, abs(a - b).isNaN ? .infinity : abs(a - b))
        maxReference = max(maxReference, abs(b))
    }
    var seconds = Double.infinity, torchMs = Double.infinity
    for _ in 0..<rounds {
        var failure: Error?
        seconds = min(seconds, medianTime(warmup: 0, runs: c.runsPerRound) {
            do { _ = try forward() } catch { failure = error }
        })
        if let failure { throw failure }
        torchMs = min(torchMs, try torch.milliseconds(runs: c.runsPerRound))
    }
    let torchPeak = try torch.finish()
    let peak = peakResidentKiB()
    let widening = c.halfPrecision == .keep
        ? try ModelSuite.halfWideningMilliseconds(URL(fileURLWithPath: c.requires[0], relativeTo: models), variant: "fp16") : nil
    let stored = try WeightStore(contentsOf: URL(fileURLWithPath: c.requires[0], relativeTo: models),
                                 variant: c.halfPrecision == .keep ? "fp16" : nil)
    let bytes = stored.checkpoint.entries.reduce(0) { $0 + Tensor.elementCount($1.shape) * ($1.dtype == .F32 ? 4 : 2) }
    try? FileManager.default.removeItem(at: io)
    return ModelResult(key: key, loadSeconds: loadSeconds, milliseconds: seconds * 1e3, torchMilliseconds: torchMs,
                       torchLoadSeconds: torch.header["load_s"] as? Double ?? .nan,
                       maxAbsDifference: Double(maxDifference), maxAbsReference: Double(maxReference),
                       peakKiB: peak, torchPeakKiB: torchPeak, parameters: torch.header["parameters"] as? Int ?? 0,
                       storedWeightMiB: Double(bytes) / 1_048_576, halfWideningMilliseconds: widening)
}
