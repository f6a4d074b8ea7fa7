import Foundation
import SafeTensors
import Tensors
import Testing

/// Writes a sharded checkpoint into `folder`: shard files and an index.
private func writeSharded(_ folder: TemporaryFolder, shards: [String: [(String, Tensor)]],
                          weightMap: [String: String]? = nil, indexName: String = "diffusion_pytorch_model.safetensors.index.json",
                          extraIndexJSON: String = "") throws {
    var map: [String: String] = [:]
    for (shard, tensors) in shards {
        try SafeTensorsWriter.write(tensors, to: folder.url.appendingPathComponent(shard))
        for (name, _) in tensors { map[name] = shard }
    }
    let entries = (weightMap ?? map).sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }
    try folder.write("{\(extraIndexJSON)\"metadata\": {\"total_size\": 1234, \"format\": \"pt\", \"nested\": {\"x\": [1]}}, \"weight_map\": {\(entries.joined(separator: ", "))}}",
                     to: indexName)
}

private let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
private let b = Tensor(shape: [3], scalars: [5, 6, 7])
private let c = Tensor(shape: [1], scalars: [8])

@Suite struct CheckpointTests {
    @Test func opensDiffusersAndTransformersFolders() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try SafeTensorsWriter.write([("conv.weight", a), ("conv.bias", b)], dtype: .F16, metadata: ["format": "pt"],
                                    to: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let ckpt = try Checkpoint(contentsOf: folder.url)
        #expect(ckpt.names == ["conv.bias", "conv.weight"])
        #expect(ckpt.metadata == ["format": "pt"])
        #expect(ckpt.entry("conv.weight") == CheckpointEntry(name: "conv.weight", dtype: .F16, shape: [2, 2],
                                                              file: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors")))
        #expect(try ckpt.tensor("conv.weight") == a)
        expectSafeTensorsError(["no tensor named \"x\""], path: folder.url.path) { _ = try ckpt.tensor("x") }

        // A file opened directly, and transformers' name, and a variant.
        #expect(try Checkpoint(contentsOf: ckpt.files[0].url).names == ckpt.names)
        let text = try TemporaryFolder()
        defer { text.remove() }
        try SafeTensorsWriter.write([("t", c)], to: text.url.appendingPathComponent("model.safetensors"))
        try SafeTensorsWriter.write([("t16", c)], dtype: .F16, to: text.url.appendingPathComponent("model.fp16.safetensors"))
        #expect(try Checkpoint(contentsOf: text.url).names == ["t"])
        #expect(try Checkpoint(contentsOf: text.url, variant: "fp16").names == ["t16"])
    }

    @Test func opensShardedCheckpoint() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try writeSharded(folder, shards: ["diffusion_pytorch_model-00001-of-00002.safetensors": [("a", a), ("c", c)],
                                          "diffusion_pytorch_model-00002-of-00002.safetensors": [("b", b)]],
                         extraIndexJSON: "\"ignored\": [[{\"deep\": null}]], ")
        let ckpt = try Checkpoint(contentsOf: folder.url)
        #expect(ckpt.files.count == 2)
        #expect(ckpt.names == ["a", "c", "b"])
        #expect(ckpt.metadata == ["total_size": "1234", "format": "pt"])
        #expect(ckpt.entry("b")?.file.lastPathComponent == "diffusion_pytorch_model-00002-of-00002.safetensors")
        #expect(try ckpt.tensor("b") == b)
        #expect(try ckpt.tensor("c") == c)
        // The index opened directly gives the same.
        let direct = try Checkpoint(contentsOf: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors.index.json"))
        #expect(direct.entries == ckpt.entries)
    }

    @Test func shardSymlinkInsideTheFolderIsAccepted() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try SafeTensorsWriter.write([("a", a)], to: folder.url.appendingPathComponent("real.safetensors"))
        try FileManager.default.createSymbolicLink(atPath: folder.url.appendingPathComponent("link.safetensors").path,
                                                   withDestinationPath: "real.safetensors")
        try folder.write("{\"weight_map\": {\"a\": \"link.safetensors\"}}", to: "model.safetensors.index.json")
        #expect(try Checkpoint(contentsOf: folder.url).tensor("a") == a)
    }

    /// One malformed sharded checkpoint per case; the error must name the index file.
    @Test(arguments: [
        ("missing shard", ["s1.safetensors": "a"], [], ["\"s1.safetensors\"", "does not exist"]),
        ("absolute shard path", ["/etc/passwd": "a"], [], ["\"/etc/passwd\"", "relative path inside the folder"]),
        ("parent shard path", ["../outside.safetensors": "a"], [], ["\"../outside.safetensors\"", "'..'"]),
        ("tensor not in its shard", ["s1.safetensors": "a", "s2.safetensors": "zz"], ["s1.safetensors", "s2.safetensors"],
         ["tensor \"zz\" is mapped to shard \"s2.safetensors\", which has no such tensor"]),
        ("shard tensor missing from the map", ["s1.safetensors": "a"], ["s1.safetensors", "s2.safetensors"],
         ["tensor \"b\" of shard \"s1.safetensors\" is missing from the weight_map"]),
    ] as [(String, [String: String], [String], [String])])
    func rejectsBadShards(_ title: String, _ mapByShard: [String: String], _ written: [String], _ expected: [String]) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for shard in written {
            try SafeTensorsWriter.write(shard == "s1.safetensors" ? [("a", a), ("b", b)] : [("c", c)],
                                        to: folder.url.appendingPathComponent(shard))
        }
        let map = mapByShard.map { "\"\($0.value)\": \"\($0.key)\"" }.sorted().joined(separator: ", ")
        let index = try folder.write("{\"weight_map\": {\(map)}}", to: "model.safetensors.index.json")
        expectSafeTensorsError(expected, path: index.path) { _ = try Checkpoint(contentsOf: folder.url) }
    }

    @Test func rejectsMismatchedAndMalformedIndexes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try SafeTensorsWriter.write([("a", a)], to: folder.url.appendingPathComponent("s1.safetensors"))
        try SafeTensorsWriter.write([("a", a), ("b", b)], to: folder.url.appendingPathComponent("s2.safetensors"))
        let index = folder.url.appendingPathComponent("model.safetensors.index.json")
        func check(_ json: String, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            try folder.write(json, to: "model.safetensors.index.json")
            expectSafeTensorsError(expected, path: index.path, sourceLocation: sourceLocation) { _ = try Checkpoint(contentsOf: folder.url) }
        }
        // "a" is in both shards: s2's copy is mapped to s1.
        try check("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}}",
                  ["tensor \"a\" is in shard \"s2.safetensors\" but mapped to shard \"s1.safetensors\""])
        try check("{\"weight_map\": {\"a\": \"s1.safetensors\", \"a\": \"s1.safetensors\"}}", ["tensor \"a\" appears twice in the weight_map"])
        try check("{\"metadata\": {}}", ["has no \"weight_map\""])
        try check("{\"weight_map\": {}}", ["weight_map is empty"])
        try check("{\"weight_map\": {\"a\": 1}}", ["weight_map value for tensor \"a\" is a number"])
        try check("{\"weight_map\": []}", ["weight_map is an array"])
        try check("[]", ["is not a JSON object"])
        try check("{\"weight_map\": {\"a\": \"s1.safetensors\"}", ["is not valid JSON", "end of input"])
        try check("{\"x\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + ", \"weight_map\": {}}",
                  ["is not valid JSON", "nested deeper than 64 levels"])
        try check("{\"weight_map\": {\"a\": \"\"}}", ["shard path \"\" must be a relative path"])
    }

    @Test func rejectsShardSymlinkEscapingTheFolder() throws {
        let outside = try TemporaryFolder()
        defer { outside.remove() }
        try SafeTensorsWriter.write([("a", a)], to: outside.url.appendingPathComponent("secret.safetensors"))
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createSymbolicLink(atPath: folder.url.appendingPathComponent("shard.safetensors").path,
                                                   withDestinationPath: outside.url.appendingPathComponent("secret.safetensors").path)
        let index = try folder.write("{\"weight_map\": {\"a\": \"shard.safetensors\"}}", to: "model.safetensors.index.json")
        expectSafeTensorsError(["shard \"shard.safetensors\" resolves to", "outside the folder"], path: index.path) {
            _ = try Checkpoint(contentsOf: folder.url)
        }
    }

    @Test func refusesPickles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let pickle = try folder.write([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E], to: "diffusion_pytorch_model.bin")
        for url in [folder.url, pickle] {
            expectSafeTensorsError(["Python pickle (.bin)", "execute arbitrary code", "does not read it",
                                    "safe_serialization=True", "from_single_file"], path: pickle.path) {
                _ = try Checkpoint(contentsOf: url)
            }
        }
        for ext in ["ckpt", "pt", "pth"] {
            let file = try folder.write([0x80], to: "model.\(ext)")
            expectSafeTensorsError(["Python pickle (.\(ext))"], path: file.path) { _ = try Checkpoint(contentsOf: file) }
        }
        // With safetensors beside the pickle, the safetensors file is used.
        try SafeTensorsWriter.write([("a", a)], to: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        #expect(try Checkpoint(contentsOf: folder.url).names == ["a"])
    }

    @Test func reportsMissingWeights() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("{}", to: "config.json")
        expectSafeTensorsError(["no weights", "diffusion_pytorch_model.safetensors", "found: config.json"], path: folder.url.path) {
            _ = try Checkpoint(contentsOf: folder.url)
        }
        expectSafeTensorsError(["no such file or folder"]) { _ = try Checkpoint(contentsOf: folder.url.appendingPathComponent("nope")) }
        expectSafeTensorsError(["neither a .safetensors file nor"]) { _ = try Checkpoint(contentsOf: folder.url.appendingPathComponent("config.json")) }
    }
}
