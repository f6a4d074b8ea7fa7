import Foundation
import Tensors

/// Writes `.safetensors` files the way the reference writer does (`serialize_to_file` in
/// huggingface/safetensors `safetensors/src/tensor.rs`), atomically.
///
/// Layout, as `prepare` does it: tensors sorted by descending dtype alignment, then by name
/// (byte-wise); every tensor here has the same dtype, so that is simply by name. The header
/// lists `__metadata__` first (keys sorted, for reproducible bytes) and then the tensors in
/// data order, as compact JSON, padded with spaces to a multiple of 8 bytes.
///
/// The bytes go to a temporary file in the target's folder, which is written fully, fsync'd,
/// closed and renamed over the target (the folder is then fsync'd too). On any error the
/// temporary file is removed and the target is left as it was.
public enum SafeTensorsWriter {
    /// Writes `tensors` converted to `dtype` (`.F32`, `.F16` or `.BF16`; narrowing rounds to
    /// nearest even like `torch.Tensor.half()` / `.bfloat16()`) with `metadata` to `url`.
    /// Throws `SafeTensorsError` for a duplicate or reserved name, an unsupported dtype or an
    /// I/O failure.
    public static func write(_ tensors: [(String, Tensor)], dtype: DType = .F32,
                             metadata: [String: String] = [:], to url: URL) throws {
        guard [.F32, .F16, .BF16].contains(dtype) else {
            throw SafeTensorsError(url, "cannot write dtype \(dtype.rawValue) (supported: F32, F16, BF16)")
        }
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__" else { throw SafeTensorsError(url, "\"__metadata__\" is reserved and cannot name a tensor") }
            guard seen.insert(name).inserted else { throw SafeTensorsError(url, "duplicate tensor name \(quoted(name))") }
        }
        let sorted = tensors.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let header = try headerBytes(sorted, dtype: dtype, metadata: metadata, url: url)

        try AtomicFile.write(to: url) { sink in
            try sink.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
            try sink.write(header)
            for (_, tensor) in sorted { try write(tensor, as: dtype, to: &sink) }
        }
    }

    /// The JSON header, space-padded to a multiple of 8 bytes.
    static func headerBytes(_ tensors: [(String, Tensor)], dtype: DType, metadata: [String: String], url: URL) throws -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() { if !first { json.append(UInt8(ascii: ",")) }; first = false }
        if !metadata.isEmpty {
            separator()
            appendJSONString("__metadata__", to: &json)
            json.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for (name, tensor) in tensors {
            let (size, overflow1) = tensor.count.multipliedReportingOverflow(by: dtype.byteSize)
            let (end, overflow2) = offset.addingReportingOverflow(size)
            guard !overflow1, !overflow2 else { throw SafeTensorsError(url, "tensor \(quoted(name)): size overflows Int") }
            separator()
            appendJSONString(name, to: &json)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            json.append(contentsOf: Array(":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}".utf8))
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        return json
    }

    /// Appends `s` as a JSON string the way serde_json writes it: `"` and `\` escaped, control
    /// characters as `\n`, `\t`, … or `\u00XX`, everything else as raw UTF-8.
    static func appendJSONString(_ s: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): json.append(contentsOf: Array("\\\"".utf8))
            case UInt8(ascii: "\\"): json.append(contentsOf: Array("\\\\".utf8))
            case 0x08: json.append(contentsOf: Array("\\b".utf8))
            case 0x0C: json.append(contentsOf: Array("\\f".utf8))
            case 0x0A: json.append(contentsOf: Array("\\n".utf8))
            case 0x0D: json.append(contentsOf: Array("\\r".utf8))
            case 0x09: json.append(contentsOf: Array("\\t".utf8))
            case 0..<0x20:
                let hex = String(b, radix: 16)
                json.append(contentsOf: Array(("\\u00" + (hex.count < 2 ? "0" : "") + hex).utf8))
            default: json.append(b)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    /// Streams `tensor` converted to `dtype` in chunks (bounded extra memory).
    private static func write(_ tensor: Tensor, as dtype: DType, to sink: inout AtomicFile.Sink) throws {
        let chunk = 1 << 18   // elements per write
        try tensor.scalars.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            var buffer = [UInt8](repeating: 0, count: min(source.count, chunk) * dtype.byteSize)
            var start = 0
            while start < source.count {
                let n = min(chunk, source.count - start)
                let byteCount = n * dtype.byteSize
                buffer.withUnsafeMutableBytes { raw in
                    let out = raw.baseAddress!
                    switch dtype {
                    case .F16: HalfConversion.narrowToFloat16(base + start, count: n, into: out)
                    case .BF16: HalfConversion.narrowToBFloat16(base + start, count: n, into: out)
                    default:
                        for i in 0..<n {
                            out.storeBytes(of: base[start + i].bitPattern.littleEndian, toByteOffset: i &* 4, as: UInt32.self)
                        }
                    }
                }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<byteCount])) }
                start += n
            }
        }
    }
}
