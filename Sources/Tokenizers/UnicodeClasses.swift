import Foundation

/// Character classes of the regular expressions and normalizers of HF `tokenizers`,
/// from the Unicode properties of Swift's `Unicode.Scalar` (Swift's Unicode tables may be
/// newer than the Rust crates': characters assigned in the newest Unicode versions may differ).
extension Unicode.Scalar {
    /// Oniguruma's `\p{L}`: general category L (Lu, Ll, Lt, Lm, Lo).
    var isLetterCategory: Bool {
        if value < 0x80 { return (value | 0x20) >= 0x61 && (value | 0x20) <= 0x7A }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Oniguruma's `\p{N}`: general category N (Nd, Nl, No).
    var isNumberCategory: Bool {
        if value < 0x80 { return value >= 0x30 && value <= 0x39 }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Oniguruma's `\s` and Rust's `char::is_whitespace`: the Unicode White_Space property.
    var isWhiteSpace: Bool {
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return properties.isWhitespace
    }

    /// Rust's `char::to_lowercase` (per character, no context: a final sigma stays σ).
    func appendLowercase(to output: inout [Unicode.Scalar]) {
        if value < 0x80 {
            output.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(value | 0x20)! : self)
        } else if properties.changesWhenLowercased {
            output.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
        } else {
            output.append(self)
        }
    }
}

/// Unicode normalization forms through Foundation (ICU), with a fast path for text that
/// no normalization form changes.
enum UnicodeNormalization {
    /// NFC (`normalizers.NFC`). Text below U+0300 has no combining marks and is already NFC.
    static func nfc(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.value < 0x300 }) { return scalars }
        return Array(string(scalars).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// NFD (`normalizers.NFD`). Text below U+00C0 has no decomposable character.
    static func nfd(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if scalars.allSatisfy({ $0.value < 0xC0 }) { return scalars }
        return Array(string(scalars).decomposedStringWithCanonicalMapping.unicodeScalars)
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
