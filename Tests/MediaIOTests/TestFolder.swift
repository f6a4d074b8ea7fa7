import Foundation

/// A fresh folder under the system temporary folder for one test, removed when released.
final class TestFolder {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("diffuse-mediaio-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// `name` inside the folder.
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The names in the folder, hidden ones included, sorted.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// CRC-32 as the PNG specification's sample code computes it (table of the reflected
/// polynomial 0xEDB88320); independent of the FFmpeg `av_crc` the writer uses.
func referenceCRC32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for n in 0..<256 {
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[n] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// The chunks of a PNG file as (type, data, stored CRC, CRC computed here), parsed
/// independently of MediaIO.
func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8], stored: UInt32, computed: UInt32)] {
    var out: [(String, [UInt8], UInt32, UInt32)] = []
    var at = 8
    func u32(_ i: Int) -> UInt32 { png[i..<(i + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
    while at + 12 <= png.count {
        let length = Int(u32(at))
        guard at + 12 + length <= png.count else { break }
        let type = String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self)
        let data = Array(png[(at + 8)..<(at + 8 + length)])
        out.append((type, data, u32(at + 8 + length), referenceCRC32(png[(at + 4)..<(at + 8 + length)])))
        at += 12 + length
    }
    return out
}
