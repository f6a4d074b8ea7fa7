import ArgumentParser
import Comparison
import Foundation
import Networks
import SafeTensors

/// Runs a subcommand's work; any error becomes one line on standard error,
/// `diffuse: error: <path>: <what is wrong>`, and exit code 1 (never a stack trace).
func reportingErrors(path: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        var message = describe(error, path: path)
        // Paths under the working folder are shown relative to it, as the user typed them.
        let cwd = FileManager.default.currentDirectoryPath + "/"
        if message.hasPrefix(cwd) { message.removeFirst(cwd.count) }
        let line = "diffuse: error: \(message)"
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
        throw ExitCode.failure
    }
}

/// `path: what is wrong` for the engine's errors, which name their file themselves; other
/// errors get `path` in front of their description.
private func describe(_ error: any Error, path: String) -> String {
    switch error {
    case let error as SafeTensorsError: error.description
    case let error as ConfigError: error.description
    case let error as ModelFolderError: error.description
    case let error as ComparisonError: error.description
    default: "\(path): \(error.localizedDescription)"
    }
}
