import Foundation
import Testing

/// A fresh folder under the system's temporary directory; `remove()` deletes it.
struct ScratchFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-cli-tests-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

    /// Writes `data` to `path` inside the folder, creating sub-folders; returns the file's path.
    @discardableResult
    func write(_ data: Data, to path: String) throws -> String {
        let file = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Expects a failed run: non-zero status, nothing on standard output, and exactly one line on
/// standard error of the form `diffuse: error: <mentions>…: …` containing every string in `mentions`.
func expectOneLineError(_ result: RunResult, mentioning mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status != 0, sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "stdout: \(result.stdout)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("diffuse: error: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    for mention in mentions {
        #expect(result.stderr.contains(mention), "stderr lacks \(mention): \(result.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite struct InspectCommandTests {
    @Test func version() throws {
        let result = try runDiffuse("--version")
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func help() throws {
        let result = try runDiffuse("--help")
        #expect(result.status == 0)
        #expect(result.stdout.contains("inspect"))
    }

    @Test func pipelineFolderAsText() throws {
        let result = try runDiffuse("inspect", tinySDPath)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "pipeline      StableDiffusionPipeline (diffusers 0.42.1)")
        #expect(lines.contains("parameters    102,403 (400.0 KiB in 3 weight files)"))
        for expected in ["unet               UNet2DConditionModel (diffusers)",
                         "  block_out_channels            [8, 16]",
                         "  cross_attention_dim           16",
                         "  parameters                    52,004 (as the config implies)",
                         "vae                AutoencoderKL (diffusers)",
                         "  scaling_factor                0.18215",
                         "text_encoder       CLIPTextModel (transformers)",
                         "  hidden_size                   16",
                         "scheduler          DDIMScheduler (diffusers)",
                         "  beta_schedule                 scaled_linear",
                         "tokenizer          CLIPTokenizer (transformers)",
                         "safety_checker     none (saved without it)"] {
            #expect(lines.contains(expected), "missing line \"\(expected)\" in\n\(result.stdout)")
        }
        #expect(!result.stdout.contains("tensor list"))       // folders list tensors only when asked
    }

    /// An AnimateDiff folder: the UNetMotionModel's config summary, and its saved positional tables counted
    /// apart from the parameters, so the count matches what the config implies.
    @Test func animateDiffFolderAsText() throws {
        let result = try runDiffuse("inspect", "Tests/Fixtures/tiny-animatediff")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "pipeline      AnimateDiffPipeline (diffusers 0.42.1)")
        for expected in ["unet               UNetMotionModel (diffusers)",
                         "  motion_attention_heads   [2, 2]",
                         "  motion_max_seq_length    8",
                         "  parameters               80,604 (as the config implies), and 704 in saved buffers"] {
            #expect(lines.contains(expected), "missing line \"\(expected)\" in\n\(result.stdout)")
        }
    }

    @Test func pipelineFolderAsJSON() throws {
        let result = try runDiffuse("inspect", tinySDPath, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(root["kind"] as? String == "pipeline")
        #expect(root["pipeline_class"] as? String == "StableDiffusionPipeline")
        #expect(root["parameters"] as? Int == 102_403)
        let components = try #require(root["components"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: components.map { ($0["name"] as? String ?? "", $0) })
        #expect(byName.keys.sorted() == ["feature_extractor", "image_encoder", "safety_checker", "scheduler",
                                         "text_encoder", "tokenizer", "unet", "vae"])
        let unet = try #require(byName["unet"])
        #expect(unet["class_name"] as? String == "UNet2DConditionModel")
        #expect(unet["estimated_parameters"] as? Int == 52_004)
        let config = try #require(unet["config"] as? [String: Any])
        #expect(config["block_out_channels"] as? [Int] == [8, 16])
        #expect(config["attention_heads"] as? [Int] == [2, 2])
        let weights = try #require(unet["weights"] as? [String: Any])
        #expect(weights["parameters"] as? Int == 52_004)
        #expect(weights["dtypes"] as? [String: Int] == ["F32": 208])
        #expect(weights["files"] as? [String] == ["unet/diffusion_pytorch_model.safetensors"])
        let vaeConfig = try #require(byName["vae"]?["config"] as? [String: Any])
        #expect(vaeConfig["latent_channels"] as? Int == 4)
        #expect(byName["safety_checker"]?["class_name"] == nil)
        // Sorted keys (pretty-printed with two-space indents: the top level is the first indent).
        let topLevelKeys = result.stdout.split(separator: "\n")
            .filter { $0.hasPrefix("  \"") }
            .map { $0.dropFirst(3).prefix { $0 != "\"" } }
        #expect(topLevelKeys.map(String.init) == ["bytes", "components", "diffusers_version", "kind", "parameters", "path", "pipeline_class"])
    }

    @Test func singleSafetensorsFile() throws {
        let path = "\(tinySDPath)/text_encoder/model.safetensors"
        let result = try runDiffuse("inspect", path)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(5) == ["file          \(path)",
                                   "tensors       36 (F32 36)",
                                   "parameters    6,688",
                                   "bytes         26,752 (26.1 KiB)",
                                   "metadata      format = pt"])
        #expect(lines.contains("tensor list (name, dtype, shape, first 20 of 36):"))
        // transformers 5 saves CLIPTextModel keys without the "text_model." prefix of 4.x.
        #expect(lines[6] == "  embeddings.position_embedding.weight        F32  [77, 16]")
        #expect(lines.last == "  … 16 more (--all lists every tensor)")

        let all = try runDiffuse("inspect", path, "--all", "--json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        let weights = try #require(root["weights"] as? [String: Any])
        #expect((weights["tensors"] as? [Any])?.count == 36)
        #expect(weights["tensors_omitted"] as? Int == 0)
        #expect(root["kind"] as? String == "safetensors")
    }

    @Test func folderTensorListsOnRequest() throws {
        let result = try runDiffuse("inspect", "\(tinySDPath)/vae", "--tensors")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  tensor list (name, dtype, shape, first 20 of 124):"))
        #expect(result.stdout.contains("… 104 more"))
    }

    @Test func configFileMeansItsFolder() throws {
        let result = try runDiffuse("inspect", "\(tinySDPath)/unet/config.json", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(root["kind"] as? String == "component")
        #expect(root["parameters"] as? Int == 52_004)
    }

    @Test func shardIndex() throws {
        // Two shards of the text encoder, as save_pretrained(max_shard_size=…) would write them.
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let source = try Data(contentsOf: repositoryRoot.appendingPathComponent("\(tinySDPath)/vae/diffusion_pytorch_model.safetensors"))
        try scratch.write(source, to: "model-00001-of-00001.safetensors")
        let header = try JSONSerialization.jsonObject(with: source[8..<(8 + Int(source.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))]) as? [String: Any] ?? [:]
        let map = Dictionary(uniqueKeysWithValues: header.keys.filter { $0 != "__metadata__" }.map { ($0, "model-00001-of-00001.safetensors") })
        let index = try scratch.write(JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 174_844], "weight_map": map]),
                                      to: "model.safetensors.index.json")
        let result = try runDiffuse("inspect", index, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(root["kind"] as? String == "safetensors-index")
        #expect(root["parameters"] as? Int == 43_711)
    }

    // MARK: Errors: one line on stderr naming the file, nothing on stdout, exit status ≠ 0

    @Test func pathThatDoesNotExist() throws {
        expectOneLineError(try runDiffuse("inspect", "no/such/model"), mentioning: ["no/such/model", "no such file or folder"])
    }

    @Test func folderWithoutIndexOrConfig() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        try scratch.write(Data("hello".utf8), to: "README.md")
        expectOneLineError(try runDiffuse("inspect", scratch.url.path),
                           mentioning: [scratch.url.path, "no model_index.json", "no config.json"])
    }

    @Test func truncatedSafetensorsFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let source = try Data(contentsOf: repositoryRoot.appendingPathComponent("\(tinySDPath)/unet/diffusion_pytorch_model.safetensors"))
        let file = try scratch.write(source.prefix(source.count / 2), to: "truncated.safetensors")
        expectOneLineError(try runDiffuse("inspect", file), mentioning: [file])
    }

    @Test func badHeaderLength() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        var bytes = Data(withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        bytes.append(Data("{}".utf8))
        let file = try scratch.write(bytes, to: "bad-header.safetensors")
        expectOneLineError(try runDiffuse("inspect", file), mentioning: [file, "header length"])
    }

    @Test func configWithNegativeSize() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        var config = try String(contentsOf: repositoryRoot.appendingPathComponent("\(tinySDPath)/unet/config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"in_channels\": 4", with: "\"in_channels\": -4")
        let file = try scratch.write(Data(config.utf8), to: "unet/config.json")
        expectOneLineError(try runDiffuse("inspect", scratch.url.appendingPathComponent("unet").path),
                           mentioning: ["\(file): in_channels: -4 must be positive"])
    }

    @Test func pickleFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let file = try scratch.write(Data([0x80, 0x02, 0x7d, 0x71, 0x00]), to: "diffusion_pytorch_model.bin")
        expectOneLineError(try runDiffuse("inspect", file), mentioning: [file, "pickle"])
    }

    @Test func giganticConfig() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let file = try scratch.write(Data(#"{"_class_name": "CLIPTextModel", "architectures": ["CLIPTextModel"], "transformers_version": "5.23.0", "vocab_size": 1000000000000}"#.utf8),
                                     to: "text_encoder/config.json")
        expectOneLineError(try runDiffuse("inspect", scratch.url.appendingPathComponent("text_encoder").path),
                           mentioning: [file, "model size", "memory"])
    }
}
