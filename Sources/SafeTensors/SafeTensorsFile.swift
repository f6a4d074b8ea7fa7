import Foundation
import Tensors

/// A `.safetensors` file, memory-mapped and validated on open.
/// Format: https://github.com/huggingface/safetensors (8-byte little-endian header length,
/// a JSON header, then the tensor bytes).
public struct SafeTensorsFile: Sendable {
    /// Where the file was read from.
    public let url: URL
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensor descriptions in file order (by data offset).
    public let entries: [SafeTensorsEntry]
    private let index: [String: Int]
    private let data: Data       // the whole file, memory-mapped
    private let dataStart: Int   // 8 + header length

    /// Opens and validates `url`. Throws `SafeTensorsError` naming the file and the problem.
    public init(contentsOf url: URL) throws {
        self.url = url
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError(url, "cannot read the file (\(error.localizedDescription))")
        }
        self.data = data
        guard data.count >= 8 else { throw SafeTensorsError(url, "file is \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError(url, "header length \(headerLength) exceeds the file size \(data.count)")
        }
        let start = 8 + Int(headerLength)
        let json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<start))
        guard let header = json as? [String: Any] else { throw SafeTensorsError(url, "header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (name, value) in header {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let d = value as? [String: Any], let dt = d["dtype"] as? String, let dtype = DType(rawValue: dt),
                  let shape = d["shape"] as? [Int], let offsets = d["data_offsets"] as? [Int], offsets.count == 2
            else { throw SafeTensorsError(url, "tensor \"\(name)\": malformed entry") }
            entries.append(SafeTensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1]))
        }
        entries.sort { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }
        self.metadata = metadata
        self.entries = entries
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($0.element.name, $0.offset) })
        self.dataStart = start
    }

    /// Tensor names in file order.
    public var names: [String] { entries.map(\.name) }

    /// The description of tensor `name`, if present.
    public func entry(_ name: String) -> SafeTensorsEntry? { index[name].map { entries[$0] } }

    /// The raw little-endian bytes of tensor `name` (a slice of the mapping, not a copy).
    public func bytes(_ name: String) throws -> Data {
        guard let e = entry(name) else { throw SafeTensorsError(url, "no tensor named \"\(name)\"") }
        return data[(dataStart + e.dataOffsets.lowerBound)..<(dataStart + e.dataOffsets.upperBound)]
    }

    /// Tensor `name` converted to Float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entry(name) else { throw SafeTensorsError(url, "no tensor named \"\(name)\"") }
        return try e.dtype.floatTensor(shape: e.shape, bytes: bytes(name), name: name, url: url)
    }
}

/// One tensor's header entry.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>
}

/// An error reading or writing a safetensors file: one line naming the file and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public init(_ url: URL, _ reason: String) { self.path = url.path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}
