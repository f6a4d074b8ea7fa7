import Foundation
@testable import SafeTensors
import Tensors
import Testing

@Suite struct ReadWriteTests {
    /// `Tests/Fixtures/safetensors_dtypes.safetensors`, written by the Python `safetensors`
    /// library (tools/fixtures/fx_safetensors.py) in its stored dtypes.
    @Test func readsFileWrittenByPythonSafetensors() throws {
        let f = try Fixtures.load("safetensors_dtypes")
        #expect(f.metadata["generator"] == "tools/fixtures/fx_safetensors.py")
        #expect(f.metadata["torch"] != nil)
        let dtypes = Dictionary(uniqueKeysWithValues: f.entries.map { ($0.name, $0.dtype) })
        #expect(dtypes["f32"] == .F32 && dtypes["f16"] == .F16 && dtypes["bf16"] == .BF16)
        #expect(dtypes["f8_e4m3"] == .F8_E4M3 && dtypes["f8_e5m2"] == .F8_E5M2)
        #expect(dtypes["i64"] == .I64 && dtypes["bool"] == .BOOL)
        #expect(f.entry("f16")?.shape == [2, 3, 5])
        #expect(f.entry("scalar")?.shape == [])
        #expect(f.entry("empty")?.shape == [0, 3])
        // Entries are in file order and tile the data section.
        var end = 0
        for e in f.entries { #expect(e.dataOffsets.lowerBound == end); end = e.dataOffsets.upperBound }

        // Widening is exact: compare bit patterns (NaN included) with torch's .float().
        for (stored, widened) in [("f16_special", "f16_special_as_f32"), ("bf16", "bf16_as_f32"),
                                  ("f8_e4m3", "f8_e4m3_as_f32"), ("f8_e5m2", "f8_e5m2_as_f32")] {
            let a = try f.tensor(stored), b = try f.tensor(widened)
            #expect(a.shape == b.shape)
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern), "\(stored) widened ≠ torch \(widened)")
        }
        #expect(try f.tensor("i64").scalars == [-3, -2, -1, 0, 1, 2, 3, 4])
        #expect(try f.tensor("i64").shape == [2, 4])
        #expect(try f.tensor("bool").scalars == [1, 0, 1])
        #expect(try f.tensor("scalar").scalars == [2.5])
        #expect(try f.tensor("empty").count == 0)
        #expect(try f.bytes("f32").count == 48)
        expectSafeTensorsError(["no tensor named \"nope\""], path: f.url.path) { _ = try f.tensor("nope") }
    }

    /// The writer's F16 / BF16 rounding gives exactly torch's `x.half()` / `x.bfloat16()` bytes.
    @Test func writerRoundsLikeTorch() throws {
        let f = try Fixtures.load("safetensors_dtypes")
        let x = try f.tensor("x")
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for (dtype, expected) in [(DType.F16, "x_f16"), (.BF16, "x_bf16")] {
            let out = folder.url.appendingPathComponent("x.safetensors")
            try SafeTensorsWriter.write([("x", x)], dtype: dtype, to: out)
            let written = try SafeTensorsFile(contentsOf: out)
            #expect(written.entry("x")?.dtype == dtype)
            // NaN is compared as "a NaN": torch's vectorised CPU path writes BF16 NaN as 0xFFFF,
            // its scalar path (c10::BFloat16) and this writer as the canonical 0x7FC0.
            let ours = try halves(written.bytes("x")), torch = try halves(f.bytes(expected))
            let isNaN = dtype == .F16 ? isFloat16NaN : isBFloat16NaN
            #expect(ours.count == torch.count)
            var differences: [Int] = []
            for i in 0..<min(ours.count, torch.count) where ours[i] != torch[i] && !(isNaN(ours[i]) && isNaN(torch[i])) {
                differences.append(i)
            }
            if let i = differences.first {
                Issue.record("\(dtype): \(differences.count) elements differ from torch, first x[\(i)] = \(x.scalars[i]): ours 0x\(String(ours[i], radix: 16)), torch 0x\(String(torch[i], radix: 16))")
            }
            #expect(ours.contains(where: isNaN), "the fixture has a NaN to compare")
        }
    }

    /// Write then read back in all three dtypes: shapes, names, metadata and values survive.
    @Test(arguments: [DType.F32, .F16, .BF16])
    func roundTrip(_ dtype: DType) throws {
        var rng = SplitMix64(seed: 7)
        let tensors: [(String, Tensor)] = [
            ("zeta.weight", Tensor(shape: [2, 3, 4], scalars: (0..<24).map { _ in Float.random(in: -4...4, using: &rng) })),
            ("alpha", Tensor(shape: [5], scalars: [0, -0.0, 1, .infinity, -.infinity])),
            ("scalar", Tensor(3.25)),
            ("empty", Tensor(shape: [0, 7], scalars: [])),
            ("naïve \"quoted\"\n\u{1}", Tensor(shape: [1], scalars: [-2])),
        ]
        let metadata = ["format": "pt", "note": "tab\there, \"quotes\", é, 😀", "": "empty key"]
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("round.safetensors")
        try SafeTensorsWriter.write(tensors, dtype: dtype, metadata: metadata, to: url)
        #expect(try folder.listing() == ["round.safetensors"], "no temporary file left behind")

        let f = try SafeTensorsFile(contentsOf: url)
        #expect(f.metadata == metadata)
        #expect(f.names == tensors.map(\.0).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "sorted by name as the reference's prepare()")
        for (name, t) in tensors {
            #expect(f.entry(name)?.dtype == dtype)
            let back = try f.tensor(name)
            #expect(back.shape == t.shape, "\(name)")
            let expected = t.scalars.map { v -> Float in
                switch dtype {
                case .F16: Float(Float16(v))
                case .BF16: Float(bitPattern: UInt32(HalfConversion.bfloat16Bits(fromFloat: v.bitPattern)) << 16)
                default: v
                }
            }
            #expect(back.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(name) as \(dtype)")
        }
        // The header is padded with spaces to a multiple of 8 bytes.
        let raw = try Data(contentsOf: url)
        let n = raw.prefix(8).withUnsafeBytes { Int($0.loadUnaligned(as: UInt64.self)) }
        #expect(n % 8 == 0)
        #expect(raw[8] == UInt8(ascii: "{"))
    }

    /// The reference's own serialization tests (`test_serialization`, `test_empty` in
    /// safetensors/src/tensor.rs): byte-identical output.
    @Test func writerMatchesReferenceBytes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("ref.safetensors")
        try SafeTensorsWriter.write([("attn.0", Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5]))], to: url)
        let expected: [UInt8] = [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ]
        #expect(Array(try Data(contentsOf: url)) == expected)

        try SafeTensorsWriter.write([], to: url)
        #expect(Array(try Data(contentsOf: url)) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        try SafeTensorsWriter.write([], metadata: ["framework": "pt"], to: url)
        #expect(Array(try Data(contentsOf: url)) == [
            40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32,
        ])
        #expect(try SafeTensorsFile(contentsOf: url).metadata == ["framework": "pt"])
    }

    @Test func writerIsAtomicAndCleansUp() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("w.safetensors")
        try SafeTensorsWriter.write([("a", Tensor(1))], to: url)
        // Replacing keeps a mapping of the old file valid and leaves no temporary file.
        let old = try SafeTensorsFile(contentsOf: url)
        try SafeTensorsWriter.write([("b", Tensor(2))], to: url)
        #expect(try old.tensor("a").scalars == [1])
        #expect(try SafeTensorsFile(contentsOf: url).names == ["b"])
        #expect(try folder.listing() == ["w.safetensors"])

        // A failure after the temporary file exists (rename onto a non-empty folder) removes it.
        let blocker = folder.url.appendingPathComponent("dir.safetensors")
        try folder.write("x", to: "dir.safetensors/inside")
        expectSafeTensorsError(["cannot rename"], path: blocker.path) {
            try SafeTensorsWriter.write([("a", Tensor(1))], to: blocker)
        }
        #expect(try folder.listing() == ["dir.safetensors", "w.safetensors"])

        expectSafeTensorsError(["duplicate tensor name \"a\""]) {
            try SafeTensorsWriter.write([("a", Tensor(1)), ("a", Tensor(2))], to: url)
        }
        expectSafeTensorsError(["\"__metadata__\" is reserved"]) {
            try SafeTensorsWriter.write([("__metadata__", Tensor(1))], to: url)
        }
        expectSafeTensorsError(["cannot write dtype I32"]) { try SafeTensorsWriter.write([], dtype: .I32, to: url) }
        expectSafeTensorsError(["cannot create a temporary file"]) {
            try SafeTensorsWriter.write([], to: folder.url.appendingPathComponent("no/such/folder.safetensors"))
        }
        #expect(try SafeTensorsFile(contentsOf: url).names == ["b"], "failed writes leave the target as it was")
    }

    @Test func acceptsPaddingUnicodeAndUnalignedData() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A 3-byte header (plus tabs/newlines as padding) puts the F32 data at an odd offset.
        let header = "{\"\\u00e9\\ud83d\\ude00\\n\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[8,10]}} \t\r\n "
        var data = withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian) { Array($0) }
        data += withUnsafeBytes(of: Float(-3).bitPattern.littleEndian) { Array($0) }
        data += [0x00, 0x3C]   // half 1.0
        let url = try folder.write(craft(header, data: data), to: "u.safetensors")
        let f = try SafeTensorsFile(contentsOf: url)
        #expect(f.names == ["é😀\n", "z"])
        #expect(try f.tensor("é😀\n").scalars == [1.5, -3])
        #expect(try f.tensor("z").scalars == [1])
        #expect(f.metadata.isEmpty)
        // Zero-size tensors may share an offset; an empty file of tensors is valid.
        let zero = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[0,0]}}"
        let z = try SafeTensorsFile(contentsOf: try folder.write(craft(zero), to: "z.safetensors"))
        #expect(z.entries.count == 2)
        #expect(try z.tensor("b").shape == [3, 0])
    }

    /// Every one of the 65536 half bit patterns widens exactly as Swift's `Float(Float16)`.
    @Test func float16WideningIsExactForEveryValue() {
        var mismatches = 0
        for bits in 0...UInt32(0xFFFF) {
            let ours = HalfConversion.floatBits(fromHalf: bits)
            let swift = Float(Float16(bitPattern: UInt16(bits)))
            if ours != swift.bitPattern && !(swift.isNaN && Float(bitPattern: ours).isNaN) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Narrowing to half rounds to nearest even, checked against Swift's `Float16(Float)` at
    /// every half value, every midpoint between neighbours and one float ulp either side.
    @Test func float16NarrowingRoundsToNearestEven() {
        var mismatches: [Float] = []
        for bits in 0..<UInt16(0x7C00) {
            let v = Float(Float16(bitPattern: bits)), next = Float(Float16(bitPattern: bits + 1))
            let mid = (v + next) / 2
            for x in [v, mid, mid.nextUp, mid.nextDown, -mid] {
                let expected = Float16(x).bitPattern
                if HalfConversion.halfBits(fromFloat: x.bitPattern) != expected { mismatches.append(x) }
            }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
        #expect(HalfConversion.halfBits(fromFloat: Float.nan.bitPattern) == 0x7E00)
        #expect(HalfConversion.halfBits(fromFloat: (-Float.infinity).bitPattern) == 0xFC00)
        #expect(HalfConversion.bfloat16Bits(fromFloat: Float(1 + 0x1p-8).bitPattern) == 0x3F80)   // tie → even
        #expect(HalfConversion.bfloat16Bits(fromFloat: Float(1 + 3 * 0x1p-8).bitPattern) == 0x3F82) // tie → even
        #expect(HalfConversion.bfloat16Bits(fromFloat: Float.nan.bitPattern) == 0x7FC0)
    }
}

private func isFloat16NaN(_ h: UInt16) -> Bool { h & 0x7C00 == 0x7C00 && h & 0x3FF != 0 }
private func isBFloat16NaN(_ h: UInt16) -> Bool { h & 0x7F80 == 0x7F80 && h & 0x7F != 0 }

/// Little-endian 16-bit words of `data`.
private func halves(_ data: Data) -> [UInt16] {
    let bytes = Array(data)
    return stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
}
