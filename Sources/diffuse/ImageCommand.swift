import ArgumentParser
import DiffusionCore
import Foundation
import ImageModality
import PipelineComponents
import MediaIO
import Networks

/// `diffuse image PROMPT --model PATH -o out.png …`: text to image (or image to image with
/// `--init-image`) with a Stable Diffusion folder in diffusers layout, written as PNG with its
/// generation metadata. One line on standard output when done; a progress bar on standard
/// error when it is a terminal.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Make an image from a prompt with a Stable Diffusion model folder.",
        discussion: """
            Writes a PNG with a "parameters" text chunk (AUTOMATIC1111 style) and a "diffuse" \
            chunk holding the whole request as JSON. With --count N > 1 the files are named \
            with an index before the extension: out-1.png, out-2.png, … The same seed, sampler, \
            steps and guidance give the image diffusers gives.
            """
    )

    @Argument(help: "The prompt (empty: unconditional).")
    var prompt: String

    @Option(help: "A Stable Diffusion folder in diffusers layout (model_index.json, unet/, vae/, …) or a name `diffuse models` lists (default: \(ModelStore.Modality.image.defaultModel)).")
    var model: String?

    @Option(name: [.short, .customLong("output")], help: "The PNG to write.")
    var output = "image.png"

    @Option(help: "The negative prompt.")
    var negative = ""

    @Option(help: "Sampling steps (default: the model's default_steps, else 20).")
    var steps: Int?

    @Option(help: "The sampler (default: the model's scheduler): \(SamplerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sampler: String?

    @Flag(help: "Karras noise levels (with \(SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", "))).")
    var karras = false

    @Option(parsing: .unconditional, help: "Classifier-free guidance scale, ≤ 1: no guidance (default: the model's default_guidance_scale, else 7.5).")
    var guidance: Double?

    @Option(name: .customLong("guidance-rescale"), help: "Guidance rescale φ, 0…1 (Lin et al. 2023; 0.7 for v-prediction models with zero terminal SNR).")
    var guidanceRescale = 0.0

    @Option(help: "DDIM's η, 0…1 (0: deterministic; the ddim sampler only).")
    var eta = 0.0

    @Option(name: .customLong("clip-skip"), help: "Take the prompt embeddings that many CLIP layers before the last (diffusers' clip_skip).")
    var clipSkip: Int?

    @Option(help: "The seed, an integer as torch's manual_seed takes it (default: random, printed).")
    var seed: String?

    @Option(help: "Width in pixels, a multiple of 8 (default: the model's).")
    var width: Int?

    @Option(help: "Height in pixels, a multiple of 8 (default: the model's).")
    var height: Int?

    @Option(help: "Images to make in one batch.")
    var count = 1

    @Option(name: .customLong("init-image"), help: "A PNG to start from (image to image).")
    var initImage: String?

    @Option(help: "How far from the init image to go, 0…1 (image to image).")
    var strength = 0.8

    @OptionGroup(title: "Weights")
    var weights: WeightOptions

    func run() throws {
        let started = Date()
        // Ctrl-C, kill and a closed terminal remove the temporary file being written.
        try? AtomicFile.installSignalCleanup()
        let (request, modelURL) = try checkedRequest()
        let loading = try weights.loading()
        let outputs = outputPaths()
        var result: ImageResult?
        let bar = ProgressBar()
        try reportingErrors(path: modelURL.path) {
            defer { bar.finish() }
            let pipeline = try StableDiffusionPipeline(folder: modelURL, loading: loading)
            result = try pipeline.generate(request) { step in bar.update(done: step.step + 1, total: step.total) }
        }
        guard let result else { throw ExitCode.failure }
        warnIfTruncated("prompt", result.droppedPrompt)
        warnIfTruncated("negative prompt", result.droppedNegativePrompt)
        let settings = result.settings
        for (index, image) in result.images.enumerated() {
            let metadata = metadata(for: request, settings: settings, model: modelURL.lastPathComponent, index: index)
            do {
                try PNGWriter.write(image, to: URL(fileURLWithPath: outputs[index]), metadata: metadata)
            } catch {
                try exitWithError("\(error)")
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("wrote \(outputs.joined(separator: ", ")) (\(settings.width)x\(settings.height), seed \(request.seed), \(seconds) s)")
    }

    /// The request from the options, checked before any model is loaded; a bad option ends the
    /// run with one line on standard error.
    private func checkedRequest() throws -> (ImageRequest, URL) {
        do {
            let modelURL: URL
            do { modelURL = try ModelStore().resolve(model, for: .image) } catch { throw UsageError("\(error)") }
            let (steps, guidance) = try modelSettings(modelURL, steps: steps, guidance: guidance, fallback: (20, 7.5))
            guard steps >= 1 else { throw UsageError("--steps \(steps) is invalid: it must be at least 1") }
            guard count >= 1 else { throw UsageError("--count \(count) is invalid: it must be at least 1") }
            guard guidance.isFinite else { throw UsageError("--guidance \(guidance) is invalid: it must be a finite number") }
            guard strength.isFinite, (0...1).contains(strength) else {
                throw UsageError("--strength \(strength) is invalid: it must be between 0 and 1")
            }
            guard guidanceRescale.isFinite, (0...1).contains(guidanceRescale) else {
                throw UsageError("--guidance-rescale \(guidanceRescale) is invalid: it must be between 0 and 1")
            }
            guard eta.isFinite, (0...1).contains(eta) else { throw UsageError("--eta \(eta) is invalid: it must be between 0 and 1") }
            if let clipSkip, clipSkip < 0 { throw UsageError("--clip-skip \(clipSkip) is invalid: it must be 0 or more") }
            for (name, value) in [("--width", width), ("--height", height)] {
                if let value, value <= 0 || value % 8 != 0 {
                    throw UsageError("\(name) \(value) is invalid: it must be a positive multiple of 8")
                }
            }
            let samplerName = try parseSampler(sampler, karras: karras)
            let seedValue = try parseSeed(seed)
            try checkWritable()
            var image: RGBImage?
            if let initImage {
                do { image = try PNGReader.read(contentsOf: URL(fileURLWithPath: initImage)).image } catch {
                    throw UsageError("--init-image \(initImage): \(error)")
                }
            }
            return (ImageRequest(prompt: prompt, negativePrompt: negative, width: width, height: height, steps: steps,
                                sampler: samplerName, karras: karras ? true : nil, guidanceScale: guidance,
                                guidanceRescale: guidanceRescale, eta: eta, clipSkip: clipSkip, seed: seedValue, count: count, initImage: image, strength: strength), modelURL)
        } catch let error as UsageError {
            try exitWithError(error.message)
        }
    }

    /// The files written: `output` for one image; `stem-1.ext`, `stem-2.ext`, … for several.
    private func outputPaths() -> [String] {
        guard count > 1 else { return [output] }
        let url = URL(fileURLWithPath: output)
        let ext = url.pathExtension.isEmpty ? "png" : url.pathExtension
        let stem = url.pathExtension.isEmpty ? output : String(output.dropLast(ext.count + 1))
        return (1...count).map { "\(stem)-\($0).\(ext)" }
    }

    /// Throws unless the output's folder exists and is writable (checked before the run).
    private func checkWritable() throws {
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("\(output): cannot write: the folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw UsageError("\(output): cannot write: the folder \(folder) is not writable")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
            throw UsageError("\(output): cannot write: it is a folder")
        }
    }

    /// The PNG metadata of image `index`.
    private func metadata(for request: ImageRequest, settings: ResolvedImageSettings, model: String,
                          index: Int) -> GenerationMetadata {
        var extra: [GenerationMetadata.Parameter] = []
        if settings.karras { extra.append(.init("Schedule type", "Karras")) }
        if settings.sampler == .ddim, request.eta > 0 { extra.append(.init("Eta DDIM", "\(request.eta)")) }
        // AUTOMATIC1111 counts the last layer as "Clip skip: 1"; diffusers' clip_skip 1 is its 2.
        if let clipSkip = request.clipSkip { extra.append(.init("Clip skip", "\(clipSkip + 1)")) }
        if request.guidanceRescale > 0 { extra.append(.init("CFG Rescale phi", "\(request.guidanceRescale)")) }
        if request.initImage != nil { extra.append(.init("Denoising strength", "\(request.strength)")) }
        if request.count > 1 {
            extra.append(.init("Batch size", "\(request.count)"))
            extra.append(.init("Batch pos", "\(index)"))
        }
        var json = ["model": model]
        if let initImage { json["init_image_path"] = initImage }
        return GenerationMetadata(
            prompt: request.prompt, negativePrompt: request.negativePrompt, model: model,
            sampler: settings.sampler.displayName, steps: request.steps, guidance: request.guidanceScale,
            seed: request.seed.value, width: settings.width, height: settings.height, engineVersion: diffuseVersion,
            requestJSON: request.json(width: settings.width, height: settings.height, sampler: settings.sampler,
                                      karras: settings.karras, extra: json),
            additionalParameters: extra)
    }

    /// One line on standard error when truncation dropped part of a prompt.
    private func warnIfTruncated(_ what: String, _ dropped: String) {
        guard !dropped.isEmpty else { return }
        let line = "diffuse: warning: the \(what) is longer than the text encoder's 77 tokens; dropped: \"\(dropped)\""
            .replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
