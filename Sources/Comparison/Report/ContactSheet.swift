/// A modality's contact sheet: the cells' thumbnails side by side, one grid per (model,
/// prompt, guidance, seed) group — the first open, the others folded in `<details>` so a
/// matrix of hundreds of cells stays readable.
///
/// - image: rows are sampler labels, columns step counts; each thumbnail links to the output.
/// - audio: the same grid of spectrograms, each with an `<audio controls>` player.
/// - video: one row per sampler label and step count, the filmstrips stacked so the same frame
///   of every run lines up in a column, each with a `<video controls>` player.
///
/// Every cell has exactly one `<img>`; its caption gives the adherence (✓/✗), the convergence
/// and the wall time, its tooltip the cell id and the evaluators' judgements.
struct ContactSheet {
    let modality: Modality
    let cells: [CellResult]
    let statistics: ReportStatistics
    let media: ReportMedia
    let referenceSteps: Int

    /// The `<section>` for the sheet.
    func html() throws -> String {
        let steps = statistics.steps[modality] ?? []
        var out = "<section id=\"sheet-\(modality.rawValue)\"><h2>\(title)</h2><p class=\"note\">\(explanation)</p>"
        for (index, group) in groups().enumerated() {
            let first = group[0]
            let cellCount = "\(group.count) cell\(group.count == 1 ? "" : "s")"
            out += "<details\(index == 0 ? " open" : "")><summary>\(HTMLText.escape(first.model)) · "
                + "“\(HTMLText.escape(first.prompt))” · guidance \(ReportFormat.setting(first.guidance)) · "
                + "seed \(first.seed) <span class=\"count\">(\(cellCount))</span></summary>"
            out += modality == .video ? try stackedTable(group, steps: steps) : try gridTable(group, steps: steps)
            out += "</details>"
        }
        return out + "</section>"
    }

    private var title: String {
        switch modality {
        case .image: "Images"
        case .audio: "Audio: spectrograms"
        case .video: "Video: filmstrips"
        }
    }

    private var explanation: String {
        let layout = modality == .video
            ? "One row per sampler and step count; the filmstrips' frames line up in columns."
            : "Rows: sampler; columns: steps."
        let marks = " ✓/✗: prompt adherence; then convergence to the \(referenceSteps)-step output and wall time."
        let playback = switch (modality, media.embedsMedia) {
        case (.image, _): " Click a picture for the full output."
        case (_, true): " The players are embedded in this page."
        case (_, false): " The players read the files in cells/ next to this page (too large to embed: "
            + "\(ReportFormat.bytes(UInt64(media.mediaBytes))))."
        }
        return HTMLText.escape(layout + marks + playback)
    }

    /// The cells grouped by (model, prompt, guidance, seed), groups in that order.
    private func groups() -> [[CellResult]] {
        var order: [String] = []
        var groups: [String: [CellResult]] = [:]
        let sorted = cells.sorted {
            ($0.modelIndex, $0.promptIndex, $0.guidance, $0.seed) < ($1.modelIndex, $1.promptIndex, $1.guidance, $1.seed)
        }
        for cell in sorted {
            let key = "\(cell.modelIndex)|\(cell.promptIndex)|\(cell.guidance)|\(cell.seed)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(cell)
        }
        return order.map { groups[$0]! }
    }

    /// Rows: sampler label; columns: steps (image and audio).
    private func gridTable(_ group: [CellResult], steps: [Int]) throws -> String {
        var out = "<table class=\"sheet \(modality.rawValue)\"><thead><tr><th scope=\"col\">sampler</th>"
        out += steps.map { "<th scope=\"col\">\($0) steps</th>" }.joined() + "</tr></thead><tbody>"
        for label in statistics.samplerLabels {
            let row = group.filter { $0.samplerLabel == label }
            guard !row.isEmpty else { continue }
            out += "<tr><th scope=\"row\">\(HTMLText.escape(label))</th>"
            for count in steps {
                let here = row.filter { $0.steps == count }
                out += here.isEmpty ? "<td class=\"missing\">—</td>" : "<td>\(try here.map(figure).joined())</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// One row per (sampler label, steps) (video).
    private func stackedTable(_ group: [CellResult], steps: [Int]) throws -> String {
        var out = "<table class=\"sheet video\"><thead><tr><th scope=\"col\">sampler</th><th scope=\"col\">steps</th>"
            + "<th scope=\"col\">frames</th><th scope=\"col\">video</th><th scope=\"col\">result</th></tr></thead><tbody>"
        for label in statistics.samplerLabels {
            for count in steps {
                for cell in group where cell.samplerLabel == label && cell.steps == count {
                    out += "<tr title=\"\(HTMLText.escape(tooltip(cell)))\"><th scope=\"row\">\(HTMLText.escape(label))</th>"
                        + "<td>\(count)</td><td><img class=\"strip\" src=\"\(try media.thumbnailSource(cell))\" "
                        + "alt=\"\(HTMLText.escape(alt(cell)))\"></td>"
                        + "<td><video controls muted preload=\"metadata\" src=\"\(try media.mediaSource(cell))\"></video></td>"
                        + "<td>\(caption(cell))</td></tr>"
                }
            }
        }
        return out + "</tbody></table>"
    }

    /// A cell of the grid: picture, player (audio) and caption.
    private func figure(_ cell: CellResult) throws -> String {
        let image = "<img src=\"\(try media.thumbnailSource(cell))\" alt=\"\(HTMLText.escape(alt(cell)))\">"
        var out = "<figure title=\"\(HTMLText.escape(tooltip(cell)))\">"
        switch modality {
        case .image:
            out += "<a href=\"\(HTMLText.relativeURL(cell.output))\">\(image)</a>"
        case .audio:
            out += image + "<audio controls preload=\"metadata\" src=\"\(try media.mediaSource(cell))\"></audio>"
        case .video:
            out += image + "<video controls muted preload=\"metadata\" src=\"\(try media.mediaSource(cell))\"></video>"
        }
        return out + "<figcaption>\(caption(cell))</figcaption></figure>"
    }

    private func alt(_ cell: CellResult) -> String {
        "\(cell.modality.rawValue): \(cell.samplerLabel), \(cell.steps) steps, guidance "
            + "\(ReportFormat.setting(cell.guidance)), seed \(cell.seed)"
    }

    /// "✓ 0.0123 · 1.2 s" (HTML).
    private func caption(_ cell: CellResult) -> String {
        var parts: [String] = []
        switch cell.adherent {
        case true?: parts.append("<span class=\"pass\" title=\"adherent\">✓</span>")
        case false?: parts.append("<span class=\"fail\" title=\"not adherent\">✗</span>")
        case nil: break
        }
        var numbers: [String] = []
        if let convergence = cell.convergence, cell.steps != referenceSteps {
            numbers.append(ReportFormat.number(convergence))
        }
        numbers.append(ReportFormat.seconds(cell.wallSeconds))
        parts.append(HTMLText.escape(numbers.joined(separator: " · ")))
        return parts.joined(separator: " ")
    }

    /// The cell id, its judgements and its measurements, one per line.
    private func tooltip(_ cell: CellResult) -> String {
        var lines = [cell.id]
        for judgement in cell.judgements {
            lines.append("\(judgement.attribute): asked \(judgement.expected), found \(judgement.observed) "
                + (judgement.passed ? "✓" : "✗"))
        }
        if let convergence = cell.convergence {
            lines.append("convergence: \(ReportFormat.number(convergence)) \(cell.convergenceMetric)")
        }
        lines.append("wall \(ReportFormat.seconds(cell.wallSeconds)), \(cell.denoiserEvaluations) evaluations × "
            + "\(ReportFormat.seconds(cell.secondsPerEvaluation)), peak \(ReportFormat.bytes(cell.peakMemoryBytes))")
        return lines.joined(separator: "\n")
    }
}
