import Foundation

/// How the report prints numbers: three significant digits, plain decimals between 0.001 and
/// 1e6 ("0.0123", "45.6") and exponents outside ("1.2e-5"), trailing zeros dropped;
/// seconds, bytes (binary units) and rates with their unit. Large numbers keep their integer
/// digits ("12346").
enum ReportFormat {
    /// `x` to `digits` significant digits.
    static func number(_ x: Double, digits: Int = 3) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "∞" : "−∞") }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if magnitude >= 1e-3, magnitude < 1e6 {
            let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
            return trimmed(String(format: "%.\(decimals)f", x))
        }
        let text = String(format: "%.\(max(0, digits - 1))e", x)
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = trimmed(String(text[..<e]))
        var exponent = String(text[text.index(after: e)...])
        let sign = exponent.hasPrefix("-") ? "-" : ""
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        return "\(mantissa)e\(sign)\(exponent.isEmpty ? "0" : exponent)"
    }

    /// A guidance scale or other setting: up to 4 significant digits ("7.5", "7", "12.25").
    static func setting(_ x: Double) -> String { number(x, digits: 4) }

    /// Seconds: "45.6 ms" under a second, "1.23 s" above.
    static func seconds(_ x: Double) -> String {
        x.isFinite && abs(x) < 1 && x != 0 ? "\(number(x * 1000)) ms" : "\(number(x)) s"
    }

    /// Bytes in binary units: "512 MiB", "2.45 GiB".
    static func bytes(_ x: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(x)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(number(value)) \(units[unit])"
    }

    /// "75% (6/8)", or "—" when nothing was judged.
    static func rate(_ rate: AdherenceRate) -> String {
        guard let fraction = rate.fraction else { return "—" }
        return "\(number(fraction * 100, digits: 3))% (\(rate.passed)/\(rate.judged))"
    }

    /// Drops trailing zeros after a decimal point ("0.0120" → "0.012", "10.00" → "10").
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var out = Substring(text)
        while out.hasSuffix("0") { out = out.dropLast() }
        if out.hasSuffix(".") { out = out.dropLast() }
        return String(out)
    }
}
