import Evaluators

/// `results.csv`: one row per cell, every scalar field of `CellResult`, in matrix order.
///
/// RFC 4180 quoting (a field holding `,` `"` or a line break, or starting or ending with a
/// space, is quoted, `"` doubled), UTF-8 without a byte-order mark, rows ending in `\n`.
/// Numbers are printed exactly (Swift's shortest round-trip form: `7.5`, `1e-05`); booleans as
/// `true`/`false`; a missing value (`adherent`, `convergence`) as an empty field.
/// `judgements` flattens `[AttributeJudgement]` to `attribute=expected:observed:pass|fail`
/// joined by `;`, e.g. `colour=red:red:pass;shape=circle:square:fail`, with `%`, `;`, `:` and
/// `=` inside a part percent-encoded (`%25`, `%3B`, `%3A`, `%3D`).
enum ResultsCSV {
    /// The header row's column names.
    static let columns = [
        "id", "modality", "model", "model_index", "prompt", "prompt_index", "sampler", "karras", "steps",
        "guidance", "seed", "output", "thumbnail", "wall_seconds", "denoiser_evaluations",
        "seconds_per_evaluation", "peak_memory_bytes", "adherent", "convergence", "convergence_metric",
        "judgements",
    ]

    /// The whole file.
    static func text(_ results: ComparisonResults) -> String {
        ([columns] + results.cells.map(row)).map { $0.map(quoted).joined(separator: ",") + "\n" }.joined()
    }

    /// The fields of `cell`, in `columns` order.
    static func row(_ cell: CellResult) -> [String] {
        [
            cell.id, cell.modality.rawValue, cell.model, "\(cell.modelIndex)", cell.prompt, "\(cell.promptIndex)",
            cell.sampler, "\(cell.karras)", "\(cell.steps)", "\(cell.guidance)", "\(cell.seed)", cell.output,
            cell.thumbnail, "\(cell.wallSeconds)", "\(cell.denoiserEvaluations)", "\(cell.secondsPerEvaluation)",
            "\(cell.peakMemoryBytes)", cell.adherent.map { "\($0)" } ?? "", cell.convergence.map { "\($0)" } ?? "",
            cell.convergenceMetric, judgements(cell.judgements),
        ]
    }

    /// `colour=red:red:pass;shape=circle:square:fail`.
    static func judgements(_ judgements: [AttributeJudgement]) -> String {
        judgements.map { j in
            "\(escaped(j.attribute))=\(escaped(j.expected)):\(escaped(j.observed)):\(j.passed ? "pass" : "fail")"
        }.joined(separator: ";")
    }

    /// `part` with the judgement separators percent-encoded.
    private static func escaped(_ part: String) -> String {
        var out = ""
        for ch in part {
            switch ch {
            case "%": out += "%25"
            case ";": out += "%3B"
            case ":": out += "%3A"
            case "=": out += "%3D"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `field` quoted when RFC 4180 requires it (or when it has edge spaces).
    private static func quoted(_ field: String) -> String {
        let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        return needsQuotes ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }
}
