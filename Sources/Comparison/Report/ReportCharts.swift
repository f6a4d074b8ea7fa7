/// The report's two chart rows, one panel per modality each:
/// - convergence against steps: the mean `convergence` of each sampler label at each step
///   count (over models, prompts, seeds and guidance scales), in the modality's metric;
/// - adherence against guidance: the fraction of judged cells with `adherent == true`.
///
/// Shared axes: every panel of a row has the same x axis (all the matrix's step counts or
/// guidance scales). Adherence panels share the 0–100 % y axis. Convergence panels share their
/// y axis with the panels whose metric is on the same scale: "pixel RMSE" (image) and "frame
/// pixel RMSE" (video) are both RMSE of 0…1 pixel values and share one; "log-mel RMSE" is in dB
/// and gets its own. Each panel names its metric in its title and y-axis title.
struct ReportCharts {
    let statistics: ReportStatistics
    let styles: [String: SamplerStyle]
    let referenceSteps: Int

    /// The convergence panels, one per modality, in modality order.
    func convergencePanels() -> [LineChartPanel] {
        let x = ChartAxis.ticksAt(statistics.allSteps.map(Double.init), title: "steps")
        var yAxes: [String: ChartAxis] = [:]
        for family in Set(statistics.modalities.map(scaleFamily)) {
            let values = statistics.summaries.filter { scaleFamily($0.modality) == family }
                .flatMap { $0.convergenceBySteps.values }
            yAxes[family] = ChartAxis.measurement(values, title: family)
        }
        return statistics.modalities.map { modality in
            let metric = statistics.metrics[modality] ?? ""
            var y = yAxes[scaleFamily(modality)]!
            let logScale = y.scale == .log
            y.title = metric + (logScale ? " (log scale)" : "")
            let series = statistics.summaries(of: modality).map { row in
                ChartSeries(label: row.label, style: styles[row.label]!, points: statistics.allSteps.map { steps in
                    let mean = row.convergenceBySteps[steps]
                    let count = row.convergenceCounts[steps] ?? 0
                    let note = "\(row.label), \(steps) steps: "
                        + (mean.map { "\(ReportFormat.number($0)) \(metric) (mean of \(count) cell\(count == 1 ? "" : "s"))" }
                            ?? "not measured")
                    return ChartPoint(x: Double(steps), y: mean, note: note)
                })
            }
            let hasZero = statistics.summaries(of: modality).contains { $0.convergenceBySteps.values.contains(0) }
            return LineChartPanel(
                title: "\(modality.rawValue) — \(metric)", x: x, y: y, series: series,
                footnote: logScale && hasZero ? "0 at \(referenceSteps) steps (the reference) is off the log scale" : nil,
                emptyMessage: "no convergence measured")
        }
    }

    /// The adherence panels, one per modality, in modality order.
    func adherencePanels() -> [LineChartPanel] {
        let x = ChartAxis.ticksAt(statistics.allGuidances, title: "guidance scale")
        let y = ChartAxis.rate(title: "adherent cells")
        return statistics.modalities.map { modality in
            let series = statistics.summaries(of: modality).map { row in
                ChartSeries(label: row.label, style: styles[row.label]!, points: statistics.allGuidances.map { guidance in
                    let rate = row.adherenceByGuidance[guidance] ?? AdherenceRate()
                    let note = "\(row.label), guidance \(ReportFormat.setting(guidance)): "
                        + (rate.judged > 0 ? ReportFormat.rate(rate) : "not judged")
                    return ChartPoint(x: guidance, y: rate.fraction, note: note)
                })
            }
            return LineChartPanel(title: "\(modality.rawValue) — prompt adherence", x: x, y: y, series: series,
                                  footnote: nil, emptyMessage: "no cell judged")
        }
    }

    /// The legend shared by every panel: one entry per sampler label.
    func legend() -> String {
        "<ul class=\"legend\">" + statistics.samplerLabels.map { styles[$0]!.legendEntry($0) }.joined() + "</ul>"
    }

    /// Convergence metrics on the same scale share a y axis; see the type's documentation.
    private func scaleFamily(_ modality: Modality) -> String {
        let metric = statistics.metrics[modality] ?? ""
        return metric.hasSuffix("pixel RMSE") ? "pixel RMSE" : metric
    }
}
