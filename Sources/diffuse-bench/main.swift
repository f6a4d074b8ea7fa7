// diffuse-bench: release-mode timings of Diffuse's tensor kernels against PyTorch.
// Usage: swift run -c release diffuse-bench [--markdown] [--rounds N] [--runs N] [--warmup N]
//                                           [--only TEXT] [--no-torch]
// Each round times every operation in Diffuse and then in PyTorch (alternating key by key);
// a time is the median of --runs runs after --warmup runs, and the table keeps each side's
// fastest round. See docs/benchmarks.md for the latest table and what the columns mean.
import Foundation

var markdown = false, withTorch = true
var rounds = 3, runs = 5, warmup = 2
var only: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--markdown": markdown = true
    case "--no-torch": withTorch = false
    case "--rounds": rounds = max(1, arguments.popFirst().flatMap(Int.init) ?? rounds)
    case "--runs": runs = max(1, arguments.popFirst().flatMap(Int.init) ?? runs)
    case "--warmup": warmup = max(0, arguments.popFirst().flatMap(Int.init) ?? warmup)
    case "--only": only = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("diffuse-bench: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

let benchmarks = Suite.all().filter { b in only.map { b.key.contains($0) || b.kind == .gemm } ?? true }
let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("tools/bench/bench_torch.py")
let torch = withTorch ? TorchReference(script: script, warmup: warmup, runs: runs)
                      : TorchReference(unavailable: "--no-torch")
var seconds: [String: Double] = [:]
var torchMilliseconds: [String: Double] = [:]
for _ in 0..<rounds {
    for benchmark in benchmarks {
        let s = medianTime(warmup: warmup, runs: runs, benchmark.run)
        seconds[benchmark.key] = min(seconds[benchmark.key] ?? .infinity, s)
        if let ms = torch.milliseconds(benchmark.key) {
            torchMilliseconds[benchmark.key] = min(torchMilliseconds[benchmark.key] ?? .infinity, ms)
        }
    }
}
torch.finish()

let report = Report(benchmarks: benchmarks, seconds: seconds, torchMilliseconds: torchMilliseconds,
                    torchDescription: torch.description, torchUnavailable: torch.unavailableReason,
                    rounds: rounds, runs: runs, warmup: warmup)
print(markdown ? report.markdown() : report.text())
