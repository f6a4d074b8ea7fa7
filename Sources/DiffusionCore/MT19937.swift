/// The 32-bit Mersenne Twister exactly as torch's CPU generator runs it
/// (`at::mt19937`, aten/src/ATen/core/MT19937RNGEngine.h; Matsumoto & Nishimura 1998,
/// `init_genrand` seeding).
///
/// torch seeds the state with the low 32 bits of its 64-bit seed only, so seeds that differ
/// only above bit 31 (0 and 2³², say) give the same stream, in torch and here.
struct MT19937: Sendable, Equatable {
    private static let n = 624
    private static let m = 397
    private static let matrixA: UInt32 = 0x9908_b0df
    private static let upperMask: UInt32 = 0x8000_0000
    private static let lowerMask: UInt32 = 0x7fff_ffff

    /// The 624 words of state.
    private var state: [UInt32]
    /// Index of the next word to temper; `n` means the state must be twisted first
    /// (torch's `left_ == 1` right after seeding).
    private var index: Int

    /// `at::mt19937(seed)`: `state[0] = seed & 0xffffffff`,
    /// `state[j] = 1812433253 · (state[j-1] ^ (state[j-1] >> 30)) + j`.
    init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: Self.n)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<Self.n {
            let previous = state[j - 1]
            state[j] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(j)
        }
        self.state = state
        self.index = Self.n
    }

    /// The next 32 random bits (torch's `CPUGeneratorImpl::random()`).
    @inline(__always)
    mutating func next() -> UInt32 {
        if index == Self.n { twist() }
        var y = state[index]
        index &+= 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// 64 random bits from two draws, the first one high (torch's `random64()`).
    @inline(__always)
    mutating func next64() -> UInt64 {
        let high = UInt64(next())
        return high << 32 | UInt64(next())
    }

    /// Regenerates all 624 words (`next_state()` in torch).
    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { s in
            let n = Self.n, m = Self.m
            @inline(__always) func mixed(_ u: UInt32, _ v: UInt32) -> UInt32 {
                (((u & Self.upperMask) | (v & Self.lowerMask)) >> 1) ^ (v & 1 == 0 ? 0 : Self.matrixA)
            }
            for k in 0..<(n - m) {
                s[k] = s[k + m] ^ mixed(s[k], s[k + 1])
            }
            for k in (n - m)..<(n - 1) {
                s[k] = s[k + m - n] ^ mixed(s[k], s[k + 1])
            }
            s[n - 1] = s[m - 1] ^ mixed(s[n - 1], s[0])
        }
        index = 0
    }
}
