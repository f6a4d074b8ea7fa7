import Foundation
import MediaIO

/// The report of a comparison run (issue #8, item 3): `index.html` (charts, tables, contact
/// sheets; see `HTMLReport`), `results.csv` (`ResultsCSV`), `results.json` and `summary.md`
/// (`SummaryMarkdown`).
public enum ComparisonReport {
    /// The files `write(_:to:)` makes.
    public static let fileNames = ["index.html", "results.csv", "results.json", "summary.md"]

    /// Writes index.html, results.csv, results.json and summary.md into `folder` from
    /// `results`. The cells' files (outputs and thumbnails) must already be in `folder` at the
    /// cells' relative paths. Every file is built first and then written atomically (a
    /// temporary file renamed into place), so an error — a missing folder or thumbnail, a
    /// number JSON cannot hold — leaves the previous report's files as they were.
    public static func write(_ results: ComparisonResults, to folder: URL) throws {
        try write(results, to: folder, thumbnailBudget: ReportMedia.thumbnailBudget, pageBudget: ReportMedia.pageBudget)
    }

    /// `write(_:to:)` with `ReportMedia`'s budgets given (for tests).
    static func write(_ results: ComparisonResults, to folder: URL, thumbnailBudget: Int, pageBudget: Int) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw ReportError("cannot write the report to \(folder.path): the folder does not exist")
        }
        guard isFolder.boolValue else {
            throw ReportError("cannot write the report to \(folder.path): it is a file, not a folder")
        }
        let files: [(String, [UInt8])]
        do {
            let statistics = ReportStatistics(results)
            let media = try ReportMedia(results, folder: folder, thumbnailBudget: thumbnailBudget, pageBudget: pageBudget)
            let html = try HTMLReport(results: results, statistics: statistics, media: media).html()
            files = [
                ("results.json", try json(results)),
                ("results.csv", Array(ResultsCSV.text(results).utf8)),
                ("summary.md", Array(SummaryMarkdown.text(results, statistics: statistics).utf8)),
                ("index.html", Array(html.utf8)),
            ]
        } catch let error as ReportError {
            throw ReportError("cannot write the report to \(folder.path): \(error.message)")
        }
        for (name, bytes) in files {
            try AtomicFile.write(bytes, to: folder.appendingPathComponent(name))
        }
    }

    /// `results` as pretty-printed JSON with sorted keys (and a final newline).
    static func json(_ results: ComparisonResults) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(results)) + [UInt8(ascii: "\n")]
        } catch let EncodingError.invalidValue(value, context) {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw ReportError("results.json cannot hold \(value) at results\(path)")
        }
    }
}

/// A report that cannot be written, in one line: what, where and why.
public struct ReportError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var errorDescription: String? { message }
}
