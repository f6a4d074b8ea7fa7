import Foundation

/// The parsed and validated JSON header of a safetensors file.
///
/// Checks everything `SafeTensors::read_metadata` and `Metadata::validate` check in
/// huggingface/safetensors `safetensors/src/tensor.rs`, and more:
/// - UTF-8, a JSON object starting with `{`, only whitespace after it (the writer's padding);
/// - no duplicate tensor names, `__metadata__` keys or entry fields (serde keeps the last one);
/// - each entry has exactly `dtype` (a known dtype), `shape` (integers ≥ 0 that fit `Int`)
///   and `data_offsets` (two such integers, begin ≤ end);
/// - element count × dtype size, computed with overflow checks, equals end − begin;
/// - sorted by offset, the tensors cover the data section exactly: from 0, no overlap, no
///   gap, nothing out of bounds and no trailing bytes;
/// - `__metadata__` is an object of strings.
struct SafeTensorsHeader {
    var metadata: [String: String] = [:]
    /// Entries sorted by data offset (file order).
    var entries: [SafeTensorsEntry] = []

    /// Parses `bytes` (the header, without its 8-byte length) for a data section of `dataSize`
    /// bytes. `reason` errors are thrown as `SafeTensorsError` for `url`.
    static func parse(_ bytes: UnsafeRawBufferPointer, dataSize: Int, url: URL) throws -> SafeTensorsHeader {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(url, reason) }

        if let bad = JSONReader.invalidUTF8Offset(bytes) {
            throw fail("header is not valid UTF-8 (invalid byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at header offset \(bad))")
        }
        guard let firstByte = bytes.first else { throw fail("header is empty (expected a JSON object)") }
        guard firstByte == UInt8(ascii: "{") else {
            if firstByte == UInt8(ascii: "[") { throw fail("header is a JSON array, expected a JSON object") }
            throw fail("header does not start with '{' (expected a JSON object)")
        }

        var header = SafeTensorsHeader()
        var reader = JSONReader(bytes)
        do {
            try reader.beginObject()
            var first = true
            var seen = Set<String>()
            while let key = try reader.nextKey(first: &first) {
                guard seen.insert(key).inserted else {
                    throw fail(key == "__metadata__" ? "header has two \"__metadata__\" entries"
                                                     : "duplicate tensor name \(quoted(key)) in the header")
                }
                if key == "__metadata__" {
                    header.metadata = try parseMetadata(&reader, fail)
                } else {
                    header.entries.append(try parseEntry(&reader, name: key, fail))
                }
            }
            try reader.expectEnd()
        } catch let error as JSONReader.SyntaxError {
            throw fail("header is not valid JSON: \(error.message) at header offset \(error.offset)")
        }

        try validateLayout(&header.entries, dataSize: dataSize, fail)
        return header
    }

    private static func parseMetadata(_ r: inout JSONReader, _ fail: (String) -> SafeTensorsError) throws -> [String: String] {
        let kind = try r.peekKind()
        guard kind == .object else { throw fail("__metadata__ is \(kind.withArticle), expected an object of strings") }
        var metadata: [String: String] = [:]
        try r.beginObject()
        var first = true
        while let key = try r.nextKey(first: &first) {
            let valueKind = try r.peekKind()
            guard valueKind == .string else {
                throw fail("__metadata__ value for key \(quoted(key)) is \(valueKind.withArticle), expected a string")
            }
            guard metadata.updateValue(try r.readString(), forKey: key) == nil else {
                throw fail("duplicate key \(quoted(key)) in __metadata__")
            }
        }
        return metadata
    }

    private static func parseEntry(_ r: inout JSONReader, name: String, _ fail: (String) -> SafeTensorsError) throws -> SafeTensorsEntry {
        let tensor = "tensor \(quoted(name))"
        let kind = try r.peekKind()
        guard kind == .object else { throw fail("\(tensor): entry is \(kind.withArticle), expected an object") }
        var dtype: DType?, shape: [Int]?, offsets: [Int]?
        try r.beginObject()
        var first = true
        while let field = try r.nextKey(first: &first) {
            switch field {
            case "dtype":
                guard dtype == nil else { throw fail("\(tensor): duplicate field \"dtype\"") }
                let k = try r.peekKind()
                guard k == .string else { throw fail("\(tensor): dtype is \(k.withArticle), expected a string") }
                let text = try r.readString()
                guard let d = DType(rawValue: text) else {
                    if DType.unsupportedNames.contains(text) {
                        throw fail("\(tensor): dtype \(quoted(text)) is not supported by Diffuse")
                    }
                    throw fail("\(tensor): unknown dtype \(quoted(text))")
                }
                dtype = d
            case "shape":
                guard shape == nil else { throw fail("\(tensor): duplicate field \"shape\"") }
                shape = try parseIntegers(&r, "\(tensor): shape", fail)
            case "data_offsets":
                guard offsets == nil else { throw fail("\(tensor): duplicate field \"data_offsets\"") }
                let o = try parseIntegers(&r, "\(tensor): data_offsets", fail)
                guard o.count == 2 else { throw fail("\(tensor): data_offsets has \(o.count) numbers, expected 2") }
                offsets = o
            default:
                throw fail("\(tensor): unexpected field \(quoted(field)) (expected dtype, shape, data_offsets)")
            }
        }
        guard let dtype else { throw fail("\(tensor): missing field \"dtype\"") }
        guard let shape else { throw fail("\(tensor): missing field \"shape\"") }
        guard let offsets else { throw fail("\(tensor): missing field \"data_offsets\"") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw fail("\(tensor): data_offsets [\(begin), \(end)] are reversed (begin > end)")
        }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw fail("\(tensor): element count of shape \(shape) overflows Int") }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail("\(tensor): byte size of shape \(shape) of \(dtype.rawValue) overflows Int") }
        guard end - begin == byteCount else {
            throw fail("\(tensor): data_offsets [\(begin), \(end)] span \(end - begin) bytes, but shape \(shape) of \(dtype.rawValue) needs \(byteCount)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// An array of non-negative integers that fit `Int`.
    private static func parseIntegers(_ r: inout JSONReader, _ what: String, _ fail: (String) -> SafeTensorsError) throws -> [Int] {
        let kind = try r.peekKind()
        guard kind == .array else { throw fail("\(what) is \(kind.withArticle), expected an array of integers") }
        var values: [Int] = []
        try r.beginArray()
        var first = true
        while try r.nextElement(first: &first) {
            let k = try r.peekKind()
            guard k == .number else { throw fail("\(what)[\(values.count)] is \(k.withArticle), expected a non-negative integer") }
            let number = try r.readNumber()
            guard let value = number.nonNegativeInt else {
                throw fail("\(what)[\(values.count)] = \(number.whyNotNonNegativeInt ?? number.text), expected a non-negative integer")
            }
            values.append(value)
        }
        return values
    }

    /// Sorts `entries` by offset and checks they tile `0..<dataSize` exactly.
    private static func validateLayout(_ entries: inout [SafeTensorsEntry], dataSize: Int,
                                       _ fail: (String) -> SafeTensorsError) throws {
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var expected = 0
        var previous: SafeTensorsEntry?
        for entry in entries {
            let (begin, end) = (entry.dataOffsets.lowerBound, entry.dataOffsets.upperBound)
            let tensor = "tensor \(quoted(entry.name))"
            guard end <= dataSize else {
                throw fail("\(tensor): data_offsets [\(begin), \(end)] are out of bounds of the \(dataSize)-byte data section")
            }
            if let previous, begin < expected {
                throw fail("\(tensor): data_offsets [\(begin), \(end)] overlap tensor \(quoted(previous.name)) at [\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)]")
            }
            if begin > expected {
                if let previous {
                    throw fail("gap of \(begin - expected) bytes between tensor \(quoted(previous.name)) (ends at \(expected)) and \(tensor) (begins at \(begin))")
                }
                throw fail("gap of \(begin) bytes before the first tensor \(quoted(entry.name)) (begins at \(begin), expected 0)")
            }
            expected = end
            previous = entry
        }
        if expected < dataSize {
            throw fail("\(dataSize - expected) trailing bytes after the last tensor (tensors end at \(expected), the data section has \(dataSize) bytes)")
        }
    }
}
