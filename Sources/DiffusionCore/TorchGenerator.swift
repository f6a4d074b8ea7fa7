import Foundation
import Tensors

/// torch's CPU random generator: `TorchGenerator(seed: s).randn(shape)` gives, bit for bit,
/// the float32 numbers of `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(s))`,
/// and later draws continue the same stream as later `torch.randn` calls on that generator
/// (diffusers' `randn_tensor`: the initial latents, then the per-step noise of ancestral
/// and SDE samplers).
///
/// Checked against torch 2.15.0 on x86-64 with AVX2 (Tests/Fixtures/generator.safetensors,
/// from tools/fixtures/fx_generator.py). What it reproduces
/// (aten/src/ATen/CPUGeneratorImpl.cpp, core/DistributionsHelper.h,
/// native/cpu/DistributionTemplates.h):
/// - the engine: `at::mt19937` seeded with the low 32 bits of the seed;
/// - fewer than 16 elements: `at::normal_distribution<double>`, Box-Muller in Double from
///   two 53-bit uniforms (`random64()`), with the second sample cached in the generator
///   and returned by the next scalar draw, even one made by a later `randn` call;
/// - 16 elements or more: `normal_fill` — one float uniform (24 bits of `random()`) per
///   element, Box-Muller on 16-element blocks pairing j with j + 8, and when the count is not
///   a multiple of 16, 16 fresh uniforms that recompute the last 16 elements. The math is
///   torch's AVX2 kernel (`avx_mathfun.h`'s `log256_ps` / `sincos256_ps` with the FMA
///   contractions of the shipped binary; see ``AVXMathFun``).
///
/// Limitations:
/// - float32 `randn` only (no `rand`, `randint`, float64 or half outputs, no mean/std).
/// - CPU generator only; CUDA's Philox generator gives other numbers.
/// - torch on x86-64 with AVX2 or AVX-512 (the AVX-512 build has no kernel of its own and
///   uses the AVX2 one) is matched. torch without AVX2 (old CPUs, `ATEN_CPU_CAPABILITY=default`)
///   runs a scalar kernel with libm's `logf`/`cosf`/`sinf`; measured here, it differs from
///   these numbers in 15146 of the 39160 fixture elements drawn 16 or more at a time (39%),
///   by up to 1.8e-6. Other platforms (arm64, macOS) were not checked.
/// - diffusers' `randn_tensor` with a list of generators draws each batch row from its own
///   generator: use one `TorchGenerator` per row, each drawing shape `[1, …]`.
/// - Sizes below 16 go through the platform's Double `log1p`, `sin` and `cos` as torch's
///   do, so they match torch on the same C library (glibc here).
public struct TorchGenerator: NoiseSource, Sendable, Equatable {
    /// The seed as torch reports it (`Generator.initial_seed()`), in `0...UInt64.max`.
    public let initialSeed: UInt64
    private var engine: MT19937
    /// The second Box-Muller sample of the scalar path (`next_double_normal_sample_`).
    private var cachedNormal: Double?

    /// `torch.Generator("cpu").manual_seed(seed)` for a seed in `0...UInt64.max`.
    public init(seed: UInt64) {
        initialSeed = seed
        engine = MT19937(seed: seed)
        cachedNormal = nil
    }

    /// `torch.Generator("cpu").manual_seed(seed)` for a seed as torch accepts it (negative
    /// seeds included); see ``TorchSeed``.
    public init(seed: TorchSeed) {
        self.init(seed: seed.value)
    }

    /// `torch.randn(shape, generator=self)` in float32; consumes the generator's stream as
    /// torch does. Dimensions must not be negative.
    public mutating func randn(_ shape: [Int]) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "randn: negative dimension in \(shape)")
        return Tensor(shape: shape) { out in
            if out.count >= 16 {
                fillNormal(out)
            } else {
                for i in out.indices { out[i] = Float(nextNormal()) }
            }
        }
    }

    /// One float uniform in [0, 1): `(random() & (2²⁴ − 1)) · 2⁻²⁴`
    /// (`uniform_real_distribution<float>(0, 1)`).
    @inline(__always)
    private mutating func nextUniformFloat() -> Float {
        Float(engine.next() & 0x00ff_ffff) * 0x1p-24
    }

    /// One double uniform in [0, 1): `(random64() & (2⁵³ − 1)) · 2⁻⁵³`.
    @inline(__always)
    private mutating func nextUniformDouble() -> Double {
        Double(engine.next64() & 0x001f_ffff_ffff_ffff) * 0x1p-53
    }

    /// `at::normal_distribution<double>(0, 1)` with the generator's cached second sample.
    private mutating func nextNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached * 1 + 0                             // transformation::normal: −0 → +0
        }
        let u1 = nextUniformDouble()
        let u2 = nextUniformDouble()
        let r = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = r * sin(theta)
        return r * cos(theta) * 1 + 0
    }

    /// `normal_fill`: uniforms for every element, Box-Muller per 16-element block, then a
    /// fresh block for the last 16 elements when the count is not a multiple of 16.
    private mutating func fillNormal(_ out: UnsafeMutableBufferPointer<Float>) {
        let count = out.count
        for i in 0..<count { out[i] = nextUniformFloat() }
        guard let base = out.baseAddress else { return }
        var start = 0
        while start &+ 16 <= count {
            Self.boxMuller16(base + start)
            start &+= 16
        }
        if count % 16 != 0 {
            let tail = base + (count - 16)
            for j in 0..<16 { tail[j] = nextUniformFloat() }
            Self.boxMuller16(tail)
        }
    }

    private static let twoPi = Float(bitPattern: 0x40c9_0fdb)      // float(2π)

    /// `NormalFill16<float, true>` (AVX2): u1 = 1 − data[j], u2 = data[j + 8],
    /// data[j] = √(−2 log u1)·cos(2π u2), data[j + 8] = √(−2 log u1)·sin(2π u2).
    private static func boxMuller16(_ data: UnsafeMutablePointer<Float>) {
        for j in 0..<8 {
            let u1 = 1 - data[j]
            let u2 = data[j + 8]
            let radius = (-2 * AVXMathFun.log(u1)).squareRoot()
            let (sine, cosine) = AVXMathFun.sinCos(twoPi * u2)
            // _mm256_fmadd_ps(n, std 1, mean 0) is n + 0 (maps −0 to +0).
            data[j] = radius * cosine + 0
            data[j + 8] = radius * sine + 0
        }
    }
}

/// A seed as torch's `manual_seed` takes it: any integer in
/// [−0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff]; a negative seed s stands for 2⁶⁴ + s
/// (its two's-complement bit pattern: −1 is 18446744073709551615), as
/// `torch.Generator().manual_seed(-1).initial_seed()` shows. (torch's docstring says
/// `0xffff_ffff_ffff_ffff + seed`, one less; the code and this type use 2⁶⁴ + seed.)
/// A seed outside that range is an error, never truncated.
public struct TorchSeed: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    /// The seed torch reports (`initial_seed()`).
    public let value: UInt64

    /// A seed in `0...UInt64.max`.
    public init(_ value: UInt64) { self.value = value }

    /// A signed seed; negative values map to 2⁶⁴ + value as in torch.
    public init(signed value: Int64) { self.value = UInt64(bitPattern: value) }

    /// Parses a decimal (or `0x` hexadecimal) integer with an optional sign, e.g. from a
    /// command line; surrounding whitespace is ignored.
    /// Throws ``TorchSeedError`` when the text is not an integer or is out of torch's range.
    public init(parsing text: String) throws(TorchSeedError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var digits = Substring(trimmed)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix: UInt64 = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty else { throw TorchSeedError(text: trimmed, reason: .notAnInteger) }
        var magnitude: UInt64 = 0
        var overflow = false
        for character in digits {
            guard let digit = character.hexDigitValue, UInt64(digit) < radix, character.isASCII else {
                throw TorchSeedError(text: trimmed, reason: .notAnInteger)
            }
            let (shifted, o1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, o2) = shifted.addingReportingOverflow(UInt64(digit))
            overflow = overflow || o1 || o2
            magnitude = sum
        }
        if overflow || (negative && magnitude > 1 << 63) {
            throw TorchSeedError(text: trimmed, reason: .outOfRange)
        }
        value = negative ? 0 &- magnitude : magnitude
    }

    /// Parses like ``init(parsing:)``; nil when that throws.
    public init?(_ description: String) {
        guard let seed = try? TorchSeed(parsing: description) else { return nil }
        self = seed
    }

    /// The seed in decimal, as torch's `initial_seed()` prints it.
    public var description: String { String(value) }
}

/// A seed that torch's `manual_seed` would reject; the description is one line.
public struct TorchSeedError: Error, Equatable, CustomStringConvertible {
    /// Why the seed was rejected.
    public enum Reason: Sendable, Equatable {
        /// The text is not a decimal or `0x` hexadecimal integer.
        case notAnInteger
        /// The integer is outside [−2⁶³, 2⁶⁴ − 1].
        case outOfRange
    }

    /// The seed text as given (without surrounding whitespace).
    public let text: String
    /// Why it was rejected.
    public let reason: Reason

    /// An error for seed `text` rejected for `reason`.
    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
        switch reason {
        case .notAnInteger:
            return "seed \"\(shown)\" is not an integer: expected decimal digits (or 0x hex) with an optional sign, e.g. 42 or -1"
        case .outOfRange:
            return "seed \(shown) is out of range: torch accepts integers from -9223372036854775808 to 18446744073709551615"
        }
    }
}
