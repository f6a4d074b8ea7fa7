/// A table of plain-text cells, rendered as HTML (`index.html`) or as Markdown with padded
/// columns (`summary.md`, which then reads as a table in a terminal too).
struct ReportTable: Sendable {
    var headers: [String]
    /// Per column: numbers are right-aligned.
    var numeric: [Bool]
    var rows: [[String]]

    /// A `<table>` with an optional caption; every text escaped. The first column is a row header.
    func html(caption: String? = nil, className: String = "summary") -> String {
        var out = "<table class=\"\(className)\">"
        if let caption { out += "<caption>\(HTMLText.escape(caption))</caption>" }
        out += "<thead><tr>"
        for (column, header) in headers.enumerated() {
            out += "<th scope=\"col\"\(numeric[column] ? " class=\"num\"" : "")>\(HTMLText.escape(header))</th>"
        }
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for (column, text) in row.enumerated() {
                let tag = column == 0 ? "th scope=\"row\"" : "td"
                let close = column == 0 ? "th" : "td"
                out += "<\(tag)\(numeric[column] ? " class=\"num\"" : "")>\(HTMLText.escape(text))</\(close)>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// A GitHub-flavoured Markdown table, columns padded to a common width; `|` in a cell is
    /// escaped and line breaks become spaces.
    func markdown() -> String {
        let cells = ([headers] + rows).map { row in
            row.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        }
        let widths = headers.indices.map { column in max(3, cells.map { $0[column].count }.max() ?? 3) }
        func line(_ row: [String]) -> String {
            let padded = row.enumerated().map { column, text in
                let pad = String(repeating: " ", count: widths[column] - text.count)
                return numeric[column] ? pad + text : text + pad
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.indices.map { column in
            numeric[column] ? " " + String(repeating: "-", count: widths[column] - 1) + ": "
                : " " + String(repeating: "-", count: widths[column]) + " "
        }.joined(separator: "|") + "|"
        return ([line(cells[0]), rule] + cells.dropFirst().map(line)).joined(separator: "\n")
    }
}

/// The report's tables, shared by `index.html` and `summary.md`.
enum SummaryTables {
    /// Per sampler label of `modality`: cells, mean wall time, seconds per denoiser evaluation,
    /// evaluations per step, peak memory, adherence, and the mean convergence at each step count.
    static func samplers(_ statistics: ReportStatistics, modality: Modality) -> ReportTable {
        let steps = statistics.steps[modality] ?? []
        let headers = ["sampler", "cells", "mean wall", "s / evaluation", "evaluations / step", "peak memory", "adherence"]
            + steps.map { "\($0) steps" }
        let rows = statistics.summaries(of: modality).map { row in
            [row.label, "\(row.cells)", ReportFormat.seconds(row.meanWallSeconds),
             row.secondsPerEvaluation.map(ReportFormat.seconds) ?? "—",
             row.evaluationsPerStep.map { ReportFormat.number($0) } ?? "—",
             ReportFormat.bytes(row.peakMemoryBytes), ReportFormat.rate(row.adherence)]
                + steps.map { row.convergenceBySteps[$0].map { ReportFormat.number($0) } ?? "—" }
        }
        return ReportTable(headers: headers, numeric: [false] + Array(repeating: true, count: headers.count - 1), rows: rows)
    }

    /// The caption of `samplers(_:modality:)`: what the convergence columns measure.
    static func samplersCaption(_ statistics: ReportStatistics, modality: Modality, referenceSteps: Int) -> String {
        let metric = statistics.metrics[modality] ?? "convergence"
        return "\(modality.rawValue): convergence columns are the mean \(metric) to the same seed's "
            + "\(referenceSteps)-step output (over models, prompts, seeds and guidance scales)"
    }

    /// One row per determinism check: the re-run cell and whether its bytes were identical.
    static func determinism(_ checks: [DeterminismCheck]) -> ReportTable {
        let rows = checks.map { check in
            [check.modality.rawValue, check.cell,
             check.identical ? "identical" : "DIFFERENT" + (check.firstDifference.map { " from byte \($0)" } ?? ""),
             "\(check.bytes)"]
        }
        return ReportTable(headers: ["modality", "cell re-run", "bytes of the two runs", "size (bytes)"],
                           numeric: [false, false, false, true], rows: rows)
    }

    /// "Engine: … · Machine: … · Run: … → … · N cells · convergence reference: N steps".
    static func runLines(_ results: ComparisonResults) -> [String] {
        [
            "Engine: \(results.engine)",
            "Machine: \(results.machine)",
            "Run: \(results.started) → \(results.finished)",
            "\(results.cells.count) cells; convergence reference: \(results.referenceSteps) steps",
        ]
    }
}
