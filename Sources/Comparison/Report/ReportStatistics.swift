import Foundation

/// A count of passes among judged cells: the adherence rate of a set of cells.
struct AdherenceRate: Equatable, Sendable {
    /// Cells with `adherent == true`.
    var passed = 0
    /// Cells with `adherent != nil`.
    var judged = 0

    /// `passed / judged`; nil when no cell was judged.
    var fraction: Double? { judged > 0 ? Double(passed) / Double(judged) : nil }

    mutating func add(_ adherent: Bool?) {
        guard let adherent else { return }
        judged += 1
        if adherent { passed += 1 }
    }
}

/// The aggregates of one modality × sampler label, shown in the summary tables and charts.
struct SamplerSummary: Sendable {
    var modality: Modality
    /// `CellResult.samplerLabel`: "dpmpp_2m karras".
    var label: String
    var cells = 0
    /// Mean of `wallSeconds`.
    var meanWallSeconds = 0.0
    /// Sampling-loop seconds over denoiser evaluations, pooled over the cells
    /// (Σ secondsPerEvaluation·evaluations / Σ evaluations): a long cell weighs more.
    var secondsPerEvaluation: Double?
    /// Mean of `denoiserEvaluations / steps` (2 for Heun, 1 for Euler).
    var evaluationsPerStep: Double?
    /// Largest `peakMemoryBytes`.
    var peakMemoryBytes: UInt64 = 0
    var adherence = AdherenceRate()
    /// Adherence at each guidance scale.
    var adherenceByGuidance: [Double: AdherenceRate] = [:]
    /// Mean convergence at each step count, over the cells with a convergence
    /// (every model, prompt, seed and guidance at that step count).
    var convergenceBySteps: [Int: Double] = [:]
    /// How many cells `convergenceBySteps[steps]` averages.
    var convergenceCounts: [Int: Int] = [:]
}

/// The aggregates the report shows, computed once from `ComparisonResults` and shared by the
/// HTML page, the charts and `summary.md`. Orders follow the matrix: modalities in
/// `Modality.allCases` order, samplers in order of first appearance, step counts and guidance
/// scales ascending.
struct ReportStatistics: Sendable {
    /// Modalities that have at least one cell.
    let modalities: [Modality]
    /// Sampler labels in order of first appearance over the whole matrix.
    let samplerLabels: [String]
    /// Step counts of each modality, ascending.
    let steps: [Modality: [Int]]
    /// Guidance scales of each modality, ascending.
    let guidances: [Modality: [Double]]
    /// The convergence metric of each modality ("pixel RMSE"), from its first cell.
    let metrics: [Modality: String]
    /// One row per modality × sampler label, in modality then label order.
    let summaries: [SamplerSummary]

    init(_ results: ComparisonResults) {
        var labels: [String] = []
        var seenLabels = Set<String>()
        var steps: [Modality: Set<Int>] = [:]
        var guidances: [Modality: Set<Double>] = [:]
        var metrics: [Modality: String] = [:]
        for cell in results.cells {
            if seenLabels.insert(cell.samplerLabel).inserted { labels.append(cell.samplerLabel) }
            steps[cell.modality, default: []].insert(cell.steps)
            guidances[cell.modality, default: []].insert(cell.guidance)
            if metrics[cell.modality] == nil { metrics[cell.modality] = cell.convergenceMetric }
        }
        modalities = Modality.allCases.filter { steps[$0] != nil }
        samplerLabels = labels
        self.steps = steps.mapValues { $0.sorted() }
        self.guidances = guidances.mapValues { $0.sorted() }
        self.metrics = metrics

        var rows: [SamplerSummary] = []
        for modality in modalities {
            let ofModality = results.cells.filter { $0.modality == modality }
            for label in labels {
                let cells = ofModality.filter { $0.samplerLabel == label }
                if !cells.isEmpty { rows.append(Self.summary(of: cells, modality: modality, label: label)) }
            }
        }
        summaries = rows
    }

    /// The rows of `modality`, in sampler-label order.
    func summaries(of modality: Modality) -> [SamplerSummary] {
        summaries.filter { $0.modality == modality }
    }

    /// Every step count of the matrix, ascending (the convergence charts' shared x axis).
    var allSteps: [Int] { Array(Set(steps.values.joined())).sorted() }

    /// Every guidance scale of the matrix, ascending (the adherence charts' shared x axis).
    var allGuidances: [Double] { Array(Set(guidances.values.joined())).sorted() }

    private static func summary(of cells: [CellResult], modality: Modality, label: String) -> SamplerSummary {
        var row = SamplerSummary(modality: modality, label: label)
        row.cells = cells.count
        row.meanWallSeconds = cells.map(\.wallSeconds).reduce(0, +) / Double(cells.count)
        let evaluations = cells.map(\.denoiserEvaluations).reduce(0, +)
        if evaluations > 0 {
            let seconds = cells.map { $0.secondsPerEvaluation * Double($0.denoiserEvaluations) }.reduce(0, +)
            row.secondsPerEvaluation = seconds / Double(evaluations)
        }
        let stepped = cells.filter { $0.steps > 0 }
        if !stepped.isEmpty {
            row.evaluationsPerStep = stepped.map { Double($0.denoiserEvaluations) / Double($0.steps) }
                .reduce(0, +) / Double(stepped.count)
        }
        row.peakMemoryBytes = cells.map(\.peakMemoryBytes).max() ?? 0
        var sums: [Int: Double] = [:]
        for cell in cells {
            row.adherence.add(cell.adherent)
            row.adherenceByGuidance[cell.guidance, default: AdherenceRate()].add(cell.adherent)
            if let convergence = cell.convergence {
                sums[cell.steps, default: 0] += convergence
                row.convergenceCounts[cell.steps, default: 0] += 1
            }
        }
        row.convergenceBySteps = sums.reduce(into: [:]) { out, entry in
            out[entry.key] = entry.value / Double(row.convergenceCounts[entry.key]!)
        }
        return row
    }
}
