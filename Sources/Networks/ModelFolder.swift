import Foundation
import SafeTensors

/// A model on disk in diffusers' layout: a pipeline folder with `model_index.json` and one
/// sub-folder per component (`unet/`, `vae/`, `text_encoder/`, `tokenizer/`, `scheduler/`), as
/// `DiffusionPipeline.save_pretrained` writes it; or a single component folder holding a
/// `config.json` (or `scheduler_config.json`), as `ModelMixin.save_pretrained` writes it.
///
/// Opening reads the index and every config, and validates each known config (sizes, names,
/// memory estimate) before anything is allocated. Weights are opened on request
/// (`ModelComponent.weights()`, a `Checkpoint`).
public struct ModelFolder: Sendable {
    /// The folder.
    public let url: URL
    /// The pipeline index; nil for a single component folder.
    public let index: ModelIndex?
    /// The components, sorted by name (one, for a single component folder).
    public let components: [ModelComponent]

    /// Opens the folder at `url`. Throws `ModelFolderError` or `ConfigError` naming the file.
    public init(_ url: URL, memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelFolderError(url, "no such file or folder")
        }
        guard isDirectory.boolValue else { throw ModelFolderError(url, "is a file, not a model folder") }

        let indexURL = url.appendingPathComponent("model_index.json")
        if FileManager.default.fileExists(atPath: indexURL.path) {
            let index = try ModelIndex.load(contentsOf: indexURL)
            self.index = index
            components = try index.components.map { entry in
                try ModelComponent(entry: entry, pipeline: url, indexURL: indexURL, memoryLimit: memoryLimit)
            }
        } else if let component = try ModelComponent(folder: url, memoryLimit: memoryLimit) {
            index = nil
            components = [component]
        } else {
            throw ModelFolderError(url, "no model_index.json (not a diffusers pipeline) and no config.json (not a model component)")
        }
    }

    /// The component named `name` (its folder name), if listed.
    public func component(_ name: String) -> ModelComponent? { components.first { $0.name == name } }
}

/// One component of a model folder: its class, its folder and its decoded config.
public struct ModelComponent: Sendable {
    /// The component's name: its key in `model_index.json` and its folder name.
    public let name: String
    /// The library defining the class (`"diffusers"`, `"transformers"`), if known.
    public let library: String?
    /// The class (`"UNet2DConditionModel"`); nil for a component saved as None.
    public let className: String?
    /// The component's folder.
    public let url: URL
    /// The config file read, if any (`config.json` or `scheduler_config.json`).
    public let configURL: URL?
    /// The decoded, validated config.
    public let config: ComponentConfig

    /// False for a component saved as None.
    public var isPresent: Bool { className != nil }

    /// True when the component is a network with weights (its folder has a `config.json`).
    public var hasWeights: Bool { configURL?.lastPathComponent == "config.json" }

    /// Opens the component's weights: the folder's safetensors file or shards, found as
    /// diffusers and transformers find them (`Checkpoint(contentsOf:variant:)`); pickles are refused.
    public func weights(variant: String? = nil) throws -> Checkpoint { try Checkpoint(contentsOf: url, variant: variant) }

    /// A component listed in a pipeline's index.
    init(entry: ModelIndex.Component, pipeline: URL, indexURL: URL, memoryLimit: UInt64) throws {
        name = entry.name
        library = entry.library
        className = entry.className
        url = pipeline.appendingPathComponent(entry.name, isDirectory: true)
        guard let className = entry.className else {
            configURL = nil
            config = .absent
            return
        }
        guard !entry.name.contains("/"), entry.name != "..", entry.name != "." else {
            throw ModelFolderError(indexURL, "component name \"\(entry.name)\" is not a folder name")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelFolderError(url, "folder is missing (model_index.json lists \(entry.name) as \(entry.library ?? "?").\(className))")
        }
        configURL = Self.configFile(in: url)
        if let type = ComponentConfig.type(forClass: className) {
            let file = url.appendingPathComponent(type.fileName)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw ModelFolderError(file, "is missing (\(entry.name) is a \(className))")
            }
            config = try ComponentConfig(type.load(contentsOf: file, memoryLimit: memoryLimit), className: className)
        } else {
            config = .unrecognized
        }
    }

    /// A single component folder, or nil when `folder` has no config file.
    init?(folder: URL, memoryLimit: UInt64) throws {
        guard let configURL = Self.configFile(in: folder) else { return nil }
        let data = try readConfigFile(configURL)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConfigError(path: configURL.path, field: "", "not a JSON object")
        }
        let architectures = object["architectures"] as? [String]
        let className = object["_class_name"] as? String ?? architectures?.first
        name = folder.lastPathComponent
        library = object["_diffusers_version"] != nil ? "diffusers" : object["transformers_version"] != nil ? "transformers" : nil
        self.className = className
        url = folder
        self.configURL = configURL
        if let className, let type = ComponentConfig.type(forClass: className), type.fileName == configURL.lastPathComponent {
            config = try ComponentConfig(type.decode(data, path: configURL.path, memoryLimit: memoryLimit), className: className)
        } else {
            config = .unrecognized
        }
    }

    /// `config.json`, else `scheduler_config.json`, if present in `folder`.
    private static func configFile(in folder: URL) -> URL? {
        for name in ["config.json", SchedulerConfig.fileName] {
            let file = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: file.path) { return file }
        }
        return nil
    }
}
