import Foundation
import Testing

/// The output of one run of the `diffuse` binary.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Standard error's lines, without the final newline's empty line.
    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
}

/// Runs the `diffuse` executable that SwiftPM built next to the test bundle
/// (`.build/<triple>/debug/diffuse`; the CLITests target depends on it).
func runDiffuse(_ arguments: String...) throws -> RunResult {
    try runDiffuse(arguments, environment: [:])
}

/// Runs `diffuse` with `environment` added to this process's environment.
func runDiffuse(_ arguments: [String], environment: [String: String]) throws -> RunResult {
    let process = Process()
    process.executableURL = try diffuseExecutable()
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.currentDirectoryURL = repositoryRoot
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a long output cannot block the child.
    let errData = LockedData()
    let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { Thread.sleep(forTimeInterval: 0.001) }
    return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData.value, as: UTF8.self))
}

/// Data handed from the reader thread.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}

/// The repository root (the tests run the binary from there, so relative paths work).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `Tests/Fixtures/tiny-sd`, written by tools/fixtures/make_tiny_pipelines.py.
let tinySDPath = "Tests/Fixtures/tiny-sd"

func diffuseExecutable() throws -> URL {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var candidates = [testBinary.deletingLastPathComponent()]
    if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent()) }
    // macOS: the test bundle is .build/debug/X.xctest/Contents/MacOS/X.
    candidates += candidates.map { $0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    for folder in candidates {
        let url = folder.appendingPathComponent("diffuse")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    throw DiffuseNotFound(searched: candidates.map(\.path))
}

private struct DiffuseNotFound: Error, CustomStringConvertible {
    var searched: [String]
    var description: String { "no diffuse executable in \(searched.joined(separator: ", "))" }
}
