import ArgumentParser
import DiffusionCore
import Foundation

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

/// `--seed` as torch's `manual_seed` takes it, or a random 32-bit seed (printed by the caller).
func parseSeed(_ seed: String?) throws -> TorchSeed {
    guard let seed else { return TorchSeed(UInt64.random(in: 0...UInt64(UInt32.max))) }
    do { return try TorchSeed(parsing: seed) } catch { throw UsageError("--seed: \(error)") }
}
