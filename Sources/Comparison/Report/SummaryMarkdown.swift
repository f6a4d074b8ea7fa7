/// `summary.md`: the run details, one summary table per modality and the determinism checks,
/// as Markdown whose tables are padded so they also read as tables in a terminal.
enum SummaryMarkdown {
    static func text(_ results: ComparisonResults, statistics: ReportStatistics) -> String {
        var out = "# Comparison: \(results.name)\n\n"
        out += SummaryTables.runLines(results).map { "- \($0)" }.joined(separator: "\n") + "\n"
        for modality in statistics.modalities {
            let metric = statistics.metrics[modality] ?? "convergence"
            out += "\n## \(modality.rawValue)\n\n"
            out += "Convergence columns: mean \(metric) to the same seed's \(results.referenceSteps)-step output.\n\n"
            out += SummaryTables.samplers(statistics, modality: modality).markdown() + "\n"
        }
        out += "\n## Determinism\n\n"
        if results.determinism.isEmpty {
            out += "No cell was re-run.\n"
        } else {
            let different = results.determinism.filter { !$0.identical }.count
            out += (different == 0 ? "Every re-run cell wrote identical bytes.\n\n"
                : "\(different) of \(results.determinism.count) re-run cells wrote DIFFERENT bytes.\n\n")
            out += SummaryTables.determinism(results.determinism).markdown() + "\n"
        }
        return out
    }
}
