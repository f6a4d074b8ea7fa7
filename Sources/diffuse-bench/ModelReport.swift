import Foundation

/// `diffuse-bench --models DIR`: runs every case of `ModelSuite` in a child process of its own
/// (`--model-case KEY`), so each peak resident set is that case's alone, and prints the table.
enum ModelBenchmarkRunner {
    /// Child mode: runs one case and prints its `ModelResult` as one JSON line.
    static func runChild(key: String, models: URL, rounds: Int) -> Int32 {
        do {
            let result = try runModelCase(key, models: models, rounds: rounds)
            let data = try JSONEncoder().encode(result)
            print(String(decoding: data, as: UTF8.self))
            return 0
        } catch {
            FileHandle.standardError.write(Data("diffuse-bench: \(key): \(error)\n".utf8))
            return 1
        }
    }

    /// Parent mode: every case whose key contains `only` (all when nil), one child each.
    static func run(models: URL, rounds: Int, only: String?, markdown: Bool) -> Int32 {
        var rows: [[String]] = []
        var notes: [String] = []
        var torchVersion = "PyTorch"
        let loadBefore = loadAverage()
        for c in ModelSuite.all where only.map({ c.key.contains($0) }) ?? true {
            let missing = c.requires.filter { path in
                !FileManager.default.fileExists(atPath: path.hasPrefix("/") ? path : models.appendingPathComponent(path).path)
            }
            if let first = missing.first {
                rows.append([c.title] + Array(repeating: "n/a", count: 7))
                notes.append("\(c.key): \(first) not found (tools/bench/make_full_size_models.py writes it)")
                continue
            }
            FileHandle.standardError.write(Data("diffuse-bench: \(c.key)…\n".utf8))
            switch child(key: c.key, models: models, rounds: rounds) {
            case let .success(r):
                rows.append(row(c, r))
                FileHandle.standardError.write(Data("diffuse-bench: \(row(c, r).joined(separator: " | "))\n".utf8))
                if let w = r.halfWideningMilliseconds {
                    notes.append("\(c.key): widening every half weight once (what `keep` adds to a forward pass) "
                                 + String(format: "%.0f ms", w))
                }
            case let .failure(error):
                rows.append([c.title] + Array(repeating: "n/a", count: 7))
                notes.append("\(c.key): \(error)")
            }
        }
        if let version = torchVersionLine() { torchVersion = version }
        notes.insert("1-minute load average of the machine: \(loadBefore) before, \(loadAverage()) after", at: 0)
        let header = ["network", "Diffuse ms", "PyTorch ms", "ratio", "max abs diff (max abs ref)",
                      "Diffuse peak MiB", "PyTorch peak MiB", "load s (Diffuse / PyTorch)"]
        let legend = "best of \(rounds) rounds (a round: the median of the case's runs, Diffuse then PyTorch); "
            + "ratio: PyTorch ms / Diffuse ms (> 1: Diffuse faster); \(torchVersion) eager, inference_mode, 2 threads; "
            + "peak: VmHWM of each side's own process (weights, activations, runtime)"
        print(markdown ? Self.markdown(header, rows, [legend] + notes) : Self.text(header, rows, [legend] + notes))
        return 0
    }

    private static func row(_ c: ModelCase, _ r: ModelResult) -> [String] {
        [c.title,
         String(format: "%.1f", r.milliseconds),
         String(format: "%.1f", r.torchMilliseconds),
         String(format: "%.2f", r.torchMilliseconds / r.milliseconds),
         String(format: "%.1e (%.2g)", r.maxAbsDifference, r.maxAbsReference),
         String(r.peakKiB / 1024),
         String(r.torchPeakKiB / 1024),
         String(format: "%.1f / %.1f", r.loadSeconds, r.torchLoadSeconds)]
    }

    private static func child(key: String, models: URL, rounds: Int) -> Result<ModelResult, BenchError> {
        let process = Process(), output = Pipe()
        // This very binary, even when a rebuild has replaced the file since it started.
        let executable = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--model-case", key, "--models", models.path, "--rounds", "\(rounds)"]
        process.standardOutput = output
        do { try process.run() } catch { return .failure(BenchError("cannot start \(executable): \(error)")) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard process.terminationStatus == 0, let result = try? JSONDecoder().decode(ModelResult.self, from: Data(last.utf8)) else {
            return .failure(BenchError("failed with status \(process.terminationStatus) (see the message above)"))
        }
        return .success(result)
    }

    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return text.split(separator: " ").first.map(String.init) ?? "?"
    }

    private static func torchVersionLine() -> String? {
        let python = ProcessInfo.processInfo.environment["DIFFUSE_BENCH_PYTHON"] ?? "/work/venv/torch/bin/python"
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import torch; print(torch.__version__)"]
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return "PyTorch " + String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func text(_ header: [String], _ rows: [[String]], _ notes: [String]) -> String {
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

    private static func markdown(_ header: [String], _ rows: [[String]], _ notes: [String]) -> String {
        let line = { (cells: [String]) in "| " + cells.joined(separator: " | ") + " |" }
        let separator = "|---|" + String(repeating: "---:|", count: header.count - 1)
        return ([line(header), separator] + rows.map(line) + [""] + notes.map { "- " + $0 }).joined(separator: "\n")
    }
}
