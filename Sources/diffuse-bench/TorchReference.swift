import Foundation

/// PyTorch's side of the benchmark: tools/bench/bench_torch.py kept running in `--serve` mode,
/// asked for one key at a time so that Diffuse and PyTorch alternate and see the same load.
final class TorchReference {
    /// PyTorch's version and thread count as reported by the script, or "PyTorch n/a".
    private(set) var description = "PyTorch n/a"
    /// Why there are no PyTorch timings, if there are none.
    private(set) var unavailableReason: String?

    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var buffer = Data()

    /// Starts `script` with `python` (env `DIFFUSE_BENCH_PYTHON`, default
    /// /work/venv/torch/bin/python); on failure the reference stays unavailable and says why.
    init(script: URL, warmup: Int, runs: Int) {
        let python = ProcessInfo.processInfo.environment["DIFFUSE_BENCH_PYTHON"] ?? "/work/venv/torch/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            unavailableReason = "no Python at \(python) (set DIFFUSE_BENCH_PYTHON)"
            return
        }
        guard FileManager.default.fileExists(atPath: script.path) else {
            unavailableReason = "\(script.path) not found"
            return
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--serve", "--warmup", "\(warmup)", "--runs", "\(runs)"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            unavailableReason = "could not start \(python): \(error)"
            return
        }
        guard let header = readObject() else { return }
        let version = header["torch"] as? String ?? "?"
        description = "PyTorch \(version), \(header["threads"] as? Int ?? 0) threads"
    }

    /// `unavailable` with a reason, for `--no-torch`.
    init(unavailable reason: String) {
        unavailableReason = reason
    }

    /// PyTorch's median milliseconds for `key`, or nil once the reference is unavailable.
    func milliseconds(_ key: String) -> Double? {
        guard unavailableReason == nil else { return nil }
        input.fileHandleForWriting.write(Data("\(key)\n".utf8))
        return readObject()?["ms"] as? Double
    }

    /// Closes the script's input and waits for it to exit.
    func finish() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Reads one JSON line; on end of output or bad JSON, records why and returns nil.
    private func readObject() -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] { return object }
                unavailableReason = "bench_torch.py printed: \(String(decoding: line, as: UTF8.self))"
                return nil
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let last = text.split(separator: "\n").last.map(String.init) ?? "no message"
                unavailableReason = "bench_torch.py exited with \(process.terminationStatus): \(last)"
                return nil
            }
            buffer.append(chunk)
        }
    }
}
