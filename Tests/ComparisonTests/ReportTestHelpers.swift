import Comparison
import Evaluators
import Foundation

/// How many times `needle` occurs in `text` (non-overlapping).
func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// RFC 4180 CSV parsed independently of the writer: fields separated by `,`, records by `\n`
/// or `\r\n`, quoted fields may hold separators and line breaks, `""` inside quotes is `"`.
func parseCSV(_ text: String) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var scalars = text.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = nil
    while let c = pending ?? scalars.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                let next = scalars.next()
                if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
            } else {
                field.unicodeScalars.append(c)
            }
            continue
        }
        switch c {
        case "\"": quoted = true
        case ",": record.append(field); field = ""
        case "\r": break
        case "\n": record.append(field); records.append(record); record = []; field = ""
        default: field.unicodeScalars.append(c)
        }
    }
    if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
    return records
}

/// A `CellResult` rebuilt from a CSV row keyed by column name; throws on any unparsable field.
func cellResult(_ row: [String: String]) throws -> CellResult {
    struct Bad: Error { let field: String }
    func text(_ key: String) throws -> String { guard let v = row[key] else { throw Bad(field: key) }; return v }
    func int(_ key: String) throws -> Int { guard let v = Int(try text(key)) else { throw Bad(field: key) }; return v }
    func double(_ key: String) throws -> Double { guard let v = Double(try text(key)) else { throw Bad(field: key) }; return v }
    func bool(_ key: String) throws -> Bool { guard let v = Bool(try text(key)) else { throw Bad(field: key) }; return v }
    func optional<T>(_ key: String, _ parse: (String) throws -> T) throws -> T? {
        try text(key).isEmpty ? nil : try parse(key)
    }
    guard let modality = Modality(rawValue: try text("modality")),
          let seed = UInt64(try text("seed")), let peak = UInt64(try text("peak_memory_bytes")) else {
        throw Bad(field: "modality, seed or peak_memory_bytes")
    }
    let flattened = try text("judgements")
    let judgements: [AttributeJudgement] = try flattened.split(separator: ";").map { item in
        let halves = item.split(separator: "=", maxSplits: 1).map(String.init)
        let parts = halves.count == 2 ? halves[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init) : []
        guard parts.count == 3, let attribute = halves[0].removingPercentEncoding,
              let expected = parts[0].removingPercentEncoding, let observed = parts[1].removingPercentEncoding,
              ["pass", "fail"].contains(parts[2]) else { throw Bad(field: "judgements: \(item)") }
        return AttributeJudgement(attribute: attribute, expected: expected, observed: observed, passed: parts[2] == "pass")
    }
    return CellResult(
        id: try text("id"), modality: modality, model: try text("model"), modelIndex: try int("model_index"),
        prompt: try text("prompt"), promptIndex: try int("prompt_index"), sampler: try text("sampler"),
        karras: try bool("karras"), steps: try int("steps"), guidance: try double("guidance"), seed: seed,
        output: try text("output"), thumbnail: try text("thumbnail"), wallSeconds: try double("wall_seconds"),
        denoiserEvaluations: try int("denoiser_evaluations"),
        secondsPerEvaluation: try double("seconds_per_evaluation"), peakMemoryBytes: peak, judgements: judgements,
        adherent: try optional("adherent", bool), convergence: try optional("convergence", double),
        convergenceMetric: try text("convergence_metric"))
}

/// A written page, described by its size only, so a failed expectation does not print megabytes.
struct Page: CustomStringConvertible {
    let text: String

    init(_ url: URL) throws { text = try String(contentsOf: url, encoding: .utf8) }

    var description: String { "page of \(text.utf8.count) bytes" }

    func has(_ needle: String) -> Bool { text.contains(needle) }

    func count(_ needle: String) -> Int { occurrences(of: needle, in: text) }
}
