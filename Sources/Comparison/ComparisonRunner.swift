import DiffusionCore
import Foundation
import MediaIO
import SafeTensors
import Tensors

/// A model folder a matrix names, resolved.
public struct ComparisonModel: Sendable, Equatable {
    /// The name reports show (`diffuse models`' name or the folder's name).
    public var name: String
    public var folder: URL

    public init(name: String, folder: URL) {
        self.name = name
        self.folder = folder
    }
}

/// Where a comparison run is.
public struct ComparisonProgress: Sendable {
    /// Cells finished (resumed ones included) and in the matrix.
    public var done: Int
    public var total: Int
    /// The cell running now and its sampler step.
    public var cell: String
    public var step: Int
    public var steps: Int
    /// Estimated seconds left, from the time per denoiser evaluation measured so far in each
    /// modality; nil until every modality still to run has finished a cell.
    public var remainingSeconds: Double?
}

/// Runs every cell of a matrix into a report folder, then measures convergence and checks
/// determinism (issue #8). Models are loaded once each; finished cells of a resumed report
/// are kept.
public final class ComparisonRunner {
    public let matrix: ComparisonMatrix
    /// Per modality, the models of `matrix.modalities[m].models`, index for index.
    public let models: [Modality: [ComparisonModel]]
    public let folder: ReportFolder
    /// The engine's version, written into every file's metadata.
    public let engine: String
    /// Re-run one cell per modality and compare the bytes.
    public var checksDeterminism = true

    private var generators: [String: any CellGenerator] = [:]
    private let judges = Judges()

    public init(matrix: ComparisonMatrix, models: [Modality: [ComparisonModel]], folder: ReportFolder, engine: String) throws {
        for modality in matrix.orderedModalities where models[modality]?.count != matrix.modalities[modality]!.models.count {
            throw ComparisonError("\(modality.rawValue): \(matrix.modalities[modality]!.models.count) models in the matrix but \(models[modality]?.count ?? 0) resolved")
        }
        self.matrix = matrix
        self.models = models
        self.folder = folder
        self.engine = engine
    }

    /// Runs the matrix; `progress` is called at every sampler step.
    public func run(progress: (ComparisonProgress) -> Void = { _ in }) throws -> ComparisonResults {
        let plans = matrix.cells()
        var finished = folder.finishedCells()
        var estimate = RemainingTime()
        for cell in finished.values { estimate.record(cell) }
        for (index, plan) in plans.enumerated() where finished[plan.id] == nil {
            let done = finished.count
            let waiting = plans[index...].filter { finished[$0.id] == nil }              // this cell first
            let result = try runCell(plan) { step in
                progress(ComparisonProgress(done: done, total: plans.count, cell: plan.id, step: step.step + 1, steps: step.total,
                                            remainingSeconds: estimate.seconds(for: waiting, currentStep: step)))
            }
            try folder.save(result)
            finished[plan.id] = result
            estimate.record(result)
        }
        var cells = plans.map { finished[$0.id]! }
        try measureConvergence(&cells, plans: plans)
        for cell in cells { try folder.save(cell) }
        let determinism = checksDeterminism ? try matrix.orderedModalities.map { try checkDeterminism($0, plans: plans, cells: cells) } : []
        return ComparisonResults(name: matrix.name, engine: "Diffuse \(engine)", started: Self.iso(folder.started),
                                 finished: Self.iso(Date()), machine: Self.machine(), referenceSteps: matrix.referenceSteps,
                                 cells: cells, determinism: determinism)
    }

    // MARK: - One cell

    private func generator(_ plan: CellPlan) throws -> any CellGenerator {
        let model = models[plan.modality]![plan.modelIndex]
        let key = "\(plan.modality.rawValue)/\(model.folder.path)"
        if let loaded = generators[key] { return loaded }
        let loaded = try loadGenerator(plan.modality, folder: model.folder)
        generators[key] = loaded
        return loaded
    }

    /// Generates the cell's media (timed), then writes it and judges it.
    private func runCell(_ plan: CellPlan, observe: (SamplerStep) -> Void) throws -> CellResult {
        let generator = try generator(plan)
        PeakMemory.reset()
        var stepTimes: [Double] = []
        let start = Date()
        let media = try generator.generate(plan, plan: matrix.modalities[plan.modality]!, negativePrompt: matrix.negativePrompt) { step in
            stepTimes.append(Date().timeIntervalSince(start))
            observe(step)
        }
        let wall = Date().timeIntervalSince(start)
        let peak = PeakMemory.current()
        let evaluations = plan.sampler.name.modelEvaluations(steps: plan.steps)
        // The first report comes after the first evaluation and the last after the last one, so
        // the time between them covers evaluations − 1 evaluations (with one evaluation, the
        // first report's time, prompt encoding included, is an upper bound).
        let perEvaluation = evaluations > 1 && stepTimes.count > 1
            ? (stepTimes.last! - stepTimes.first!) / Double(evaluations - 1) : (stepTimes.first ?? wall)
        let (output, thumbnail) = files(plan)
        try media.write(output: folder.url.appendingPathComponent(output), thumbnail: folder.url.appendingPathComponent(thumbnail),
                        metadata: metadata(plan))
        try SafeTensorsWriter.write([("signal", media.signal)], to: folder.signalFile(plan.id))
        let adherence = try media.judge(prompt: plan.prompt, with: judges)
        return CellResult(id: plan.id, modality: plan.modality, model: models[plan.modality]![plan.modelIndex].name,
                          modelIndex: plan.modelIndex, prompt: plan.prompt, promptIndex: plan.promptIndex,
                          sampler: plan.sampler.name.rawValue, karras: plan.sampler.karras, steps: plan.steps,
                          guidance: plan.guidance, seed: plan.seed, output: output, thumbnail: thumbnail, wallSeconds: wall,
                          denoiserEvaluations: evaluations, secondsPerEvaluation: perEvaluation, peakMemoryBytes: peak,
                          judgements: adherence.judgements, adherent: adherence.mainPassed, convergence: nil,
                          convergenceMetric: GeneratedMedia.metric(plan.modality))
    }

    /// The cell's media and picture, relative to the report folder.
    private func files(_ plan: CellPlan) -> (output: String, thumbnail: String) {
        let output = "cells/\(plan.id).\(GeneratedMedia.fileExtension(plan.modality))"
        return (output, plan.modality == .image ? output : "cells/\(plan.id).thumbnail.png")
    }

    private func metadata(_ plan: CellPlan) -> GenerationMetadata {
        let plain = matrix.modalities[plan.modality]!
        var parameters: [GenerationMetadata.Parameter] = [.init("Comparison", matrix.name), .init("Cell", plan.id)]
        if plan.sampler.karras { parameters.insert(.init("Schedule type", "Karras"), at: 0) }
        return GenerationMetadata(prompt: plan.prompt, negativePrompt: matrix.negativePrompt,
                                  model: models[plan.modality]![plan.modelIndex].name, sampler: plan.sampler.name.displayName,
                                  steps: plan.steps, guidance: plan.guidance, seed: plan.seed, width: plain.width, height: plain.height,
                                  engineVersion: engine, additionalParameters: parameters, created: folder.started)
    }

    // MARK: - After the cells

    /// Each cell's distance from its reference cell (same settings at the largest step count).
    private func measureConvergence(_ cells: inout [CellResult], plans: [CellPlan]) throws {
        var signals: [String: Tensor] = [:]
        func signal(_ id: String) throws -> Tensor {
            if let known = signals[id] { return known }
            let url = folder.signalFile(id)
            let loaded = try SafeTensorsFile(contentsOf: url).tensor("signal")
            signals[id] = loaded
            return loaded
        }
        for (index, plan) in plans.enumerated() {
            let reference = try signal(plan.referenceID(steps: matrix.referenceSteps))
            let own = try signal(plan.id)
            guard own.shape == reference.shape else {
                throw ComparisonError("\(plan.id): its output has shape \(own.shape) but the \(matrix.referenceSteps)-step output has \(reference.shape)")
            }
            cells[index].convergence = rootMeanSquareDifference(own, reference)
        }
    }

    /// Runs the modality's cheapest cell again and compares the media files byte for byte.
    private func checkDeterminism(_ modality: Modality, plans: [CellPlan], cells: [CellResult]) throws -> DeterminismCheck {
        let candidates = plans.filter { $0.modality == modality }
        let plan = candidates.min { $0.sampler.name.modelEvaluations(steps: $0.steps) < $1.sampler.name.modelEvaluations(steps: $1.steps) }!
        let (output, _) = files(plan)
        let rerun = folder.cells.appendingPathComponent(".rerun-\(plan.id).\(GeneratedMedia.fileExtension(modality))")
        let picture = folder.cells.appendingPathComponent(".rerun-\(plan.id).png")
        defer {
            try? FileManager.default.removeItem(at: rerun)
            try? FileManager.default.removeItem(at: picture)
        }
        let media = try generator(plan).generate(plan, plan: matrix.modalities[modality]!, negativePrompt: matrix.negativePrompt) { _ in }
        try media.write(output: rerun, thumbnail: picture, metadata: metadata(plan))
        let first = try Data(contentsOf: folder.url.appendingPathComponent(output))
        let second = try Data(contentsOf: rerun)
        let difference = zip(first, second).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? (first.count == second.count ? nil : min(first.count, second.count))
        return DeterminismCheck(modality: modality, cell: plan.id, identical: difference == nil, bytes: first.count,
                                firstDifference: difference)
    }

    // MARK: - Helpers

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// "AMD EPYC 7B13, 2 CPUs, 24.0 GiB" from /proc.
    static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, " + String(format: "%.1f GiB", memory)
    }
}

/// √(mean (a − b)²) of two tensors of one shape.
func rootMeanSquareDifference(_ a: Tensor, _ b: Tensor) -> Double {
    guard a.count > 0 else { return 0 }
    var sum = 0.0
    for i in 0..<a.count {
        let d = Double(a.scalars[i]) - Double(b.scalars[i])
        sum += d * d
    }
    return (sum / Double(a.count)).squareRoot()
}

/// The estimate of the time left: per modality, seconds per denoiser evaluation and fixed
/// seconds per cell (prompt encoding, decoding, writing), averaged over finished cells.
struct RemainingTime {
    private var perEvaluation: [Modality: (sum: Double, count: Int)] = [:]
    private var overhead: [Modality: (sum: Double, count: Int)] = [:]

    mutating func record(_ cell: CellResult) {
        perEvaluation[cell.modality, default: (0, 0)].sum += cell.secondsPerEvaluation
        perEvaluation[cell.modality, default: (0, 0)].count += 1
        let fixed = max(cell.wallSeconds - cell.secondsPerEvaluation * Double(cell.denoiserEvaluations), 0)
        overhead[cell.modality, default: (0, 0)].sum += fixed
        overhead[cell.modality, default: (0, 0)].count += 1
    }

    /// Seconds for `cells` (the running one first, `currentStep` of it done); nil when a
    /// modality among them has no finished cell yet.
    func seconds(for cells: [CellPlan], currentStep: SamplerStep) -> Double? {
        var total = 0.0
        for (index, cell) in cells.enumerated() {
            guard let rate = perEvaluation[cell.modality], let fixed = overhead[cell.modality] else { return nil }
            var evaluations = Double(cell.sampler.name.modelEvaluations(steps: cell.steps))
            if index == 0 { evaluations *= Double(currentStep.total - currentStep.step - 1) / Double(max(currentStep.total, 1)) }
            total += evaluations * rate.sum / Double(rate.count) + fixed.sum / Double(fixed.count)
        }
        return total
    }
}

/// The process's peak resident memory (`VmHWM`), reset before each cell by writing 5 to
/// `/proc/self/clear_refs` (Linux ≥ 4.0), after malloc has returned its free memory (which
/// `Allocator.reuseLargeBlocks` otherwise keeps); where the reset is refused, the peak is the
/// process's since it started.
enum PeakMemory {
    static func reset() {
        Allocator.releaseFreeMemory()
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = "5".withCString { write(fd, $0, 1) }
        close(fd)
    }

    static func current() -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = UInt64(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}
