import Foundation
import Networks
import SafeTensors
import Testing

/// A fresh folder under the system's temporary directory; `remove()` deletes it.
struct ScratchFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-networks-tests-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

    /// Writes `text` to `path` inside the folder, creating sub-folders.
    @discardableResult
    func write(_ text: String, to path: String) throws -> URL {
        let file = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

@Suite struct ModelFolderTests {
    @Test func tinyStableDiffusionPipeline() throws {
        let folder = try ModelFolder(tinySD)
        #expect(folder.index?.className == "StableDiffusionPipeline")
        #expect(folder.index?.diffusersVersion == "0.42.1")
        #expect(folder.components.map(\.name) == ["feature_extractor", "image_encoder", "safety_checker", "scheduler",
                                                  "text_encoder", "tokenizer", "unet", "vae"])
        #expect(folder.components.filter(\.isPresent).map(\.name) == ["scheduler", "text_encoder", "tokenizer", "unet", "vae"])

        guard case let .unet2DCondition(unet)? = folder.component("unet")?.config else {
            Issue.record("unet config: \(String(describing: folder.component("unet")?.config))"); return
        }
        #expect(unet.blockOutChannels == [8, 16])
        guard case .autoencoderKL? = folder.component("vae")?.config,
              case .clipText? = folder.component("text_encoder")?.config,
              case let .scheduler(scheduler)? = folder.component("scheduler")?.config else {
            Issue.record("component configs: \(folder.components.map(\.config))"); return
        }
        #expect(scheduler.betaSchedule == "scaled_linear")
        #expect(folder.component("tokenizer")?.config == .unrecognized)
        #expect(folder.component("tokenizer")?.hasWeights == false)
        #expect(folder.component("scheduler")?.hasWeights == false)
        #expect(folder.component("safety_checker")?.config == .absent)
    }

    /// The parameter count implied by each config equals the element count of the weights the
    /// reference saved (52,004 / 43,711 / 6,688 for the tiny fixture).
    @Test func configEstimatesMatchTheWeights() throws {
        let folder = try ModelFolder(tinySD)
        let expected = ["unet": 52_004, "vae": 43_711, "text_encoder": 6_688]
        for (name, count) in expected {
            let component = try #require(folder.component(name))
            #expect(component.hasWeights)
            let weights = try component.weights()
            let elements = weights.entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
            #expect(elements == count, "\(name)")
            #expect(component.config.estimatedParameterCount == count, "\(name)")
        }
    }

    @Test func singleComponentFolders() throws {
        let unet = try ModelFolder(tinySD.appendingPathComponent("unet"))
        #expect(unet.index == nil)
        #expect(unet.components.count == 1)
        let component = try #require(unet.components.first)
        #expect(component.name == "unet")
        #expect(component.className == "UNet2DConditionModel")
        #expect(component.library == "diffusers")
        #expect(component.config.estimatedParameterCount == 52_004)

        let text = try #require(ModelFolder(tinySD.appendingPathComponent("text_encoder")).components.first)
        #expect(text.className == "CLIPTextModel")
        #expect(text.library == "transformers")

        let scheduler = try #require(ModelFolder(tinySD.appendingPathComponent("scheduler")).components.first)
        #expect(scheduler.className == "DDIMScheduler")
        #expect(scheduler.configURL?.lastPathComponent == "scheduler_config.json")
    }

    @Test func aFolderWithoutIndexOrConfigIsAnError() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        try scratch.write("hello", to: "README.md")
        #expect(throws: ModelFolderError(scratch.url, "no model_index.json (not a diffusers pipeline) and no config.json (not a model component)")) {
            try ModelFolder(scratch.url)
        }
        let missing = scratch.url.appendingPathComponent("nothing-here")
        #expect(throws: ModelFolderError(missing, "no such file or folder")) { try ModelFolder(missing) }
        let file = scratch.url.appendingPathComponent("README.md")
        #expect(throws: ModelFolderError(file, "is a file, not a model folder")) { try ModelFolder(file) }
    }

    @Test func aListedComponentFolderMustExist() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        try scratch.write(#"{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}"#, to: "model_index.json")
        #expect(throws: ModelFolderError(scratch.url.appendingPathComponent("unet", isDirectory: true),
                                         "folder is missing (model_index.json lists unet as diffusers.UNet2DConditionModel)")) {
            try ModelFolder(scratch.url)
        }
    }

    @Test func invalidComponentConfigNamesItsFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        try scratch.write(#"{"_class_name": "StableDiffusionPipeline", "vae": ["diffusers", "AutoencoderKL"]}"#, to: "model_index.json")
        let config = try scratch.write(#"{"_class_name": "AutoencoderKL", "block_out_channels": [-64]}"#, to: "vae/config.json")
        #expect(throws: ConfigError(path: config.path, field: "block_out_channels[0]", "-64 must be positive")) {
            try ModelFolder(scratch.url)
        }
    }

    @Test func malformedIndexEntries() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let index = try scratch.write(#"{"_class_name": "P", "unet": ["diffusers"]}"#, to: "model_index.json")
        #expect(throws: ConfigError(path: index.path, field: "unet", "has 1 entries, expected [library, class name]")) {
            try ModelFolder(scratch.url)
        }
        try scratch.write(#"{"unet": ["diffusers", "UNet2DConditionModel"]}"#, to: "model_index.json")
        #expect(throws: ConfigError(path: index.path, field: "_class_name", "is missing (not a diffusers pipeline index)")) {
            try ModelFolder(scratch.url)
        }
        try scratch.write(#"{"_class_name": "P", "..": ["diffusers", "UNet2DConditionModel"]}"#, to: "model_index.json")
        #expect(throws: ModelFolderError(index, "component name \"..\" is not a folder name")) { try ModelFolder(scratch.url) }
    }

    @Test func pickleWeightsAreRefused() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        try scratch.write(String(decoding: try Data(contentsOf: tinySD.appendingPathComponent("vae/config.json")), as: UTF8.self),
                          to: "vae/config.json")
        let pickle = try scratch.write("not really a pickle", to: "vae/diffusion_pytorch_model.bin")
        let component = try #require(ModelFolder(scratch.url.appendingPathComponent("vae")).components.first)
        #expect(throws: Checkpoint.pickleRefusal(pickle)) { try component.weights() }
    }
}
