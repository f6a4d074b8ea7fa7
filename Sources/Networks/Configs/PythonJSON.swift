import Foundation

/// Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats, and
/// diffusers saves them in configs (every `DPMSolverMultistepScheduler` config holds
/// `"lambda_min_clipped": -Infinity`). JSON has no such literals, so Foundation's decoder refuses
/// them; this quotes them outside strings, for a decoder whose `nonConformingFloatDecodingStrategy`
/// reads the quoted names back as floats (`pythonJSONDecoder()`).
func quotingPythonNonFiniteLiterals(_ data: Data) -> Data {
    let bytes = [UInt8](data)
    let literals: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 16)
    var inString = false, escaped = false
    var i = 0
    outer: while i < bytes.count {
        let b = bytes[i]
        if inString {
            if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            out.append(b)
            i += 1
            continue
        }
        if b == UInt8(ascii: "\"") {
            inString = true
        } else {
            for literal in literals where bytes[i...].starts(with: literal) {
                out.append(UInt8(ascii: "\""))
                out += literal
                out.append(UInt8(ascii: "\""))
                i += literal.count
                continue outer
            }
        }
        out.append(b)
        i += 1
    }
    return Data(out)
}

/// A decoder that reads the quoted `NaN` / `Infinity` / `-Infinity` of
/// `quotingPythonNonFiniteLiterals` as Float and Double values.
func pythonJSONDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity",
                                                                    negativeInfinity: "-Infinity", nan: "NaN")
    return decoder
}
