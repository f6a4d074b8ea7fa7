import Foundation

/// A strict, pull-style JSON reader (RFC 8259) over UTF-8 bytes, for safetensors headers and
/// `*.safetensors.index.json` files.
///
/// Why not `JSONSerialization` or `JSONDecoder`: both keep only one of two equal object keys,
/// so a header naming a tensor twice would load silently (the reference, serde_json into a
/// `HashMap`, also keeps the last one). Pulling tokens lets the callers see every key, turn
/// values straight into typed fields (memory stays proportional to the header, with no tree of
/// boxed values), read integers exactly (no trip through `Double`), and say which tensor and
/// field are wrong. Nesting is only followed by `skipValue`, which stops at `maximumDepth`.
struct JSONReader {
    /// What went wrong and the byte offset where it was found.
    struct SyntaxError: Error {
        let message: String
        let offset: Int
    }

    /// The type of the next value, from its first byte.
    enum Kind: String {
        case object, array, string, number, boolean, null
        /// "an object", "a string", … for messages.
        var withArticle: String { self == .object || self == .array ? "an \(rawValue)" : "a \(rawValue)" }
    }

    /// A number token kept as text until the caller says what it must be.
    struct Number {
        /// The token as written (only digits when it is a non-negative integer).
        let text: String
        let isNegative: Bool
        let isInteger: Bool

        /// The value when it is a non-negative integer that fits `Int`.
        var nonNegativeInt: Int? {
            guard isInteger, !isNegative else { return nil }
            var value = 0
            for digit in text.utf8 {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(digit &- 0x30))
                if o1 || o2 { return nil }
                value = sum
            }
            return value
        }

        /// Why this number is not a non-negative `Int` (nil when it is one).
        var whyNotNonNegativeInt: String? {
            if !isInteger { return "\(text) is not an integer" }
            if isNegative { return "\(text) is negative" }
            if nonNegativeInt == nil { return "\(text) does not fit in Int" }
            return nil
        }
    }

    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The offset of the first byte that is not valid UTF-8 (overlong forms, surrogates and
    /// values above U+10FFFF are invalid), or nil.
    static func invalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i &+= 1; continue }
            let length: Int, low: UInt8, high: UInt8   // allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: length = 2; low = 0x80; high = 0xBF
            case 0xE0: length = 3; low = 0xA0; high = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; low = 0x80; high = 0xBF
            case 0xED: length = 3; low = 0x80; high = 0x9F
            case 0xF0: length = 4; low = 0x90; high = 0xBF
            case 0xF1...0xF3: length = 4; low = 0x80; high = 0xBF
            case 0xF4: length = 4; low = 0x80; high = 0x8F
            default: return i
            }
            guard n - i >= length else { return i }
            guard bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i &+= length
        }
        return nil
    }

    // MARK: Structure

    /// The kind of the next value (after whitespace).
    mutating func peekKind() throws -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        default: throw error("unexpected \(describeByte(bytes[position])), expected a value")
        }
    }

    /// Consumes `{`.
    mutating func beginObject() throws { try expect("{") }

    /// The next key of the current object (consuming the `,` before it and the `:` after it),
    /// or nil after consuming the closing `}`. `first` starts as true for each object.
    mutating func nextKey(first: inout Bool) throws -> String? {
        skipWhitespace()
        if consume("}") { return nil }
        if !first { try expect(",", "',' or '}'") }
        first = false
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw error(position < bytes.count ? "expected a string key, found \(describeByte(bytes[position]))"
                                               : "unexpected end of input, expected a string key")
        }
        let key = try readString()
        try expect(":")
        return key
    }

    /// Consumes `[`.
    mutating func beginArray() throws { try expect("[") }

    /// Whether another element follows (consuming the `,` before it), or false after consuming
    /// the closing `]`. `first` starts as true for each array.
    mutating func nextElement(first: inout Bool) throws -> Bool {
        skipWhitespace()
        if consume("]") { return false }
        if !first { try expect(",", "',' or ']'") }
        first = false
        return true
    }

    /// Throws unless only whitespace is left.
    mutating func expectEnd() throws {
        skipWhitespace()
        if position < bytes.count { throw error("unexpected \(describeByte(bytes[position])) after the end of the JSON value") }
    }

    /// Skips one value of any kind, following at most `maximumDepth` levels of nesting.
    mutating func skipValue(depth: Int = 0) throws {
        switch try peekKind() {
        case .object, .array:
            guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
            var first = true
            if try peekKind() == .object {
                try beginObject()
                while try nextKey(first: &first) != nil { try skipValue(depth: depth + 1) }
            } else {
                try beginArray()
                while try nextElement(first: &first) { try skipValue(depth: depth + 1) }
            }
        case .string: _ = try readString()
        case .number: _ = try readNumber()
        case .boolean: _ = try readBoolean()
        case .null: try expectLiteral("null")
        }
    }

    // MARK: Scalars

    /// Reads `true` or `false`.
    mutating func readBoolean() throws -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "t") { try expectLiteral("true"); return true }
        try expectLiteral("false")
        return false
    }

    /// Reads a number token: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func readNumber() throws -> Number {
        skipWhitespace()
        let start = position
        let isNegative = consume("-")
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw error("leading zero in a number") }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if consume(".") {
            isInteger = false
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected a digit after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if !consume("+") { _ = consume("-") }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("expected a digit in the exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return Number(text: text, isNegative: isNegative, isInteger: isInteger)
    }

    /// Reads a string, decoding escapes; control characters and lone surrogates are errors.
    mutating func readString() throws -> String {
        skipWhitespace()
        try expect("\"")
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character \(describeByte(b)) in a string") }
            position += 1
        }
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if b == UInt8(ascii: "\"") { return String(decoding: utf8, as: UTF8.self) }
            if b < 0x20 { position -= 1; throw error("control character \(describeByte(b)) in a string") }
            guard b == UInt8(ascii: "\\") else { utf8.append(b); continue }
            guard position < bytes.count else { break }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard consume("\\"), consume("u") else { throw error("lone high surrogate \\u\(hex(scalar))") }
                    let low = try readHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("high surrogate \\u\(hex(scalar)) not followed by a low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("lone low surrogate \\u\(hex(scalar))")
                }
                utf8.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                position -= 1
                throw error("invalid escape \\\(describeByte(e))")
            }
        }
        throw error("unterminated string")
    }

    // MARK: Helpers

    private mutating func readHex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit \(describeByte(b)) in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let text = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - position >= text.count,
              UnsafeRawBufferPointer(rebasing: bytes[position..<(position + text.count)]).elementsEqual(text)
        else { throw error("invalid literal, expected \(literal)") }
        position += text.count
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func consume(_ c: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: c) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ c: Unicode.Scalar, _ what: String? = nil) throws {
        skipWhitespace()
        guard !consume(c) else { return }
        let wanted = what ?? "'\(c)'"
        throw error(position < bytes.count ? "expected \(wanted), found \(describeByte(bytes[position]))"
                                           : "unexpected end of input, expected \(wanted)")
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private func hex(_ v: UInt32) -> String { String(v, radix: 16, uppercase: true) }

    private func describeByte(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    private func error(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: position) }
}
