import Foundation
import SafeTensors
import Testing

/// A fresh folder under the system's temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("diffuse-safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` in the folder and returns its URL.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    /// Writes `text` as UTF-8 to `name` in the folder.
    @discardableResult
    func write(_ text: String, to name: String) throws -> URL { try write(Array(text.utf8), to: name) }

    /// Names in the folder, sorted.
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A safetensors file: the 8-byte length (`headerLength`, or the header's real length), the
/// header bytes and the data bytes.
func craft(header: [UInt8], data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { Array($0) } + header + data
}

/// `craft` with a UTF-8 header.
func craft(_ header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    craft(header: Array(header.utf8), data: data, headerLength: headerLength)
}

/// `count` zero bytes of tensor data.
func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

/// Expects `body` to throw a one-line `SafeTensorsError` whose description contains every
/// string of `parts` (and, when given, names `path`). Returns the error.
@discardableResult
func expectSafeTensorsError(_ parts: [String], path: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> Void) -> SafeTensorsError? {
    do {
        try body()
        Issue.record("expected an error containing \(parts), got none", sourceLocation: sourceLocation)
    } catch let error as SafeTensorsError {
        for part in parts where !error.description.contains(part) {
            Issue.record("error \"\(error)\" does not contain \"\(part)\"", sourceLocation: sourceLocation)
        }
        if let path, error.path != path {
            Issue.record("error \"\(error)\" names \(error.path), expected \(path)", sourceLocation: sourceLocation)
        }
        #expect(!error.description.contains("\n"), "error is not one line: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a SafeTensorsError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
