import Foundation

/// PyTorch's side of one model benchmark case: tools/bench/bench_models_torch.py loads the
/// network, writes the inputs and its output to `io`, then runs forward passes on request, so
/// that Diffuse and PyTorch alternate and see the same load.
final class ModelTorchWorker {
    /// The script's first answer: torch version, threads, load seconds, parameter count.
    let header: [String: Any]

    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var buffer = Data()

    /// Starts the worker for `key` and waits until it has written `io`. Python from
    /// `DIFFUSE_BENCH_PYTHON` (default /work/venv/torch/bin/python).
    init(script: URL, models: URL, key: String, io: URL) throws {
        let python = ProcessInfo.processInfo.environment["DIFFUSE_BENCH_PYTHON"] ?? "/work/venv/torch/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw BenchError("no Python at \(python) (set DIFFUSE_BENCH_PYTHON)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--models", models.path, "--case", key, "--io", io.path,
                             "--threads", "\(2)"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        header = try Self.read(&buffer, from: output, process: process, errors: errors)
    }

    /// PyTorch's median milliseconds over `runs` forward passes.
    func milliseconds(runs: Int) throws -> Double {
        input.fileHandleForWriting.write(Data("run \(runs)\n".utf8))
        let answer = try Self.read(&buffer, from: output, process: process, errors: errors)
        guard let ms = answer["ms"] as? Double else { throw BenchError("bench_models_torch.py answered \(answer)") }
        return ms
    }

    /// Ends the worker; returns its peak resident set in KiB.
    func finish() throws -> Int {
        input.fileHandleForWriting.write(Data("quit\n".utf8))
        let answer = try Self.read(&buffer, from: output, process: process, errors: errors)
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return answer["vmhwm_kb"] as? Int ?? 0
    }

    /// One JSON object line; throws with the script's last error line when it exits instead.
    private static func read(_ buffer: inout Data, from output: Pipe, process: Process, errors: Pipe) throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] { return object }
                continue   // a library's message on stdout
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let last = text.split(separator: "\n").last.map(String.init) ?? "no message"
                throw BenchError("bench_models_torch.py exited with \(process.terminationStatus): \(last)")
            }
            buffer.append(chunk)
        }
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// This process's peak resident set (`VmHWM` in /proc/self/status) in KiB, 0 where unknown.
func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        // "VmHWM:\t 1404000 kB", but "VmHWM:\t11326180 kB" from 10⁷ KiB on: split on tabs too.
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }
    return 0
}
