import ArgumentParser
import DiffusionCore
import Foundation
import PipelineComponents
import SafeTensors

/// A bad command-line option: reported as one line, exit status 1.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Ends the run with `diffuse: error: <message>` on one line of standard error, status 1.
func exitWithError(_ message: String) throws -> Never {
    let line = "diffuse: error: \(message)".replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data((line + "\n").utf8))
    throw ExitCode.failure
}

/// `--sampler` and `--karras` checked together: an unknown name, or Karras σ with a sampler
/// that has none, is a `UsageError` listing the valid choices.
func parseSampler(_ name: String?, karras: Bool) throws -> SamplerName? {
    let sampler = try name.map { name in
        do { return try SamplerName(parsing: name) } catch { throw UsageError("--sampler: \(error)") }
    }
    if karras, let sampler, !sampler.supportsKarras {
        let valid = SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", ")
        throw UsageError("--karras is not available with sampler \(sampler.rawValue): Karras sigmas are available with \(valid)")
    }
    return sampler
}

/// `--steps` and `--guidance` as given, else the model folder's `default_steps` and
/// `default_guidance_scale` (`model_index.json`), else `fallback`; a bad index is a `UsageError`.
func modelSettings(_ folder: URL, steps: Int?, guidance: Double?, fallback: (steps: Int, guidance: Double)) throws
    -> (steps: Int, guidance: Double) {
    do {
        return try PipelineIndexOptions.load(folder: folder).settings(steps: steps, guidance: guidance, fallback: fallback)
    } catch {
        throw UsageError("\(error)")
    }
}

/// `--seed` as torch's `manual_seed` takes it, or a random 32-bit seed (printed by the caller).
func parseSeed(_ seed: String?) throws -> TorchSeed {
    guard let seed else { return TorchSeed(UInt64.random(in: 0...UInt64(UInt32.max))) }
    do { return try TorchSeed(parsing: seed) } catch { throw UsageError("--seed: \(error)") }
}

/// `--variant` and `--half-weights` (`image`, `audio`, `video`): which weight files a model
/// folder's networks load, and how their half-precision values are held.
struct WeightOptions: ParsableArguments {
    enum HalfWeights: String, ExpressibleByArgument, CaseIterable {
        case auto, keep, widen
    }

    @Option(help: "Load this variant of the weight files (diffusers' variant: fp16 reads diffusion_pytorch_model.fp16.safetensors and model.fp16.safetensors).")
    var variant: String?

    @Option(name: .customLong("half-weights"), help: "How fp16/bf16 weights are held: widen (float32 on load: fastest), keep (half in memory, widened layer by layer: least memory), auto (widen when that fits in a quarter of the RAM).")
    var halfWeights: HalfWeights = .auto

    /// The options as `WeightLoading`; a variant that cannot be part of a file name ends the run
    /// with one line on standard error.
    func loading() throws -> WeightLoading {
        if let variant, variant.isEmpty || variant.contains("/") || variant.hasPrefix(".") {
            try exitWithError("--variant \"\(variant)\" is invalid: it names files such as model.<variant>.safetensors (e.g. fp16)")
        }
        let storage: HalfPrecisionStorage = switch halfWeights {
        case .auto: .automatic
        case .keep: .keep
        case .widen: .widen
        }
        return WeightLoading(variant: variant, halfPrecision: storage)
    }
}
