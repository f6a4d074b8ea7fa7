import ArgumentParser
import Foundation

/// `diffuse models`: the model folders `diffuse` can see (bundled and `$DIFFUSE_MODELS`), with
/// modality, size and the first sentence of each model card; the defaults are marked.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models diffuse can see, bundled and in $DIFFUSE_MODELS.",
        discussion: """
            A model is a folder with a model_index.json (diffusers layout). Bundled models live in \
            the checkout's Models/ folder; set DIFFUSE_MODELS to a colon-separated list of folders \
            holding your own. Any of them can be passed to --model by name. A model marked \
            "(default)" is used when a command gets no --model.
            """
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let store = ModelStore()
        let entries = store.entries()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        guard !entries.isEmpty else {
            print("no models found in \(store.roots.map(\.url.path).joined(separator: ", "))")
            return
        }
        let defaults = Set(ModelStore.Modality.allCases.map(\.defaultModel))
        let rows = entries.map { e -> [String] in
            let name = e.name + (e.source == "bundled" && defaults.contains(e.name) ? " (default)" : "")
            let note = e.problem.map { "unusable: \($0)" } ?? e.summary
            return [name, e.modality?.rawValue ?? "-", Self.size(e.bytes), e.source, note]
        }
        let header = ["NAME", "MODALITY", "SIZE", "SOURCE", "SUMMARY"]
        let widths = (0..<4).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print((cells + [row[4]]).joined(separator: "  "))
        }
    }

    /// "12.3 MB" (decimal units, as `ls -h --si`).
    static func size(_ bytes: UInt64) -> String {
        let b = Double(bytes)
        if b >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
        if b >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
        if b >= 1e3 { return String(format: "%.1f kB", b / 1e3) }
        return "\(bytes) B"
    }
}
