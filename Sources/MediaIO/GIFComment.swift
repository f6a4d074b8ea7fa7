/// Inserting a GIF89a Comment Extension (`0x21 0xFE`, data sub-blocks of at most 255 bytes,
/// a zero terminator) right after the logical screen descriptor and global colour table,
/// where FFmpeg's `gif` demuxer reads it into the `comment` metadata key.
enum GIFComment {
    /// `gif` with `text` (UTF-8) as a comment; throws if `gif` is not a GIF89a stream.
    static func insert(_ text: String, into gif: [UInt8], path: String) throws -> [UInt8] {
        guard gif.count >= 13, gif[0..<6].elementsEqual("GIF89a".utf8) || gif[0..<6].elementsEqual("GIF87a".utf8) else {
            throw MediaIOError(.codec, "cannot write video", path: path, "the GIF muxer's output has no GIF header")
        }
        let flags = gif[10]
        let tableBytes = flags & 0x80 != 0 ? 3 * (1 << (Int(flags & 0x07) + 1)) : 0
        let at = 13 + tableBytes
        guard at <= gif.count else {
            throw MediaIOError(.codec, "cannot write video", path: path, "the GIF muxer's output is truncated")
        }
        var block: [UInt8] = [0x21, 0xFE]
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let count = min(255, bytes.count - start)
            block.append(UInt8(count))
            block += bytes[start..<(start + count)]
            start += count
        }
        block.append(0)
        var out = Array(gif[0..<at])
        out += block
        out += gif[at...]
        if out[0..<6].elementsEqual("GIF87a".utf8) { out.replaceSubrange(0..<6, with: Array("GIF89a".utf8)) }
        return out
    }
}
