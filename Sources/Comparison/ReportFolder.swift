import Foundation
import MediaIO

/// The output folder of `diffuse compare`: `matrix.json` (the matrix it runs, which ties the
/// folder to one matrix), `state.json` (when the run began), `cells/` (per cell: the media, its
/// picture, the convergence signal and the measurements `<id>.json`), then the report files.
public struct ReportFolder: Sendable {
    /// What to do with a folder that already holds a report.
    public enum Mode: Sendable {
        /// Refuse a folder that holds anything.
        case fresh
        /// Continue the report of the same matrix, keeping finished cells.
        case resume
        /// Remove the previous report's files (and only those) and start again.
        case force
    }

    public let url: URL
    /// When the report was begun (kept across resumes; written into every file's metadata so a
    /// re-run cell gives the same bytes).
    public let started: Date

    var cells: URL { url.appendingPathComponent("cells", isDirectory: true) }
    var matrixFile: URL { url.appendingPathComponent("matrix.json") }
    var stateFile: URL { url.appendingPathComponent("state.json") }

    /// The files a report writes at the top of its folder (removed by `.force`).
    static let reportFiles = ["matrix.json", "state.json", "index.html", "results.csv", "results.json", "summary.md"]

    private struct State: Codable {
        var started: Date
    }

    /// Opens `url` for `matrix` (read from `matrixData`): creates it, or checks that what it
    /// holds may be resumed or replaced. Throws `ComparisonError` before anything is written
    /// when the folder holds another report or other files.
    public init(_ url: URL, matrix: ComparisonMatrix, matrixData: Data, mode: Mode) throws {
        self.url = url
        let matrixFile = url.appendingPathComponent("matrix.json"), stateFile = url.appendingPathComponent("state.json")
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        let exists = manager.fileExists(atPath: url.path, isDirectory: &isFolder)
        if exists, !isFolder.boolValue { throw ComparisonError("\(url.path): cannot write the report there: it is a file") }
        let contents = exists ? ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []) : []
        let holdsReport = contents.contains("matrix.json")
        var started = Date()
        if !contents.isEmpty {
            switch mode {
            case .fresh:
                throw ComparisonError(holdsReport
                    ? "\(url.path) already holds a report: pass --resume to continue it or --force to replace it"
                    : "\(url.path) is not empty and holds no report: choose an empty or new folder (or --force to write beside its files)")
            case .resume:
                guard holdsReport else {
                    throw ComparisonError("\(url.path) holds no report to resume (no matrix.json): choose an empty or new folder, or --force")
                }
                let previous: ComparisonMatrix
                do { previous = try ComparisonMatrix(contentsOf: matrixFile) } catch {
                    throw ComparisonError("\(url.path) holds a report whose matrix.json cannot be read (\(error)): pass --force to replace it")
                }
                guard previous == matrix else {
                    throw ComparisonError("\(url.path) holds an unrelated report (of matrix \"\(previous.name)\", which differs from this one): pass --force to replace it")
                }
                if let data = try? Data(contentsOf: stateFile), let state = try? Self.decoder.decode(State.self, from: data) {
                    started = state.started
                }
            case .force:
                for name in Self.reportFiles + ["cells"] where contents.contains(name) {
                    do { try manager.removeItem(at: url.appendingPathComponent(name)) } catch {
                        throw ComparisonError("\(url.path): cannot remove the previous report's \(name) (\((error as NSError).localizedDescription))")
                    }
                }
            }
        }
        self.started = started
        do {
            try manager.createDirectory(at: url.appendingPathComponent("cells", isDirectory: true), withIntermediateDirectories: true)
        } catch {
            throw ComparisonError("\(url.path): cannot create the report folder (\((error as NSError).localizedDescription))")
        }
        if !(holdsReport && mode == .resume) {
            try Self.writeAtomically(matrixData, to: matrixFile)
            try Self.writeAtomically(try Self.encoder.encode(State(started: started)), to: stateFile)
        }
    }

    /// The measurements of finished cells (a cell whose JSON, media or signal is missing or
    /// unreadable is not finished and runs again).
    func finishedCells() -> [String: CellResult] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: cells.path) else { return [:] }
        var found: [String: CellResult] = [:]
        for name in names where name.hasSuffix(".json") {
            guard let data = try? Data(contentsOf: cells.appendingPathComponent(name)),
                  let cell = try? Self.decoder.decode(CellResult.self, from: data),
                  FileManager.default.fileExists(atPath: url.appendingPathComponent(cell.output).path),
                  FileManager.default.fileExists(atPath: url.appendingPathComponent(cell.thumbnail).path),
                  FileManager.default.fileExists(atPath: signalFile(cell.id).path)
            else { continue }
            found[cell.id] = cell
        }
        return found
    }

    /// Records a finished cell (the last file written for it).
    func save(_ cell: CellResult) throws {
        try Self.writeAtomically(try Self.encoder.encode(cell), to: cells.appendingPathComponent(cell.id + ".json"))
    }

    func signalFile(_ id: String) -> URL { cells.appendingPathComponent(id + ".signal.safetensors") }

    static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            let file = try AtomicFile(destination: url)
            try file.write([UInt8](data))
            try file.commit()
        } catch {
            throw ComparisonError("\(url.path): cannot write (\(error))")
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
