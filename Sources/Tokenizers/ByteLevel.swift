/// GPT-2's `bytes_to_unicode`: every byte gets a printable character, so that byte-level
/// BPE vocabularies are plain strings. Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` map to themselves;
/// the other 68 bytes map to U+0100, U+0101, … in byte order (space → `Ġ`, newline → `Ċ`).
/// Matches `bytes_to_unicode` in transformers (gpt2/clip) and `tokenizers`' ByteLevel.
public enum ByteLevel {
    /// The character of each byte value (index = byte).
    public static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The bytes in the order of `bytes_to_unicode()`'s dictionary: the printable bytes
    /// ascending, then the others ascending (the order of OpenAI CLIP's base vocabulary).
    public static let dictionaryOrder: [UInt8] = {
        let printable = (0...255).filter { characters[$0].value == UInt32($0) }
        let others = (0...255).filter { characters[$0].value != UInt32($0) }
        return (printable + others).map { UInt8($0) }
    }()

    /// The byte of each character of `characters` (the inverse map).
    public static let bytes: [Unicode.Scalar: UInt8] = {
        var map = [Unicode.Scalar: UInt8]()
        for (byte, character) in characters.enumerated() { map[character] = UInt8(byte) }
        return map
    }()

    /// The byte-level string of `bytes` (`''.join(byte_encoder[b] for b in bytes)`).
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(characters[Int(byte)]) }
        return String(view)
    }

    /// The bytes of a byte-level token string; characters outside the table are kept as
    /// their own UTF-8 (as `tokenizers`' ByteLevel decoder does).
    public static func decode(_ token: String, into output: inout [UInt8]) {
        for scalar in token.unicodeScalars {
            if let byte = bytes[scalar] {
                output.append(byte)
            } else {
                output.append(contentsOf: Array(String(scalar).utf8))
            }
        }
    }
}
