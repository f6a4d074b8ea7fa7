import ArgumentParser
import Foundation
import Networks

/// `diffuse inspect PATH`: describes a `.safetensors` file, a sharded checkpoint's
/// `*.safetensors.index.json`, or a diffusers model folder (a pipeline with
/// `model_index.json`, or one component with `config.json`), validating what it reads.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a .safetensors file, a shard index or a diffusers model folder.",
        discussion: """
            For a weight file: tensor count, dtypes, parameters, bytes, metadata and the tensors \
            (the first \(WeightsReport.summaryLength) unless --all). For a model folder: the pipeline \
            class and, per component, its class, the key fields of its config, and its weights. \
            Configs are validated; any problem is reported on one line and exits with status 1.
            """
    )

    @Argument(help: "A .safetensors file, a *.safetensors.index.json, or a model folder.")
    var path: String

    @Flag(help: "Print JSON (sorted keys) instead of text.")
    var json = false

    @Flag(help: "List the tensors of each component of a model folder (the first \(WeightsReport.summaryLength)).")
    var tensors = false

    @Flag(help: "List every tensor, without summarising.")
    var all = false

    func run() throws {
        try reportingErrors(path: path) {
            let report = try inspect()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        }
    }

    private func inspect() throws -> InspectReport {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelFolderError(url, "no such file or folder")
        }
        if isDirectory.boolValue {
            return try InspectReport(folderAt: url, path: path, listing: all ? .all : tensors ? .summary : nil)
        }
        let name = url.lastPathComponent
        if name == "model_index.json" || name == "config.json" || name == "scheduler_config.json" {
            return try InspectReport(folderAt: url.deletingLastPathComponent(), path: path, listing: all ? .all : tensors ? .summary : nil)
        }
        return try InspectReport(weightsAt: url, path: path, listing: all ? .all : .summary)
    }
}
