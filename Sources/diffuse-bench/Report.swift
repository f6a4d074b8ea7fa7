import Foundation
import Tensors

/// The results table: Diffuse and PyTorch times, GFLOP/s, convolution efficiency relative to
/// the sgemm measured in the same run, and the PyTorch/Diffuse ratio (> 1: Diffuse is faster).
struct Report {
    let benchmarks: [Benchmark]
    let seconds: [String: Double]
    let torchMilliseconds: [String: Double]
    let torchDescription: String
    let torchUnavailable: String?
    let rounds: Int
    let runs: Int
    let warmup: Int

    /// The GEMM whose shape resembles the convolutions' products; conv efficiency is relative to it.
    static let referenceGemm = "sgemm_4096x320x2880"

    private var header: [String] {
        ["operation", "Diffuse ms", "GFLOP/s", "% of sgemm", "PyTorch ms", "ratio"]
    }

    private var rows: [[String]] {
        let referenceRate = benchmarks.first { $0.key == Report.referenceGemm }
            .flatMap { b in seconds[b.key].map { b.flops / $0 } }
        return benchmarks.map { b in
            let s = seconds[b.key] ?? .nan
            let rate = b.flops > 0 ? b.flops / s : nil
            let percent = b.kind == .convolution ? rate.flatMap { r in referenceRate.map { 100 * r / $0 } } : nil
            let torchMs = torchMilliseconds[b.key]
            return [
                b.title,
                String(format: "%.2f", s * 1e3),
                rate.map { String(format: "%.1f", $0 / 1e9) } ?? "–",
                percent.map { String(format: "%.0f%%", $0) } ?? "–",
                torchMs.map { String(format: "%.2f", $0) } ?? "n/a",
                torchMs.map { String(format: "%.2f", $0 / (s * 1e3)) } ?? "n/a",
            ]
        }
    }

    private var notes: [String] {
        var lines = ["best of \(rounds) rounds, each the median of \(runs) runs after \(warmup) warm-up runs, "
                     + "Diffuse and PyTorch alternating; \(Parallel.threadCount) threads; \(torchDescription)",
                     "% of sgemm: GFLOP/s relative to \(Report.referenceGemm) in this run; ratio: PyTorch ms / Diffuse ms (> 1: Diffuse faster)"]
        if let reason = torchUnavailable { lines.append("PyTorch columns n/a: \(reason)") }
        return lines
    }

    /// A plain-text table with aligned columns.
    func text() -> String {
        let table = [header] + rows
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        let lines = table.map { row in
            row.indices.map { c in
                c == 0 ? row[c].padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - row[c].count) + row[c]
            }.joined(separator: "  ")
        }
        return (lines + [""] + notes).joined(separator: "\n")
    }

    /// A GitHub-flavoured markdown table.
    func markdown() -> String {
        let line = { (cells: [String]) in "| " + cells.joined(separator: " | ") + " |" }
        let separator = "|---|" + String(repeating: "---:|", count: header.count - 1)
        return ([line(header), separator] + rows.map(line) + [""] + notes.map { "- " + $0 }).joined(separator: "\n")
    }
}
