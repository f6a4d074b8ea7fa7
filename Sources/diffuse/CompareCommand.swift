import ArgumentParser
import Comparison
import Foundation
import MediaIO

/// `diffuse compare MATRIX.json -o report/`: one matrix of samplers, step counts, guidance
/// scales and seeds run over image, audio and video, measured and written up as a report
/// (index.html, results.csv, results.json, summary.md).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run one matrix of generation settings over image, audio and video and write a report.",
        discussion: """
            The matrix (JSON; see samples/compare/) names per modality the models (default: the \
            bundled default) and prompts, and for all of them the samplers (a name, or \
            {"name": …, "karras": true}), step counts, guidance scales and seeds. Every cell is \
            timed, its peak memory and prompt adherence measured, and its convergence taken \
            against the same seed at the largest step count. One cell per modality is run twice \
            to check that the bytes are identical. An interrupted run continues with --resume.
            """
    )

    @Argument(help: "The matrix file (JSON).")
    var matrix: String

    @Option(name: [.short, .customLong("output")], help: "The report folder (created; must be empty unless --resume or --force).")
    var output = "report"

    @Flag(help: "Continue the report in the output folder (same matrix), keeping finished cells.")
    var resume = false

    @Flag(help: "Replace the report in the output folder.")
    var force = false

    @Flag(name: .customLong("skip-determinism"), help: "Do not re-run one cell per modality to compare the bytes.")
    var skipDeterminism = false

    func run() throws {
        let started = Date()
        try? AtomicFile.installSignalCleanup()
        VideoWriter.silenceFFmpegLog()
        if resume && force { try exitWithError("--resume and --force exclude each other") }
        let url = URL(fileURLWithPath: matrix)
        let data: Data
        let parsed: ComparisonMatrix
        let models: [Comparison.Modality: [ComparisonModel]]
        do {
            data = try Data(contentsOf: url)
            parsed = try ComparisonMatrix(json: data, source: matrix, defaultName: url.deletingPathExtension().lastPathComponent)
            models = try Self.resolveModels(parsed, source: matrix)
        } catch let error as MatrixError {
            try exitWithError(error.description)
        } catch {
            try exitWithError("\(matrix): cannot read the matrix (\((error as NSError).localizedDescription))")
        }
        var results: ComparisonResults?
        let folderURL = URL(fileURLWithPath: output, isDirectory: true)
        let bar = ProgressBar()
        try reportingErrors(path: output) {
            defer { bar.finish() }
            let folder = try ReportFolder(folderURL, matrix: parsed, matrixData: data, mode: resume ? .resume : force ? .force : .fresh)
            let runner = try ComparisonRunner(matrix: parsed, models: models, folder: folder, engine: diffuseVersion)
            runner.checksDeterminism = !skipDeterminism
            var lastCell = ""
            results = try runner.run { progress in
                if !bar.isVisible, progress.cell != lastCell {
                    lastCell = progress.cell
                    let eta = progress.remainingSeconds.map { ", eta " + ProgressBar.duration($0) } ?? ""
                    print("cell \(progress.done + 1)/\(progress.total) \(progress.cell)\(eta)")
                }
                bar.update(done: progress.done, total: progress.total, detail: "\(progress.cell) \(progress.step)/\(progress.steps)",
                           remainingSeconds: .some(progress.remainingSeconds))
            }
            bar.finish()
            if let results { try ComparisonReport.write(results, to: folderURL) }
        }
        guard let results else { throw ExitCode.failure }
        let identical = results.determinism.filter(\.identical).count
        let determinism = results.determinism.isEmpty ? "" : ", \(identical)/\(results.determinism.count) determinism checks identical"
        print("wrote \(output)/index.html (\(results.cells.count) cells\(determinism), "
              + ProgressBar.duration(Date().timeIntervalSince(started)) + ")")
    }

    /// Each modality's models as folders, checked to exist and to make that modality; an
    /// error names the matrix field.
    static func resolveModels(_ matrix: ComparisonMatrix, source: String) throws -> [Comparison.Modality: [ComparisonModel]] {
        let store = ModelStore()
        var resolved: [Comparison.Modality: [ComparisonModel]] = [:]
        for modality in matrix.orderedModalities {
            let kind = ModelStore.Modality(rawValue: modality.rawValue)!
            for (index, name) in matrix.modalities[modality]!.models.enumerated() {
                let path = name == nil ? "$.modalities.\(modality.rawValue)" : "$.modalities.\(modality.rawValue).models[\(index)]"
                let folder: URL
                do { folder = try store.resolve(name, for: kind) } catch { throw MatrixError(source, path, "\(error)") }
                let entry = ModelStore.entry(folder: folder, source: "matrix")
                if let made = entry.modality, made != kind {
                    throw MatrixError(source, path, "\(name ?? folder.lastPathComponent) is \(article(made.rawValue)) model (\(entry.pipeline)), not \(article(modality.rawValue)) model")
                }
                resolved[modality, default: []].append(ComparisonModel(name: name ?? kind.defaultModel, folder: folder))
            }
        }
        return resolved
    }

    /// "an image", "an audio", "a video".
    private static func article(_ word: String) -> String { ("aeiou".contains(word.first ?? "x") ? "an " : "a ") + word }
}
