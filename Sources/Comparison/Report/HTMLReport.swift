/// `index.html`: one self-contained HTML5 page — inline CSS, inline SVG charts, thumbnails as
/// `data:` URIs, no script and nothing fetched from the network (audio and video are embedded
/// or read from `cells/`, see `ReportMedia`). Sections: run details, convergence and adherence
/// charts, time per denoiser evaluation, summary tables, determinism, one contact sheet per
/// modality, and links to the other files.
///
/// `<head>` and `</body>` each stand on their own line, so a checker can inject a script at
/// both ends (tools/check_report_in_browser.sh).
struct HTMLReport {
    let results: ComparisonResults
    let statistics: ReportStatistics
    let media: ReportMedia

    func html() throws -> String {
        let charts = ReportCharts(statistics: statistics, styles: SamplerStyle.styles(for: results.cells),
                                  referenceSteps: results.referenceSteps)
        var body = header()
        body += section("charts", "Convergence and adherence") {
            var out = charts.legend()
            out += "<h3>Convergence against steps</h3><p class=\"note\">Distance of each output from the same seed's "
                + "\(results.referenceSteps)-step output, mean over models, prompts, seeds and guidance scales. "
                + "Shared step axis; pixel metrics share their scale.</p>"
            out += "<div class=\"panels\">" + charts.convergencePanels().enumerated().map { index, panel in
                panel.svg(id: "convergence-\(statistics.modalities[index].rawValue)")
            }.joined() + "</div>"
            out += "<h3>Prompt adherence against guidance</h3><p class=\"note\">Fraction of the cells the evaluators "
                + "could judge whose main attribute is right. Shared axes.</p>"
            out += "<div class=\"panels\">" + charts.adherencePanels().enumerated().map { index, panel in
                panel.svg(id: "adherence-\(statistics.modalities[index].rawValue)")
            }.joined() + "</div>"
            return out
        }
        body += section("timing", "Time per denoiser evaluation") { timing() }
        body += section("summary", "Summary") {
            statistics.modalities.map { modality in
                SummaryTables.samplers(statistics, modality: modality).html(
                    caption: SummaryTables.samplersCaption(statistics, modality: modality, referenceSteps: results.referenceSteps))
            }.joined()
        }
        body += section("determinism", "Determinism") {
            results.determinism.isEmpty ? "<p>No cell was re-run.</p>"
                : "<p class=\"note\">One cell per modality generated twice; are the output files byte for byte the same?</p>"
                + SummaryTables.determinism(results.determinism).html(className: "summary determinism")
        }
        for modality in statistics.modalities {
            body += try ContactSheet(modality: modality, cells: results.cells.filter { $0.modality == modality },
                                     statistics: statistics, media: media, referenceSteps: results.referenceSteps).html()
        }
        body += "<footer><p>Every number: <a href=\"results.csv\">results.csv</a>, <a href=\"results.json\">results.json</a>; "
            + "the summary as Markdown: <a href=\"summary.md\">summary.md</a>.</p></footer>"
        let title = HTMLText.escape("Diffuse comparison: \(results.name)")
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>\(title)</title>\n"
            + "<style>\(Self.css)</style>\n</head>\n<body>\n\(body)\n</body>\n</html>\n"
    }

    private func header() -> String {
        let nav = [("charts", "Charts"), ("timing", "Timing"), ("summary", "Summary"), ("determinism", "Determinism")]
            .map { "<a href=\"#\($0.0)\">\($0.1)</a>" }
            + statistics.modalities.map { "<a href=\"#sheet-\($0.rawValue)\">\($0.rawValue)</a>" }
        return "<header><h1>\(HTMLText.escape(results.name))</h1><ul class=\"run\">"
            + SummaryTables.runLines(results).map { "<li>\(HTMLText.escape($0))</li>" }.joined()
            + "</ul><nav>" + nav.joined(separator: " · ") + "</nav></header>"
    }

    private func section(_ id: String, _ title: String, _ content: () -> String) -> String {
        "<section id=\"\(id)\"><h2>\(HTMLText.escape(title))</h2>\(content())</section>"
    }

    /// Per modality and sampler: evaluations per step and seconds per evaluation, with a bar
    /// scaled to the modality's slowest sampler.
    private func timing() -> String {
        var out = "<p class=\"note\">Sampling-loop time over denoiser (UNet) evaluations, pooled over the cells; with "
            + "classifier-free guidance the two halves of a batched call count once.</p>"
        out += "<table class=\"summary timing\"><thead><tr><th scope=\"col\">modality</th><th scope=\"col\">sampler</th>"
            + "<th scope=\"col\" class=\"num\">evaluations / step</th><th scope=\"col\" class=\"num\">s / evaluation</th>"
            + "<th scope=\"col\"></th></tr></thead><tbody>"
        for modality in statistics.modalities {
            let rows = statistics.summaries(of: modality)
            let slowest = rows.compactMap(\.secondsPerEvaluation).max() ?? 0
            for row in rows {
                let share = slowest > 0 ? (row.secondsPerEvaluation ?? 0) / slowest : 0
                out += "<tr><th scope=\"row\">\(modality.rawValue)</th><td>\(HTMLText.escape(row.label))</td>"
                    + "<td class=\"num\">\(row.evaluationsPerStep.map { ReportFormat.number($0) } ?? "—")</td>"
                    + "<td class=\"num\">\(row.secondsPerEvaluation.map(ReportFormat.seconds) ?? "—")</td>"
                    + "<td class=\"bar\"><span style=\"width:\(SVG.n(share * 100))%\"></span></td></tr>"
            }
        }
        return out + "</tbody></table>"
    }

    static let css = """
    body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 16px 40px;color:#222}
    h1{margin:20px 0 4px}h2{margin-top:32px;border-bottom:1px solid #ccc}h3{margin:18px 0 4px}
    ul.run{list-style:none;padding:0;margin:0;color:#444}nav{margin:8px 0}
    .note{color:#555;margin:4px 0 8px}
    .legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px}
    .legend li{display:flex;align-items:center;gap:6px}
    .swatch{display:inline-block;width:28px;height:0;position:relative;top:1px}
    .swatch span{position:absolute;left:10px;top:-5px;width:7px;height:7px}
    .panels{display:flex;flex-wrap:wrap;gap:12px}
    svg.chart{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
    svg.chart text{font:11px system-ui,sans-serif;fill:#333}
    svg.chart .panel-title{font-weight:600;font-size:12px}
    svg.chart .axis{stroke:#444;fill:none}svg.chart .grid{stroke:#e6e6e6}
    svg.chart .empty,svg.chart .footnote{fill:#777}
    table{border-collapse:collapse;margin:8px 0 16px}caption{text-align:left;color:#555;padding:4px 0}
    th,td{border:1px solid #ddd;padding:3px 8px;vertical-align:top}thead th{background:#f4f4f4}
    .num{text-align:right;font-variant-numeric:tabular-nums}
    td.bar{width:200px}td.bar span{display:block;height:10px;background:#0072B2;margin-top:4px}
    details{margin:8px 0}summary{cursor:pointer;font-weight:600}.count{color:#777;font-weight:400}
    table.sheet td{text-align:center}figure{margin:0}figcaption{font-size:12px;color:#444}
    .sheet.image img{width:128px;height:auto;image-rendering:pixelated}
    .sheet.audio img{width:220px;height:auto}.sheet.audio audio{width:220px;display:block}
    .sheet.video img.strip{height:56px;width:auto;max-width:640px;image-rendering:pixelated}
    .sheet.video video{height:80px;width:auto}
    .pass{color:#007a3d;font-weight:700}.fail{color:#c0392b;font-weight:700}td.missing{color:#aaa}
    footer{margin-top:32px;color:#555}
    """
}
