import CFFmpeg

/// A PNG text chunk: `tEXt` (Latin-1), `zTXt` (compressed Latin-1) or `iTXt` (UTF-8).
/// See the PNG specification, 3rd edition, §11.3.3 "Textual information".
public struct PNGTextChunk: Sendable, Equatable {
    /// The chunk type.
    public enum Kind: String, Sendable, Equatable {
        /// Uncompressed Latin-1 text.
        case tEXt
        /// zlib-compressed Latin-1 text (read only).
        case zTXt
        /// International text: UTF-8, written uncompressed with empty language tags.
        case iTXt
    }

    /// 1–79 printable Latin-1 characters, e.g. `parameters`.
    public var keyword: String
    /// The text (any Unicode for `iTXt`, Latin-1 for `tEXt`); no NUL characters.
    public var text: String
    /// The chunk type.
    public var kind: Kind

    /// A text chunk; `kind` nil picks `tEXt` when `text` is Latin-1 and `iTXt` otherwise
    /// (what PIL's `PngInfo.add_text` does, and so what A1111 writes).
    public init(keyword: String, text: String, kind: Kind? = nil) {
        self.keyword = keyword
        self.text = text
        self.kind = kind ?? (PNGChunks.latin1(text) != nil ? .tEXt : .iTXt)
    }
}

/// Reading and writing the chunk structure of PNG files: `length, type, data, CRC-32`.
/// The CRC is FFmpeg's `av_crc` with the `AV_CRC_32_IEEE_LE` table (zlib's CRC-32: reflected
/// polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), as FFmpeg's own PNG encoder uses.
enum PNGChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// One chunk of a parsed file.
    struct Chunk {
        var type: String
        var data: ArraySlice<UInt8>
        var offset: Int
    }

    /// The CRC-32 of `type` followed by `data`.
    static func crc(type: [UInt8], data: ArraySlice<UInt8>) -> UInt32 {
        let table = av_crc_get_table(AV_CRC_32_IEEE_LE)
        var crc: UInt32 = 0xFFFF_FFFF
        crc = type.withUnsafeBufferPointer { av_crc(table, crc, $0.baseAddress, $0.count) }
        crc = data.withUnsafeBufferPointer { av_crc(table, crc, $0.baseAddress, $0.count) }
        return crc ^ 0xFFFF_FFFF
    }

    /// A complete chunk: big-endian length, type, data, CRC.
    static func chunk(type: String, data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var out = bigEndian(UInt32(data.count)) + typeBytes + data
        out += bigEndian(crc(type: typeBytes, data: data[...]))
        return out
    }

    /// The chunk for `text`; throws for an invalid keyword or text the kind cannot hold.
    static func encode(_ text: PNGTextChunk, path: String) throws -> [UInt8] {
        guard let keyword = latin1(text.keyword), (1...79).contains(keyword.count),
              keyword.allSatisfy({ (32...126).contains($0) || $0 >= 161 }),
              keyword.first != 32, keyword.last != 32, !text.keyword.contains("  ")
        else {
            throw MediaIOError(.invalidInput, "cannot write PNG text to", path: path,
                               "keyword \"\(text.keyword)\" must be 1–79 printable Latin-1 characters without leading, trailing or double spaces")
        }
        guard !text.text.contains("\0") else {
            throw MediaIOError(.invalidInput, "cannot write PNG text to", path: path,
                               "the \"\(text.keyword)\" text contains a NUL character")
        }
        switch text.kind {
        case .tEXt:
            guard let body = latin1(text.text) else {
                throw MediaIOError(.invalidInput, "cannot write PNG text to", path: path,
                                   "the \"\(text.keyword)\" text is not Latin-1; use an iTXt chunk")
            }
            return chunk(type: "tEXt", data: keyword + [0] + body)
        case .iTXt:
            // keyword NUL, compression flag 0, method 0, language "" NUL, translated keyword "" NUL, text
            return chunk(type: "iTXt", data: keyword + [0, 0, 0, 0, 0] + Array(text.text.utf8))
        case .zTXt:
            throw MediaIOError(.unsupportedFormat, "cannot write PNG text to", path: path,
                               "writing compressed zTXt chunks is not supported")
        }
    }

    /// `png` with `extra` chunks inserted right after the IHDR chunk.
    static func insertAfterHeader(_ png: [UInt8], _ extra: [UInt8], path: String) throws -> [UInt8] {
        let headerEnd = signature.count + 4 + 4 + 13 + 4
        guard png.count > headerEnd, Array(png[0..<8]) == signature,
              readUInt32(png, 8) == 13, Array(png[12..<16]) == Array("IHDR".utf8)
        else {
            throw MediaIOError(.codec, "cannot encode PNG for", path: path,
                               "the encoder's output does not start with a PNG signature and IHDR")
        }
        return Array(png[0..<headerEnd]) + extra + Array(png[headerEnd...])
    }

    /// Every chunk of `png` up to and including IEND, CRCs checked.
    static func parse(_ png: [UInt8], path: String) throws -> [Chunk] {
        guard png.count >= 8, Array(png[0..<8]) == signature else {
            throw MediaIOError(.malformed, "cannot read PNG", path: path, "the file does not start with the PNG signature")
        }
        var chunks: [Chunk] = []
        var offset = 8
        while true {
            guard png.count - offset >= 12 else {
                throw MediaIOError(.malformed, "cannot read PNG", path: path, "truncated at byte \(offset): no IEND chunk")
            }
            let length = Int(readUInt32(png, offset))
            guard length <= 0x7FFF_FFFF, png.count - offset - 12 >= length else {
                throw MediaIOError(.malformed, "cannot read PNG", path: path,
                                   "chunk at byte \(offset) claims \(length) bytes, past the end of the file")
            }
            let typeBytes = Array(png[(offset + 4)..<(offset + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            let data = png[(offset + 8)..<(offset + 8 + length)]
            let stored = readUInt32(png, offset + 8 + length)
            let computed = crc(type: typeBytes, data: data)
            guard stored == computed else {
                throw MediaIOError(.malformed, "cannot read PNG", path: path,
                                   "chunk \(type) at byte \(offset) has CRC \(hex(stored)), its data gives \(hex(computed))")
            }
            chunks.append(Chunk(type: type, data: data, offset: offset))
            offset += 12 + length
            if type == "IEND" { return chunks }
        }
    }

    /// The text of a tEXt or uncompressed iTXt chunk; nil for compressed text (zTXt, or iTXt
    /// with the compression flag), which the caller takes from FFmpeg's decoder instead.
    static func decodeText(_ chunk: Chunk, path: String) throws -> (keyword: String, text: String?, kind: PNGTextChunk.Kind)? {
        let data = Array(chunk.data)
        guard let kind = PNGTextChunk.Kind(rawValue: chunk.type) else { return nil }
        guard let nul = data.firstIndex(of: 0), nul >= 1 else {
            throw MediaIOError(.malformed, "cannot read PNG", path: path, "\(chunk.type) chunk at byte \(chunk.offset) has no keyword")
        }
        let keyword = fromLatin1(data[0..<nul])
        switch kind {
        case .tEXt:
            return (keyword, fromLatin1(data[(nul + 1)...]), kind)
        case .zTXt:
            return (keyword, nil, kind)
        case .iTXt:
            let rest = data[(nul + 1)...]
            guard rest.count >= 2, let language = rest.dropFirst(2).firstIndex(of: 0),
                  let translated = rest[(language + 1)...].firstIndex(of: 0)
            else {
                throw MediaIOError(.malformed, "cannot read PNG", path: path, "iTXt chunk at byte \(chunk.offset) is truncated")
            }
            if rest[rest.startIndex] != 0 { return (keyword, nil, kind) }
            return (keyword, String(decoding: data[(translated + 1)...], as: UTF8.self), kind)
        }
    }

    /// `text` as Latin-1 bytes, or nil if a character is outside U+0000…U+00FF.
    static func latin1(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(scalar.value))
        }
        return out
    }

    static func fromLatin1(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return text
    }

    static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
