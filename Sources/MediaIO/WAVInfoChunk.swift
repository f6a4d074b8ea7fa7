import Foundation

/// Reads the LIST/INFO strings of a RIFF WAV file directly.
///
/// libsndfile (1.2) reads an INFO string only when it is shorter than 2046 bytes, and stops
/// at the first longer one, dropping every string after it; a long prompt, and so a long
/// JSON comment, would then not read back. libsndfile writes them in full, so `AudioReader`
/// takes WAV strings from here. Chunks are walked with `pread`; audio data is not read.
enum WAVInfoChunk {
    static let tags: [String: AudioTag] = [
        "INAM": .title, "ICOP": .copyright, "ISFT": .software, "IART": .artist, "ICMT": .comment,
        "ICRD": .date, "IPRD": .album, "ITRK": .trackNumber, "IGNR": .genre,
    ]

    /// The INFO strings of the WAV file at `path` (empty if it has none or is not RIFF/WAVE).
    static func read(_ path: String) -> [AudioTag: String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return [:] }
        let fileSize = Int(info.st_size)

        func bytes(_ offset: Int, _ count: Int) -> [UInt8]? {
            guard count >= 0, offset >= 0, offset <= fileSize - count else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(offset)) }
            return n == count ? out : nil
        }
        func le32(_ b: [UInt8], _ at: Int) -> Int {
            Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
        }

        guard let header = bytes(0, 12), header[0..<4] == [0x52, 0x49, 0x46, 0x46][...],  // "RIFF"
              header[8..<12] == [0x57, 0x41, 0x56, 0x45][...]                           // "WAVE"
        else { return [:] }
        var result: [AudioTag: String] = [:]
        var offset = 12
        while let chunk = bytes(offset, 8) {
            let size = le32(chunk, 4)
            let id = String(decoding: chunk[0..<4], as: UTF8.self)
            if id == "LIST", size >= 4, size <= 16 << 20, let list = bytes(offset + 8, size),
               list[0..<4] == [0x49, 0x4E, 0x46, 0x4F][...] {                            // "INFO"
                var at = 4
                while at + 8 <= list.count {
                    let subID = String(decoding: list[at..<(at + 4)], as: UTF8.self)
                    let subSize = le32(list, at + 4)
                    guard subSize >= 0, at + 8 + subSize <= list.count else { break }
                    if let tag = tags[subID] {
                        let text = list[(at + 8)..<(at + 8 + subSize)].prefix { $0 != 0 }
                        result[tag] = String(decoding: text, as: UTF8.self)
                    }
                    at += 8 + subSize + (subSize & 1)
                }
            }
            let (next, overflow) = offset.addingReportingOverflow(8 + size + (size & 1))
            guard !overflow, size >= 0 else { break }
            offset = next
        }
        return result
    }
}
