import Foundation

/// Bit-exact conversions between Float32 and the 16- and 8-bit float formats of safetensors,
/// written as branch-free integer arithmetic so the loops vectorise (x86-64 has no baseline
/// instruction for half floats, and `Float(Float16)` compiles to a library call per element).
///
/// - Widening (F16, BF16, FP8 → F32) is exact, including subnormals, infinities and NaNs.
/// - Narrowing rounds to nearest, ties to even, like `torch.Tensor.half()` /
///   `.bfloat16()` (c10 `fp16_ieee_from_fp32_value`, `round_to_nearest_even`): overflow gives
///   ±inf, a NaN gives the quiet NaN 0x7E00 (sign kept) for F16 and 0x7FC0 for BF16.
enum HalfConversion {
    /// IEEE half bits (in the low 16 bits) → Float32 bits.
    @inline(__always)
    static func floatBits(fromHalf h: UInt32) -> UInt32 {
        let sign = (h & 0x8000) << 16
        let magnitude = h & 0x7FFF
        let normal = (magnitude << 13) &+ 0x3800_0000          // exponent bias 15 → 127
        let special = (magnitude << 13) | 0x7F80_0000          // inf / NaN keep their payload
        let subnormal = (Float(Int32(bitPattern: magnitude)) * 0x1p-24).bitPattern  // m · 2⁻²⁴, exact
        let bits = magnitude >= 0x7C00 ? special : (magnitude < 0x0400 ? subnormal : normal)
        return bits | sign
    }

    /// Float32 bits → IEEE half bits, round to nearest even (F. Giesen's `float_to_half_fast3_rtne`).
    @inline(__always)
    static func halfBits(fromFloat bits: UInt32) -> UInt16 {
        let sign = (bits >> 16) & 0x8000
        let f = bits & 0x7FFF_FFFF
        // ≥ 65536 (or inf/NaN): all exponent bits set; NaN → quiet NaN.
        let special: UInt32 = f > 0x7F80_0000 ? 0x7E00 : 0x7C00
        // < 2⁻¹⁴: the float adder aligns the 10 mantissa bits under 0.5 and rounds to even.
        let subnormal = (Float(bitPattern: f) + 0.5).bitPattern &- 0x3F00_0000
        // Normal: rebias and round the 13 dropped bits to nearest even (may carry into inf).
        let normal = (f &+ 0xC800_0FFF &+ ((f >> 13) & 1)) >> 13
        let h = f >= 0x4780_0000 ? special : (f < 0x3880_0000 ? subnormal : normal)
        return UInt16(truncatingIfNeeded: h | sign)
    }

    /// Float32 bits → BFloat16 bits, round to nearest even; NaN → 0x7FC0.
    @inline(__always)
    static func bfloat16Bits(fromFloat bits: UInt32) -> UInt16 {
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        let isNaN = (bits & 0x7FFF_FFFF) > 0x7F80_0000
        return UInt16(truncatingIfNeeded: isNaN ? 0x7FC0 : rounded)
    }

    /// Widens `n` little-endian IEEE halves at `raw` (any alignment).
    static func widenFloat16(_ raw: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            out[i] = Float(bitPattern: floatBits(fromHalf: UInt32(h)))
        }
    }

    /// Widens `n` little-endian bfloat16 values at `raw` (any alignment).
    static func widenBFloat16(_ raw: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            out[i] = Float(bitPattern: UInt32(h) << 16)
        }
    }

    /// Widens `n` FP8 E5M2 values (the upper byte of an IEEE half).
    static func widenFloat8E5M2(_ raw: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            out[i] = Float(bitPattern: floatBits(fromHalf: UInt32(raw.load(fromByteOffset: i, as: UInt8.self)) << 8))
        }
    }

    /// Widens `n` FP8 E4M3 values (`torch.float8_e4m3fn`: bias 7, no infinities, 0x7F/0xFF NaN).
    static func widenFloat8E4M3(_ raw: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<Float>) {
        e4m3Table.withUnsafeBufferPointer { table in
            for i in 0..<n { out[i] = table[Int(raw.load(fromByteOffset: i, as: UInt8.self))] }
        }
    }

    private static let e4m3Table: [Float] = (0..<256).map { byte in
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let exponent = (byte >> 3) & 0xF, mantissa = byte & 0x7
        if exponent == 0xF && mantissa == 0x7 { return .nan }
        if exponent == 0 { return sign * Float(mantissa) * 0x1p-9 }
        return sign * (1 + Float(mantissa) / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// Narrows `n` floats to little-endian IEEE halves at `raw` (any alignment).
    static func narrowToFloat16(_ source: UnsafePointer<Float>, count n: Int, into raw: UnsafeMutableRawPointer) {
        for i in 0..<n {
            raw.storeBytes(of: halfBits(fromFloat: source[i].bitPattern).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
        }
    }

    /// Narrows `n` floats to little-endian bfloat16 values at `raw` (any alignment).
    static func narrowToBFloat16(_ source: UnsafePointer<Float>, count n: Int, into raw: UnsafeMutableRawPointer) {
        for i in 0..<n {
            raw.storeBytes(of: bfloat16Bits(fromFloat: source[i].bitPattern).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
        }
    }
}
