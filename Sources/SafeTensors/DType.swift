import Foundation
import Tensors

/// Element types of the safetensors format (names as in the format's JSON header).
public enum DType: String, Sendable, CaseIterable {
    case BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .BOOL, .U8, .I8: 1
        case .I16, .U16, .F16, .BF16: 2
        case .I32, .U32, .F32: 4
        case .F64, .I64, .U64: 8
        }
    }

    /// Converts little-endian `bytes` of this dtype to a Float32 tensor.
    /// Float16 and BFloat16 are widened exactly; integer types are converted as values.
    func floatTensor(shape: [Int], bytes: Data, name: String, url: URL) throws -> Tensor {
        let n = Tensor.elementCount(shape)
        guard bytes.count == n * byteSize else {
            throw SafeTensorsError(url, "tensor \"\(name)\": \(bytes.count) bytes for shape \(shape) of \(rawValue)")
        }
        return Tensor(shape: shape) { out in
            bytes.withUnsafeBytes { raw in
                switch self {
                case .F32:
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .F16:
                    for i in 0..<n { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
                case .BF16:
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
                case .F64:
                    for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                case .BOOL, .U8:
                    for i in 0..<n { out[i] = Float(raw[i]) }
                case .I8:
                    for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[i])) }
                case .I16:
                    for i in 0..<n { out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
                case .U16:
                    for i in 0..<n { out[i] = Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case .I32:
                    for i in 0..<n { out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                case .U32:
                    for i in 0..<n { out[i] = Float(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .I64:
                    for i in 0..<n { out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
                case .U64:
                    for i in 0..<n { out[i] = Float(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
                }
            }
        }
    }
}
