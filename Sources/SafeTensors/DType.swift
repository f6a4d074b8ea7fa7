import Foundation
import Tensors

/// Element types of the safetensors format, named as in its JSON header
/// (`safetensors::Dtype` in huggingface/safetensors `safetensors/src/tensor.rs`, in the same
/// order: increasing alignment). Every case can be read and widened to Float32; the writer
/// produces `F32`, `F16` and `BF16`.
///
/// The format's sub-byte and exotic types (`F4`, `F6_E2M3`, `F6_E3M2`, `F8_E8M0`, `C64`) are
/// recognised by the reader and refused with a message saying they are not supported.
public enum DType: String, Sendable, CaseIterable {
    case BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3: 1
        case .I16, .U16, .F16, .BF16: 2
        case .I32, .U32, .F32: 4
        case .F64, .I64, .U64: 8
        }
    }

    /// Dtype names the format defines that Diffuse does not read (no Float32 meaning).
    static let unsupportedNames: Set<String> = ["F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "C64"]

    /// Widens `count` little-endian elements of this dtype at `source` (any alignment) into
    /// `out`. Float16, BFloat16 and the FP8 types are widened exactly; integers become the
    /// nearest Float; BOOL becomes 0 or 1. Large tensors are split across cores.
    func widen(_ source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let size = byteSize
        Parallel.forEachChunk(count, minimumPerThread: 1 << 16) { range in
            self.widenSerial(source + range.lowerBound &* size, count: range.count, into: out + range.lowerBound)
        }
    }

    private func widenSerial(_ raw: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .F32:
            #if _endian(little)
            UnsafeMutableRawPointer(out).copyMemory(from: raw, byteCount: n &* 4)
            #else
            for i in 0..<n {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
            }
            #endif
        case .F16: HalfConversion.widenFloat16(raw, count: n, into: out)
        case .BF16: HalfConversion.widenBFloat16(raw, count: n, into: out)
        case .F8_E5M2: HalfConversion.widenFloat8E5M2(raw, count: n, into: out)
        case .F8_E4M3: HalfConversion.widenFloat8E4M3(raw, count: n, into: out)
        case .F64:
            for i in 0..<n {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))))
            }
        case .BOOL:
            for i in 0..<n { out[i] = raw.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        case .U8:
            for i in 0..<n { out[i] = Float(raw.load(fromByteOffset: i, as: UInt8.self)) }
        case .I8:
            for i in 0..<n { out[i] = Float(raw.load(fromByteOffset: i, as: Int8.self)) }
        case .I16:
            for i in 0..<n { out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self))) }
        case .U16:
            for i in 0..<n { out[i] = Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))) }
        case .I32:
            for i in 0..<n { out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self))) }
        case .U32:
            for i in 0..<n { out[i] = Float(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))) }
        case .I64:
            for i in 0..<n { out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self))) }
        case .U64:
            for i in 0..<n { out[i] = Float(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))) }
        }
    }
}
