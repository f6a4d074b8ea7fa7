import Foundation
import SafeTensors
import Testing

/// One malformed file and the words its error must contain.
struct BadFile: Sendable, CustomTestStringConvertible {
    let title: String
    let bytes: [UInt8]
    let expected: [String]
    var testDescription: String { title }

    init(_ title: String, _ bytes: [UInt8], _ expected: String...) {
        (self.title, self.bytes, self.expected) = (title, bytes, expected)
    }
}

/// An F32 entry.
private func f32(_ name: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

@Suite struct BadFileTests {
    static let cases: [BadFile] = [
        // Length prefix and header framing.
        BadFile("empty file", [], "0 bytes", "too short"),
        BadFile("shorter than 8 bytes", [8, 0, 0], "3 bytes", "too short"),
        BadFile("header cut short", Array(craft("{" + f32("a", [1], 0, 4) + "}", data: zeros(4)).prefix(30)),
                "header length 54", "runs past the end of the 30-byte file"),
        BadFile("header length larger than the file", craft("{}", headerLength: 1000),
                "header length 1000", "runs past the end of the 10-byte file"),
        BadFile("header length 2^64-1", craft("{}", headerLength: .max),
                "header length 18446744073709551615", "exceeds the 100000000-byte limit"),
        BadFile("header length just over the limit", craft("{}", headerLength: 100_000_001),
                "header length 100000001", "exceeds the 100000000-byte limit"),
        BadFile("header length at the limit but past the end", craft("{}", headerLength: 100_000_000),
                "header length 100000000", "runs past the end"),
        BadFile("header not UTF-8", craft(header: Array("{\"a".utf8) + [0xFF] + Array("\":{}}".utf8)),
                "not valid UTF-8", "0xFF", "offset 3"),
        BadFile("header with an overlong UTF-8 form", craft(header: Array("{\"".utf8) + [0xC0, 0xAF] + Array("\":1}".utf8)),
                "not valid UTF-8"),
        BadFile("header not JSON", craft("{\"a\": }   "), "not valid JSON", "offset 6"),
        BadFile("header JSON cut short", craft("{\"a\":{\"dtype\":\"F32\""), "not valid JSON", "end of input"),
        BadFile("header with garbage after the object", craft("{} x"), "not valid JSON", "after the end"),
        BadFile("header a JSON array", craft("[1, 2]  "), "JSON array", "expected a JSON object"),
        BadFile("header a JSON string", craft("\"{}\""), "does not start with '{'"),
        BadFile("header with leading whitespace", craft(" {}"), "does not start with '{'"),
        BadFile("empty header", craft(""), "header is empty"),
        BadFile("lone surrogate in a name", craft("{\"\\ud800\":{}}"), "not valid JSON", "surrogate"),
        BadFile("control character in a name", craft(header: Array("{\"a".utf8) + [0x0A] + Array("\":{}}".utf8)),
                "not valid JSON", "control character"),
        BadFile("entry a deeply nested array", craft("{\"a\":" + String(repeating: "[", count: 100_000) + "}"),
                "tensor \"a\"", "is an array, expected an object"),

        // Offsets and layout.
        BadFile("offsets reversed", craft("{" + f32("a", [1], 4, 0) + "}", data: zeros(4)),
                "tensor \"a\"", "data_offsets [4, 0]", "reversed"),
        BadFile("overlapping tensors", craft("{" + f32("a", [2], 0, 8) + "," + f32("b", [2], 4, 12) + "}", data: zeros(12)),
                "tensor \"b\"", "[4, 12]", "overlap tensor \"a\" at [0, 8]"),
        BadFile("gap between tensors", craft("{" + f32("a", [1], 0, 4) + "," + f32("b", [1], 8, 12) + "}", data: zeros(12)),
                "gap of 4 bytes", "\"a\" (ends at 4)", "\"b\" (begins at 8)"),
        BadFile("gap before the first tensor", craft("{" + f32("a", [1], 4, 8) + "}", data: zeros(8)),
                "gap of 4 bytes before the first tensor \"a\""),
        BadFile("tensor out of bounds", craft("{" + f32("a", [2], 0, 8) + "}", data: zeros(4)),
                "tensor \"a\"", "[0, 8]", "out of bounds", "4-byte data section"),
        BadFile("trailing bytes after the last tensor", craft("{" + f32("a", [1], 0, 4) + "}", data: zeros(6)),
                "2 trailing bytes", "tensors end at 4", "6 bytes"),
        BadFile("data but no tensors", craft("{}", data: zeros(3)), "3 trailing bytes"),
        BadFile("byte count not matching shape and dtype", craft("{" + f32("w", [2, 3], 0, 20) + "}", data: zeros(20)),
                "tensor \"w\"", "[0, 20] span 20 bytes", "shape [2, 3] of F32 needs 24"),
        BadFile("three data offsets", craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", data: zeros(4)),
                "tensor \"a\"", "data_offsets has 3 numbers, expected 2"),

        // Shapes.
        BadFile("shape product overflowing Int", craft("{" + f32("big", [4_294_967_296, 4_294_967_296], 0, 0) + "}"),
                "tensor \"big\"", "element count", "overflows Int"),
        BadFile("shape byte size overflowing Int", craft("{" + f32("big", [1 << 62], 0, 0) + "}"),
                "tensor \"big\"", "byte size", "of F32 overflows Int"),
        BadFile("negative dimension", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}"),
                "tensor \"n\"", "shape[1] = -1 is negative"),
        BadFile("non-integer dimension", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", data: zeros(4)),
                "tensor \"n\"", "shape[0] = 1.5 is not an integer"),
        BadFile("exponent dimension", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", data: zeros(4)),
                "shape[0] = 1e0 is not an integer"),
        BadFile("string dimension", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", data: zeros(8)),
                "shape[0] is a string"),
        BadFile("dimension too large for Int", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}"),
                "shape[0] = 99999999999999999999 does not fit in Int"),
        BadFile("negative offset", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}"),
                "data_offsets[0] = -4 is negative"),
        BadFile("shape not an array", craft("{\"n\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", data: zeros(16)),
                "shape is a number, expected an array"),

        // Entries.
        BadFile("unknown dtype", craft("{\"a\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: zeros(4)),
                "tensor \"a\"", "unknown dtype \"F99\""),
        BadFile("dtype the format has but Diffuse does not read", craft("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", data: zeros(8)),
                "dtype \"C64\" is not supported"),
        BadFile("duplicate tensor name", craft("{" + f32("a", [1], 0, 4) + "," + f32("a", [1], 4, 8) + "}", data: zeros(8)),
                "duplicate tensor name \"a\""),
        BadFile("duplicate field", craft("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: zeros(4)),
                "tensor \"a\"", "duplicate field \"dtype\""),
        BadFile("missing field", craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: zeros(4)),
                "tensor \"a\"", "missing field \"data_offsets\""),
        BadFile("unexpected field", craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", data: zeros(4)),
                "tensor \"a\"", "unexpected field \"x\""),
        BadFile("entry not an object", craft("{\"a\":[0,4]}", data: zeros(4)), "tensor \"a\"", "entry is an array"),

        // Metadata.
        BadFile("__metadata__ with a non-string value", craft("{\"__metadata__\":{\"format\":\"pt\",\"step\":3}}"),
                "__metadata__ value for key \"step\" is a number, expected a string"),
        BadFile("__metadata__ with a nested object", craft("{\"__metadata__\":{\"k\":{}}}"),
                "__metadata__ value for key \"k\" is an object"),
        BadFile("__metadata__ not an object", craft("{\"__metadata__\":\"pt\"}"), "__metadata__ is a string"),
        BadFile("__metadata__ twice", craft("{\"__metadata__\":{},\"__metadata__\":{}}"), "two \"__metadata__\""),
        BadFile("__metadata__ duplicate key", craft("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), "duplicate key \"k\" in __metadata__"),
    ]

    @Test(arguments: cases)
    func rejects(_ bad: BadFile) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write(bad.bytes, to: "bad.safetensors")
        expectSafeTensorsError(bad.expected, path: file.path) { _ = try SafeTensorsFile(contentsOf: file) }
    }

    @Test func missingFileAndFolderAreErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.url.appendingPathComponent("none.safetensors")
        expectSafeTensorsError(["cannot open the file"], path: missing.path) { _ = try SafeTensorsFile(contentsOf: missing) }
        expectSafeTensorsError(["is not a regular file"]) { _ = try SafeTensorsFile(contentsOf: folder.url) }
    }

    /// Mutated valid files (truncations, byte flips, random length prefixes) must all give a
    /// `SafeTensorsError` or a valid file, never a trap or another error type.
    @Test func mutatedFilesNeverTrap() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let good = craft("{\"__metadata__\":{\"k\":\"v\"}," + f32("a", [2], 0, 8) + "," + f32("b", [1, 1], 8, 12) + "}   ",
                         data: (0..<12).map { UInt8($0) })
        var rng = SplitMix64(seed: 42)
        var rejected = 0
        for trial in 0..<400 {
            var bytes = good
            switch trial % 4 {
            case 0: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            case 1: for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 2: bytes[8 + Int(rng.next() % UInt64(bytes.count - 8))] = Array("{}[],:\"-019e.\\ ".utf8)[Int(rng.next() % 15)]
            default: bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: rng.next() >> (rng.next() % 64)) { Array($0) })
            }
            let file = try folder.write(bytes, to: "m.safetensors")
            do {
                let f = try SafeTensorsFile(contentsOf: file)
                for name in f.names { _ = try f.tensor(name) }
            } catch is SafeTensorsError {
                rejected += 1
            }
        }
        #expect(rejected > 300, "only \(rejected) of 400 mutated files were rejected")
    }
}

/// A small seeded generator (SplitMix64) so test inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
