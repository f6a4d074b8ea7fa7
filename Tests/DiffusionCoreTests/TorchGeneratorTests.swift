import DiffusionCore
import Foundation
import SafeTensors
import Tensors
import Testing

/// Fixture: tools/fixtures/fx_generator.py (torch 2.15.0, x86-64 with AVX2), e.g.
///     g = torch.Generator("cpu").manual_seed(42)
///     torch.randn((1, 4, 64, 64), generator=g)   # → randn/seed=42/shape=1x4x64x64
@Suite struct TorchGeneratorTests {
    /// One fixture tensor named `<kind>/seed=<python int>/…/shape=<d0>x<d1>…`.
    struct Entry {
        let name: String
        let seedText: String
        let shape: [Int]
        let draw: Int
    }

    static func entries(_ file: SafeTensorsFile, kind: String) throws -> [Entry] {
        try file.names.filter { $0.hasPrefix(kind + "/") }.map { name in
            var fields: [String: String] = [:]
            for part in name.split(separator: "/").dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            let seed = try #require(fields["seed"], "fixture name \(name) has no seed")
            let shape = try (fields["shape"] ?? "").split(separator: "x").map { try #require(Int($0), "shape in \(name)") }
            return Entry(name: name, seedText: seed, shape: shape, draw: Int(fields["draw"] ?? "0") ?? 0)
        }
    }

    /// Expects the same float32 bit patterns; on failure reports how many elements differ,
    /// the first one (index and both values) and the largest absolute difference.
    func expectBitIdentical(_ actual: Tensor, _ expected: Tensor, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard actual.shape == expected.shape else {
            Issue.record("\(what): shape \(actual.shape) ≠ expected \(expected.shape)", sourceLocation: sourceLocation)
            return
        }
        var differing = 0
        var first = -1
        var maxAbs: Float = 0
        for i in 0..<actual.count where actual.scalars[i].bitPattern != expected.scalars[i].bitPattern {
            differing += 1
            if first < 0 { first = i }
            maxAbs = max(maxAbs, abs(actual.scalars[i] - expected.scalars[i]))
        }
        if first >= 0 {
            let a = actual.scalars[first], e = expected.scalars[first]
            Issue.record("""
                \(what): \(differing) of \(actual.count) elements differ; first at \(unravel(first, actual.shape)) \
                (actual \(a) 0x\(String(a.bitPattern, radix: 16)), expected \(e) 0x\(String(e.bitPattern, radix: 16))), \
                max-abs \(maxAbs)
                """, sourceLocation: sourceLocation)
        }
    }

    @Test func randnMatchesTorchBitForBit() throws {
        let file = try Fixtures.load("generator")
        let cases = try Self.entries(file, kind: "randn")
        #expect(cases.count >= 20, "fixture has only \(cases.count) seed/shape pairs")
        for entry in cases {
            var generator = TorchGenerator(seed: try TorchSeed(parsing: entry.seedText))
            expectBitIdentical(generator.randn(entry.shape), try file.tensor(entry.name), entry.name)
        }
    }

    @Test func successiveDrawsContinueTorchsStream() throws {
        let file = try Fixtures.load("generator")
        let draws = try Self.entries(file, kind: "sequence").sorted { $0.draw < $1.draw }
        #expect(draws.count >= 5 && draws.map(\.draw) == Array(0..<draws.count))
        let seed = try TorchSeed(parsing: try #require(draws.first).seedText)
        var generator = TorchGenerator(seed: seed)
        for entry in draws {
            expectBitIdentical(generator.randn(entry.shape), try file.tensor(entry.name), entry.name)
        }
    }

    /// torch maps negative seeds to 2⁶⁴ + seed; `initial_seed/seed=<s>` holds the bit
    /// pattern of `torch.Generator().manual_seed(s).initial_seed()` as int64.
    @Test func seedsMapAsTorchMapsThem() throws {
        let file = try Fixtures.load("generator")
        let seeds = try Self.entries(file, kind: "initial_seed")
        #expect(seeds.count >= 10)
        for entry in seeds {
            let bytes = try file.bytes(entry.name)
            try #require(bytes.count == 8, "\(entry.name): expected one int64")
            let expected = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            let seed = try TorchSeed(parsing: entry.seedText)
            #expect(seed.value == expected, "\(entry.name)")
            #expect(TorchGenerator(seed: seed).initialSeed == expected, "\(entry.name)")
        }
    }

    @Test func parsesSeedsInTorchsRange() throws {
        #expect(try TorchSeed(parsing: "0").value == 0)
        #expect(try TorchSeed(parsing: "42").value == 42)
        #expect(try TorchSeed(parsing: " +7 ").value == 7)
        #expect(try TorchSeed(parsing: "-1").value == UInt64.max)
        #expect(try TorchSeed(parsing: "-0").value == 0)
        #expect(try TorchSeed(parsing: "-9223372036854775808").value == 1 << 63)
        #expect(try TorchSeed(parsing: "18446744073709551615").value == UInt64.max)
        #expect(try TorchSeed(parsing: "0xDEADbeef").value == 0xdead_beef)
        #expect(try TorchSeed(parsing: "-0x10").value == UInt64.max - 15)
        #expect(TorchSeed(signed: -12345).value == UInt64.max - 12344)
        #expect(TorchSeed("123")?.value == 123)
        #expect(TorchSeed("12a") == nil)
        #expect(TorchSeed(UInt64.max).description == "18446744073709551615")
    }

    @Test(arguments: ["18446744073709551616", "-9223372036854775809", "99999999999999999999999999",
                      "0x10000000000000000", "-18446744073709551615"])
    func rejectsSeedsOutOfRange(_ text: String) {
        #expect(throws: TorchSeedError(text: text, reason: .outOfRange)) { try TorchSeed(parsing: text) }
        do {
            _ = try TorchSeed(parsing: text)
        } catch {
            #expect(error.description.contains(text) && error.description.contains("out of range"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test(arguments: ["", " ", "abc", "1.5", "--1", "+-1", "0x", "1e3", "4 2", "١٢"])
    func rejectsTextThatIsNotAnInteger(_ text: String) {
        #expect(throws: TorchSeedError(text: text.trimmingCharacters(in: .whitespaces), reason: .notAnInteger)) {
            try TorchSeed(parsing: text)
        }
    }

    @Test func isDeterministicAndAValue() {
        var a = TorchGenerator(seed: 7)
        var b = TorchGenerator(seed: 7)
        #expect(a.randn([3, 17]) == b.randn([3, 17]))
        _ = a.randn([5])                                   // leaves a cached Box-Muller sample
        var copy = a
        #expect(copy == a)
        #expect(copy.randn([2, 3]) == a.randn([2, 3]))
        var c = TorchGenerator(seed: 8)
        #expect(c.randn([3, 17]) != TorchGenerator(seed: 7).drawing([3, 17]))
    }

    /// torch seeds mt19937 with the low 32 bits: manual_seed(2**32) gives manual_seed(0)'s
    /// numbers, while initial_seed() keeps all 64 bits.
    @Test func usesTheLow32BitsOfTheSeedLikeTorch() {
        var high = TorchGenerator(seed: 1 << 32)
        var zero = TorchGenerator(seed: 0)
        #expect(high.randn([40]) == zero.randn([40]))
        #expect(high.initialSeed == 1 << 32)
    }

    /// torch.randn((), generator=g) is one scalar-path draw; torch.randn(0) draws nothing:
    /// after manual_seed(5), randn(()), randn(0), randn(3) equal randn(4)'s four values.
    @Test func scalarAndEmptyShapes() {
        var g = TorchGenerator(seed: 5)
        let scalar = g.randn([])
        let empty = g.randn([0])
        let three = g.randn([3])
        #expect(scalar.shape == [] && scalar.count == 1)
        #expect(empty.shape == [0] && empty.count == 0)
        #expect([scalar.scalars[0]] + three.scalars == TorchGenerator(seed: 5).drawing([4]).scalars)
    }
}

private extension TorchGenerator {
    /// A draw from a copy (for comparisons in one expression).
    func drawing(_ shape: [Int]) -> Tensor {
        var copy = self
        return copy.randn(shape)
    }
}
