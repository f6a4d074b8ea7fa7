import Foundation
import Networks
import SafeTensors

/// What `diffuse inspect` found, printed as aligned text or (with `--json`) encoded with sorted keys.
struct InspectReport: Encodable {
    /// `"safetensors"`, `"safetensors-index"`, `"pipeline"` or `"component"`.
    var kind: String
    /// The path as given on the command line.
    var path: String
    /// The pipeline class (`_class_name` of `model_index.json`), for a pipeline.
    var pipelineClass: String?
    /// `_diffusers_version` of `model_index.json`, for a pipeline.
    var diffusersVersion: String?
    /// The components of a model folder (none for a weight file).
    var components: [ComponentReport]?
    /// The weights of a file or index (for a folder, per component).
    var weights: WeightsReport?
    /// All parameters (tensor elements) in every weight file inspected.
    var parameters: Int
    /// All tensor data bytes in every weight file inspected.
    var bytes: Int

    enum CodingKeys: String, CodingKey {
        case kind, path, components, weights, parameters, bytes
        case pipelineClass = "pipeline_class"
        case diffusersVersion = "diffusers_version"
    }
}

/// One component of a model folder.
struct ComponentReport: Encodable {
    var name: String
    var library: String?
    var className: String?
    /// The config file read, relative to the inspected folder.
    var configFile: String?
    /// The key fields of the config (none for classes Diffuse does not read).
    var config: ConfigSummary?
    /// The parameter count the config implies.
    var estimatedParameters: Int?
    var weights: WeightsReport?

    enum CodingKeys: String, CodingKey {
        case name, library, config, weights
        case className = "class_name"
        case configFile = "config_file"
        case estimatedParameters = "estimated_parameters"
    }
}

/// The tensors of one `.safetensors` file or of the shards of an index.
struct WeightsReport: Encodable {
    /// The weight files, relative to the inspected folder (just the name for a file).
    var files: [String]
    /// The shard index, for a sharded checkpoint.
    var index: String?
    var tensorCount: Int
    /// Number of tensors per dtype (`{"F32": 140}`).
    var dtypes: [String: Int]
    /// Tensor elements, except the saved buffers (`buffers`).
    var parameters: Int
    /// Elements of tensors that are saved buffers, not parameters (diffusers' `pos_embed.pe` tables).
    var buffers: Int
    var bytes: Int
    /// `__metadata__` of a file, or the scalar `"metadata"` fields of a shard index.
    var metadata: [String: String]
    /// The tensors listed (all with `--all`, else the first `summaryLength`), nil when not asked for.
    var tensors: [TensorRow]?
    /// Tensors left out of `tensors`.
    var tensorsOmitted: Int

    enum CodingKeys: String, CodingKey {
        case files, index, dtypes, parameters, buffers, bytes, metadata, tensors
        case tensorCount = "tensor_count"
        case tensorsOmitted = "tensors_omitted"
    }

    /// Names of tensors that models save but that are buffers, not parameters: the sinusoidal tables
    /// of diffusers' `SinusoidalPositionalEmbedding` (AnimateDiff's motion modules).
    static func isBuffer(_ name: String) -> Bool { name.hasSuffix(".pos_embed.pe") }

    /// How many tensors a summarised listing shows.
    static let summaryLength = 20

    /// Summarises `weights`; `listing` is nil (no tensor list), `.summary` or `.all`.
    init(_ weights: Checkpoint, relativeTo base: URL?, listing: TensorListing?) {
        func relative(_ url: URL) -> String {
            guard let base else { return url.lastPathComponent }
            let prefix = base.standardizedFileURL.path + "/"
            let path = url.standardizedFileURL.path
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        }
        files = weights.files.map { relative($0.url) }
        index = weights.url.lastPathComponent.hasSuffix(".safetensors.index.json") ? relative(weights.url) : nil
        let entries = weights.files.flatMap(\.entries)     // with byte ranges, in checkpoint order
        tensorCount = entries.count
        var dtypes: [String: Int] = [:]
        var parameters = 0, buffers = 0, bytes = 0
        for entry in entries {              // sizes were checked against the file when it was opened
            dtypes[entry.dtype.rawValue, default: 0] += 1
            let elements = entry.dataOffsets.count / entry.dtype.byteSize
            if Self.isBuffer(entry.name) { buffers += elements } else { parameters += elements }
            bytes += entry.dataOffsets.count
        }
        self.dtypes = dtypes
        self.parameters = parameters
        self.buffers = buffers
        self.bytes = bytes
        metadata = weights.metadata
        switch listing {
        case nil:
            tensors = nil
            tensorsOmitted = 0
        case .some(let listing):
            let shown = listing == .all ? weights.entries[...] : weights.entries.prefix(Self.summaryLength)
            tensors = shown.map(TensorRow.init)
            tensorsOmitted = entries.count - shown.count
        }
    }
}

/// Whether a tensor list is summarised or complete.
enum TensorListing { case summary, all }

/// One tensor: name, dtype and shape.
struct TensorRow: Encodable {
    var name: String
    var dtype: String
    var shape: [Int]

    init(_ entry: CheckpointEntry) {
        name = entry.name
        dtype = entry.dtype.rawValue
        shape = entry.shape
    }
}

extension InspectReport {
    /// Inspects a `.safetensors` file or a `*.safetensors.index.json`.
    init(weightsAt url: URL, path: String, listing: TensorListing) throws {
        let isIndex = url.lastPathComponent.hasSuffix(".safetensors.index.json")
        let weights = try Checkpoint(contentsOf: url)
        let report = WeightsReport(weights, relativeTo: isIndex ? url.deletingLastPathComponent() : nil, listing: listing)
        self.init(kind: isIndex ? "safetensors-index" : "safetensors", path: path, weights: report,
                  parameters: report.parameters, bytes: report.bytes)
    }

    /// Inspects a pipeline folder or a single component folder; `listing` nil lists no tensors.
    init(folderAt url: URL, path: String, listing: TensorListing?) throws {
        let folder = try ModelFolder(url)
        var components: [ComponentReport] = []
        var parameters = 0, bytes = 0
        for component in folder.components {
            var weights: WeightsReport?
            if component.hasWeights {
                weights = try WeightsReport(component.weights(), relativeTo: url, listing: listing)
                parameters += weights?.parameters ?? 0
                bytes += weights?.bytes ?? 0
            }
            components.append(ComponentReport(
                name: component.name, library: component.library, className: component.className,
                configFile: component.configURL.map { folder.index == nil ? $0.lastPathComponent : "\(component.name)/\($0.lastPathComponent)" },
                config: ConfigSummary(component.config), estimatedParameters: component.config.estimatedParameterCount,
                weights: weights))
        }
        self.init(kind: folder.index == nil ? "component" : "pipeline", path: path,
                  pipelineClass: folder.index?.className, diffusersVersion: folder.index?.diffusersVersion,
                  components: components, parameters: parameters, bytes: bytes)
    }
}
