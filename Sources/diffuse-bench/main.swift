// diffuse-bench: release-mode timings of Diffuse's tensor kernels against PyTorch.
// Usage: swift run -c release diffuse-bench [--markdown] [--rounds N] [--runs N] [--warmup N]
//                                           [--only TEXT] [--no-torch]
//        swift run -c release diffuse-bench --models DIR [--rounds N] [--only TEXT] [--markdown]
//        (whole networks from tools/bench/make_full_size_models.py; see ModelReport.swift)
// Each round times every operation in Diffuse and then in PyTorch (alternating key by key);
// a time is the median of --runs runs after --warmup runs, and the table keeps each side's
// fastest round. See docs/benchmarks.md for the latest table and what the columns mean.
import Foundation
import Tensors

Allocator.reuseLargeBlocks()
var markdown = false, withTorch = true
var rounds = 3, runs = 5, warmup = 2
var only: String?
var models: URL?, modelCase: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--markdown": markdown = true
    case "--no-torch": withTorch = false
    case "--rounds": rounds = max(1, arguments.popFirst().flatMap(Int.init) ?? rounds)
    case "--runs": runs = max(1, arguments.popFirst().flatMap(Int.init) ?? runs)
    case "--warmup": warmup = max(0, arguments.popFirst().flatMap(Int.init) ?? warmup)
    case "--only": only = arguments.popFirst()
    case "--models": models = arguments.popFirst().map { URL(fileURLWithPath: $0) }
    case "--model-case": modelCase = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("diffuse-bench: unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

// The sgemm rows stay with a convolution, whose "% of sgemm" needs them.
let selected = Suite.all().filter { b in only.map { b.key.contains($0) } ?? true }
if let models {
    exit(modelCase.map { ModelBenchmarkRunner.runChild(key: $0, models: models, rounds: rounds) }
         ?? ModelBenchmarkRunner.run(models: models, rounds: rounds, only: only, markdown: markdown))
}

let benchmarks = Suite.all().filter { b in
    selected.contains { $0.key == b.key } || (b.kind == .gemm && selected.contains { $0.kind == .convolution })
}
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
