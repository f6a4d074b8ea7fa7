import Foundation
import Networks
import PipelineComponents

/// The model folders `diffuse` can see, and the default model of each modality.
///
/// Where it looks, in order: each folder of `$DIFFUSE_MODELS` (colon-separated, "user"), then
/// the bundled store — the `Models/` folder of the Diffuse checkout the running binary was built
/// in (found by walking up from the executable to a folder holding `Package.swift` and
/// `Models/`), else `./Models`. A model is a subfolder with a `model_index.json`.
struct ModelStore {
    /// The modalities, as `model_index.json`'s pipeline class names them.
    enum Modality: String, Codable, CaseIterable {
        case image, audio, video

        /// The pipeline classes each modality runs.
        static func of(pipelineClass: String) -> Modality? {
            switch pipelineClass {
            case "StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline": .image
            case "AudioLDMPipeline", "DiffuseMelPipeline": .audio
            case "TextToVideoSDPipeline", "VideoToVideoSDPipeline", "AnimateDiffPipeline",
                 "AnimateDiffVideoToVideoPipeline": .video
            default: nil
            }
        }

        /// The bundled model used when no `--model` is given.
        var defaultModel: String {
            switch self {
            case .image: "diffuse-image-64"
            case .audio: "diffuse-audio-16k"
            case .video: "diffuse-video-64"
            }
        }
    }

    /// One model folder.
    struct Entry: Codable {
        /// The folder's name.
        var name: String
        /// Its path.
        var path: String
        /// "bundled" or "user".
        var source: String
        /// The modality its pipeline class makes, nil for a class Diffuse does not run.
        var modality: Modality?
        /// `model_index.json`'s `_class_name`.
        var pipeline: String
        /// Bytes of every file, symlinked components (the shared text encoder) included once.
        var bytes: UInt64
        /// The model card's first sentence (README.md), or "".
        var summary: String
        /// What is wrong with the folder (e.g. a component's files are missing), or nil.
        var problem: String?
    }

    /// The folders searched, with their source.
    let roots: [(url: URL, source: String)]

    /// The store of this process: `$DIFFUSE_MODELS`, then the bundled `Models/`.
    init() {
        var roots: [(URL, String)] = []
        if let user = ProcessInfo.processInfo.environment["DIFFUSE_MODELS"] {
            for path in user.split(separator: ":") where !path.isEmpty {
                roots.append((URL(fileURLWithPath: String(path)), "user"))
            }
        }
        roots.append((Self.bundledFolder(), "bundled"))
        self.roots = roots
    }

    /// The `Models/` folder of the checkout holding the executable, else `./Models`.
    static func bundledFolder() -> URL { BundledModels.folder() }

    /// Every model folder in the roots, user folders first, by name within a root.
    func entries() -> [Entry] {
        let fm = FileManager.default
        var found: [Entry] = []
        for (root, source) in roots {
            guard let names = try? fm.contentsOfDirectory(atPath: root.path) else { continue }
            for name in names.sorted() {
                let folder = root.appendingPathComponent(name)
                let index = folder.appendingPathComponent("model_index.json")
                guard fm.fileExists(atPath: index.path) else { continue }
                found.append(Self.entry(folder: folder, source: source))
            }
        }
        return found
    }

    /// Describes one model folder (never throws: problems are reported in the entry).
    static func entry(folder: URL, source: String) -> Entry {
        var entry = Entry(name: folder.lastPathComponent, path: folder.path, source: source, modality: nil,
                          pipeline: "?", bytes: folderBytes(folder), summary: cardSummary(folder), problem: nil)
        do {
            let index = try ModelIndex.load(contentsOf: folder.appendingPathComponent("model_index.json"))
            entry.pipeline = index.className
            entry.modality = Modality.of(pipelineClass: index.className)
            for component in index.components where component.isPresent {
                let url = folder.appendingPathComponent(component.name)
                if !FileManager.default.fileExists(atPath: url.path) {
                    entry.problem = "component \(component.name)/ is missing"
                        + (isSymlink(url) ? " (a link to a text encoder that `bash tools/install.sh` fetches)" : "")
                    break
                }
            }
        } catch {
            entry.problem = "\(error)"
        }
        return entry
    }

    /// The model folder for a command: `model` as a path or a name `entries()` lists, or the
    /// modality's default. Throws one readable line naming what it looked for.
    func resolve(_ model: String?, for modality: Modality) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if let model {
            if fm.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
                return URL(fileURLWithPath: model)
            }
            let all = entries()
            if let match = all.first(where: { $0.name == model }) {
                return URL(fileURLWithPath: match.path)
            }
            let seen = all.filter { $0.modality == modality }.map(\.name)
            throw ModelStoreError("\(model): no such model folder; `diffuse models` sees "
                + (seen.isEmpty ? "no \(modality.rawValue) models" : "these \(modality.rawValue) models: \(seen.joined(separator: ", "))"))
        }
        let name = modality.defaultModel
        let bundled = roots.last?.url ?? Self.bundledFolder()
        let folder = bundled.appendingPathComponent(name)
        guard fm.fileExists(atPath: folder.appendingPathComponent("model_index.json").path) else {
            throw ModelStoreError("the default \(modality.rawValue) model \(name) is missing from \(bundled.path): "
                + "restore it with `git checkout -- Models/\(name)`, or pass --model PATH")
        }
        if let problem = Self.entry(folder: folder, source: "bundled").problem {
            throw ModelStoreError("the default \(modality.rawValue) model \(name) cannot be used: \(problem); "
                + "run `bash tools/install.sh` to restore it, or pass --model PATH")
        }
        return folder
    }

    /// Total bytes of the regular files under `folder`, following symbolic links and counting
    /// each file once (the text encoder and tokenizer links share one folder).
    static func folderBytes(_ folder: URL) -> UInt64 {
        let fm = FileManager.default
        var total: UInt64 = 0
        var pending = [folder.resolvingSymlinksInPath()]
        var seen: Set<String> = []
        while let current = pending.popLast(), seen.count < 10_000 {
            guard seen.insert(current.path).inserted,
                  let names = try? fm.contentsOfDirectory(atPath: current.path) else { continue }
            for name in names {
                let url = current.appendingPathComponent(name).resolvingSymlinksInPath()
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    pending.append(url)
                } else if seen.insert(url.path).inserted,
                          let size = (try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber {
                    total &+= size.uint64Value
                }
            }
        }
        return total
    }

    /// The first sentence of the model card's first paragraph (README.md, headings and code skipped).
    static func cardSummary(_ folder: URL) -> String {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8) else { return "" }
        var paragraph: [Substring] = []
        var inCode = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") { inCode.toggle(); continue }
            if inCode || trimmed.hasPrefix("#") || trimmed.hasPrefix("|") || trimmed.hasPrefix("!") || trimmed.hasPrefix("---") {
                if !paragraph.isEmpty { break }
                continue
            }
            if trimmed.isEmpty {
                if !paragraph.isEmpty { break }
                continue
            }
            paragraph.append(Substring(trimmed))
        }
        let joined = paragraph.joined(separator: " ")
        if let end = joined.range(of: ". ") { return String(joined[..<end.lowerBound]) + "." }
        return joined
    }

    private static func isSymlink(_ url: URL) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil
    }
}

/// A model that cannot be found or used: one line.
struct ModelStoreError: Error, CustomStringConvertible, LocalizedError {
    let description: String
    init(_ description: String) { self.description = description }
    var errorDescription: String? { description }
}
