import Foundation
import Tensors

/// The weights of one model component: a diffusers / transformers component folder
/// (`unet/`, `vae/`, `text_encoder/`, …), a single `.safetensors` file, or a sharded checkpoint
/// described by a `*.safetensors.index.json` (`{"metadata": {…}, "weight_map": {tensor: shard}}`,
/// as written by `save_pretrained(..., max_shard_size=...)`).
///
/// A folder is searched like `ModelMixin.from_pretrained` (diffusers) and
/// `PreTrainedModel.from_pretrained` (transformers) do: `diffusion_pytorch_model[.variant]`
/// (index first, then single file, as diffusers), then `model[.variant]` (single file first,
/// then index, as transformers), then a lone `*.safetensors.index.json`.
///
/// Shards are checked strictly: every shard path stays inside the folder (no absolute paths,
/// no `..`, no symlink leading out), every shard exists and is a valid safetensors file, and
/// the weight_map and the shards list exactly the same tensors. Python pickles (`.bin`, `.ckpt`,
/// `.pt`, `.pth`, `.pkl`) are refused: loading one can execute arbitrary code.
public struct Checkpoint: Sendable {
    /// File extensions of Python pickles, which are never read.
    public static let pickleExtensions: Set<String> = ["bin", "ckpt", "pt", "pth", "pkl"]

    /// The folder or file that was opened.
    public let url: URL
    /// The safetensors files read (one, or every shard in name order).
    public let files: [SafeTensorsFile]
    /// A single file's `__metadata__`, or the scalar fields of a shard index's `"metadata"`
    /// (numbers and booleans as their JSON text, e.g. `"total_size": "1234"`).
    public let metadata: [String: String]
    /// Every tensor, shard by shard in file order.
    public let entries: [CheckpointEntry]
    private let index: [String: Location]

    private struct Location: Sendable {
        let file: Int
        let entry: Int
    }

    /// Opens a component folder, a `.safetensors` file or a `.safetensors.index.json`.
    /// `variant` selects e.g. `diffusion_pytorch_model.fp16.safetensors` in a folder.
    public init(contentsOf url: URL, variant: String? = nil) throws {
        self.url = url
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw SafeTensorsError(url, "no such file or folder")
        }
        let files: [SafeTensorsFile]
        let metadata: [String: String]
        switch try isFolder.boolValue ? Self.locate(in: url, variant: variant) : Self.classify(url) {
        case .single(let file):
            let f = try SafeTensorsFile(contentsOf: file)
            (files, metadata) = ([f], f.metadata)
        case .sharded(let indexFile):
            (files, metadata) = try ShardIndex.open(indexFile)
        }
        self.files = files
        self.metadata = metadata
        var entries: [CheckpointEntry] = []
        var index: [String: Location] = [:]
        for (f, file) in files.enumerated() {
            for (e, entry) in file.entries.enumerated() {
                guard index.updateValue(Location(file: f, entry: e), forKey: entry.name) == nil else {
                    throw SafeTensorsError(file.url, "tensor \(quoted(entry.name)) is also in another shard")
                }
                entries.append(CheckpointEntry(name: entry.name, dtype: entry.dtype, shape: entry.shape, file: file.url))
            }
        }
        self.entries = entries
        self.index = index
    }

    /// Tensor names, shard by shard in file order.
    public var names: [String] { entries.map(\.name) }

    /// The description of tensor `name`, if present.
    public func entry(_ name: String) -> CheckpointEntry? {
        index[name].map { CheckpointEntry(files[$0.file].entries[$0.entry], file: files[$0.file].url) }
    }

    /// Tensor `name` widened to Float32 (see `SafeTensorsFile.tensor(_:)`).
    public func tensor(_ name: String) throws -> Tensor {
        guard let location = index[name] else { throw SafeTensorsError(url, "no tensor named \(quoted(name))") }
        return try files[location.file].tensor(name)
    }

    /// The error for a pickle file: what it is, why it is not read, and how to convert it.
    public static func pickleRefusal(_ file: URL) -> SafeTensorsError {
        SafeTensorsError(file, "is a Python pickle (.\(file.pathExtension)), which can execute arbitrary code when loaded, so Diffuse does not read it; "
            + "convert it to safetensors once with the reference tools, e.g. "
            + "python -c \"from diffusers import DiffusionPipeline as P; P.from_pretrained('IN_DIR').save_pretrained('OUT_DIR', safe_serialization=True)\" "
            + "(P.from_single_file('IN.ckpt') for a single checkpoint file), or safetensors' convert.py")
    }

    private enum Source {
        case single(URL)
        case sharded(URL)
    }

    /// What a file given directly is.
    private static func classify(_ file: URL) throws -> Source {
        let name = file.lastPathComponent
        if name.hasSuffix(".safetensors.index.json") { return .sharded(file) }
        if file.pathExtension == "safetensors" { return .single(file) }
        if pickleExtensions.contains(file.pathExtension.lowercased()) { throw pickleRefusal(file) }
        throw SafeTensorsError(file, "is neither a .safetensors file nor a .safetensors.index.json")
    }

    /// The weights file of a component folder.
    private static func locate(in folder: URL, variant: String?) throws -> Source {
        let v = variant.map { ".\($0)" } ?? ""
        func exists(_ name: String) -> Bool {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isFolder)
                && !isFolder.boolValue
        }
        let candidates: [(String, (URL) -> Source)] = [
            ("diffusion_pytorch_model\(v).safetensors.index.json", Source.sharded),
            ("diffusion_pytorch_model\(v).safetensors", Source.single),
            ("model\(v).safetensors", Source.single),
            ("model\(v).safetensors.index.json", Source.sharded),
        ]
        for (name, source) in candidates where exists(name) {
            return source(folder.appendingPathComponent(name))
        }
        let listing: [String]
        do {
            listing = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw SafeTensorsError(folder, "cannot list the folder (\(error.localizedDescription))")
        }
        let indexes = listing.filter { $0.hasSuffix("\(v).safetensors.index.json") }
        if indexes.count == 1 { return .sharded(folder.appendingPathComponent(indexes[0])) }
        if indexes.count > 1 {
            throw SafeTensorsError(folder, "several shard indexes (\(indexes.joined(separator: ", "))); open one of them directly")
        }
        if let pickle = listing.first(where: { pickleExtensions.contains(($0 as NSString).pathExtension.lowercased()) }) {
            throw pickleRefusal(folder.appendingPathComponent(pickle))
        }
        let shown = listing.prefix(10).joined(separator: ", ")
        throw SafeTensorsError(folder, "no weights: expected diffusion_pytorch_model\(v).safetensors, model\(v).safetensors "
            + "or a *.safetensors.index.json (found: \(listing.isEmpty ? "nothing" : shown + (listing.count > 10 ? ", …" : "")))")
    }
}

/// One tensor of a checkpoint and the file that holds it.
public struct CheckpointEntry: Sendable, Equatable {
    /// The tensor's name (its checkpoint key).
    public let name: String
    /// The element type as stored.
    public let dtype: DType
    /// Sizes of each dimension, outermost first.
    public let shape: [Int]
    /// The safetensors file (shard) that holds it.
    public let file: URL

    /// An entry of `file`.
    public init(name: String, dtype: DType, shape: [Int], file: URL) {
        (self.name, self.dtype, self.shape, self.file) = (name, dtype, shape, file)
    }

    init(_ entry: SafeTensorsEntry, file: URL) {
        self.init(name: entry.name, dtype: entry.dtype, shape: entry.shape, file: file)
    }
}
