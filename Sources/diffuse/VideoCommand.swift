import ArgumentParser
import AudioModality
import DiffusionCore
import Foundation
import MediaIO
import VideoModality

/// `diffuse video PROMPT --model PATH -o clip.mp4 …`: text to video with a text-to-video folder in
/// diffusers layout (TextToVideoSDPipeline: UNet3DConditionModel, AutoencoderKL, CLIP), written through
/// FFmpeg with its generation metadata. One line on standard output when done; a progress bar on
/// standard error when it is a terminal.
///
/// Sizes: width and height must be multiples of 8 (the VAE's and diffusers' rule), so every size is even
/// and suits `yuv420p`; an odd size is refused before anything runs, never padded.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Make a short video from a prompt with a text-to-video model folder.",
        discussion: """
            The container follows the output name: .mp4 (H.264, yuv420p), .webm (VP9), .gif, a folder \
            or a frame_%04d.png pattern (one PNG per frame). The prompt, seed and every setting are \
            kept in the file's metadata. A soundtrack comes from --audio FILE (WAV, FLAC, OGG) or is \
            made from --audio-prompt with an AudioLDM folder (--audio-model); it is cut or padded to \
            the video's length (AAC in MP4, Opus in WebM).
            """
    )

    @Argument(help: "The prompt (empty: unconditional).")
    var prompt: String

    @Option(help: "A text-to-video folder in diffusers layout (model_index.json, unet/, vae/, …) or a name `diffuse models` lists (default: \(ModelStore.Modality.video.defaultModel)).")
    var model: String?

    @Option(name: [.short, .customLong("output")], help: "The video to write: .mp4, .webm, .gif, a folder or frame_%04d.png.")
    var output = "video.mp4"

    @Option(help: "Frames to make.")
    var frames = 16

    @Option(help: "Frames per second (default 8, or the init video's rate).")
    var fps: Double?

    @Option(help: "Width in pixels, a multiple of 8 (default: the model's).")
    var width: Int?

    @Option(help: "Height in pixels, a multiple of 8 (default: the model's).")
    var height: Int?

    @Option(help: "Sampling steps (default: the model's default_steps, else 20).")
    var steps: Int?

    @Option(help: "The sampler (default: the model's scheduler): \(SamplerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sampler: String?

    @Flag(help: "Karras noise levels (with \(SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", "))).")
    var karras = false

    @Option(parsing: .unconditional, help: "Classifier-free guidance scale, ≤ 1: no guidance (default: the model's default_guidance_scale, else 9.0).")
    var guidance: Double?

    @Option(help: "The seed, an integer as torch's manual_seed takes it (default: random, printed).")
    var seed: String?

    @Option(help: "The negative prompt.")
    var negative = ""

    @Option(help: "The encoder's CRF: 0…51 for MP4 (H.264, default 18), 0…63 for WebM (VP9, default 24); lower is better.")
    var quality: Int?

    @Option(help: "A soundtrack to mux in (WAV, FLAC, OGG).")
    var audio: String?

    @Option(name: .customLong("audio-prompt"), help: "Make the soundtrack from this prompt (needs --audio-model).")
    var audioPrompt: String?

    @Option(name: .customLong("audio-model"), help: "An AudioLDM folder in diffusers layout, for --audio-prompt.")
    var audioModel: String?

    @Option(help: "Also write every frame side by side as one PNG.")
    var filmstrip: String?

    @Option(name: .customLong("init-video"), help: "A video to start from (video to video); its frame count and size are kept.")
    var initVideo: String?

    @Option(help: "How far from the init video to go, 0…1 (video to video).")
    var strength = 0.6

    @OptionGroup(title: "Weights")
    var weights: WeightOptions

    func run() throws {
        let started = Date()
        // Ctrl-C, kill and a closed terminal remove the temporary file being written.
        try? AtomicFile.installSignalCleanup()
        VideoWriter.silenceFFmpegLog()
        let plan = try checkedPlan()
        let request = plan.request
        let modelURL = plan.modelURL
        let loading = try weights.loading()
        var result: VideoResult?
        var soundtrack = plan.soundtrack
        try reportingErrors(path: modelURL.path) {
            let bar = ProgressBar()
            defer { bar.finish() }
            let pipeline = try TextToVideoSDPipeline(folder: modelURL, loading: loading)
            result = try pipeline.generate(request) { step in bar.update(done: step.step + 1, total: step.total) }
        }
        guard let result else { throw ExitCode.failure }
        warnIfTruncated("prompt", result.droppedPrompt)
        warnIfTruncated("negative prompt", result.droppedNegativePrompt)
        if let audioPrompt, let audioModel {
            try reportingErrors(path: audioModel) {
                let bar = ProgressBar()
                defer { bar.finish() }
                let audio = try AudioLDMPipeline(folder: URL(fileURLWithPath: audioModel))
                let made = try audio.generate(AudioRequest(prompt: audioPrompt, seconds: result.clip.duration, seed: request.seed)) { step in
                    bar.update(done: step.step + 1, total: step.total)
                }
                soundtrack = made.audio.first
            }
        }
        let settings = result.settings
        let metadata = metadata(for: request, settings: settings, model: modelURL.lastPathComponent)
        let report: VideoWriteReport
        do {
            report = try VideoWriter.write(result.clip, to: URL(fileURLWithPath: output), format: plan.format,
                                           quality: quality.map { .crf($0) } ?? .high, metadata: metadata, soundtrack: soundtrack)
            if let filmstrip {
                try PNGWriter.write(try result.clip.filmstrip(), to: URL(fileURLWithPath: filmstrip), metadata: metadata)
            }
        } catch {
            try exitWithError("\(error)")
        }
        let bytes = report.files.reduce(0) { total, url in
            total + ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
        }
        let written = (report.format == .pngSequence ? "\(report.files.count) PNGs in \(output)" : output)
            + (filmstrip.map { " and \($0)" } ?? "")
        print("wrote \(written) (\(settings.frames) frames at \(Self.fpsText(settings.frameRate)) fps, " + String(format: "%.2f s, ", result.clip.duration)
              + "\(settings.width)x\(settings.height), \(Self.byteText(bytes))\(soundtrack == nil ? "" : ", with sound"), "
              + "seed \(request.seed), " + String(format: "%.1f s)", Date().timeIntervalSince(started)))
    }

    /// What to run and write, checked before any model is loaded.
    private struct Plan {
        var request: VideoRequest
        var format: VideoFormat
        var soundtrack: PCMAudio?
        var modelURL: URL
    }

    /// The request, container and soundtrack from the options; a bad option ends the run with one line
    /// on standard error before anything is loaded.
    private func checkedPlan() throws -> Plan {
        do {
            let modelURL: URL
            do { modelURL = try ModelStore().resolve(model, for: .video) } catch { throw UsageError("\(error)") }
            guard (1...VideoRequest.maximumFrames).contains(frames) else {
                throw UsageError("--frames \(frames) is invalid: it must be between 1 and \(VideoRequest.maximumFrames)")
            }
            if let fps, !(fps.isFinite && fps > 0 && fps <= VideoFrameRate.maximumFramesPerSecond) {
                throw UsageError("--fps \(fps) is invalid: it must be a finite number above 0 and at most \(Int(VideoFrameRate.maximumFramesPerSecond))")
            }
            let (steps, guidance) = try modelSettings(modelURL, steps: steps, guidance: guidance, fallback: (20, 9.0))
            guard steps >= 1 else { throw UsageError("--steps \(steps) is invalid: it must be at least 1") }
            guard guidance.isFinite else { throw UsageError("--guidance \(guidance) is invalid: it must be a finite number") }
            guard strength.isFinite, (0...1).contains(strength) else {
                throw UsageError("--strength \(strength) is invalid: it must be between 0 and 1")
            }
            for (name, value) in [("--width", width), ("--height", height)] {
                if let value, value <= 0 || value % 8 != 0 {
                    throw UsageError("\(name) \(value) is invalid: it must be a positive multiple of 8 (so H.264 and VP9 in yuv420p get even sizes; odd sizes are refused, not padded)")
                }
            }
            let samplerName = try parseSampler(sampler, karras: karras)
            let seedValue = try parseSeed(seed)
            let format = try outputFormat()
            try checkQuality(format)
            let soundtrack = try checkedSoundtrack(format)
            if let filmstrip {
                guard filmstrip.lowercased().hasSuffix(".png") else {
                    throw UsageError("--filmstrip \(filmstrip) is invalid: it must name a .png file")
                }
                try checkWritable(filmstrip, folder: URL(fileURLWithPath: filmstrip).deletingLastPathComponent().path)
            }
            var clip: VideoClip?
            if let initVideo {
                do {
                    let file = try VideoReader.read(contentsOf: URL(fileURLWithPath: initVideo))
                    let rate = fps ?? Double(file.frameRate.numerator) / Double(max(file.frameRate.denominator, 1))
                    clip = try VideoClip(frames: file.frames, fps: rate.isFinite && rate > 0 ? rate : 8)
                } catch {
                    throw UsageError("--init-video \(initVideo): \(error)")
                }
            }
            let request = VideoRequest(prompt: prompt, negativePrompt: negative, frames: frames, fps: fps ?? clip?.frameRate.framesPerSecond ?? 8,
                                       width: width, height: height, steps: steps, sampler: samplerName,
                                       karras: karras ? true : nil, guidanceScale: guidance, seed: seedValue,
                                       initVideo: clip, strength: strength)
            do { try request.validate() } catch { throw UsageError("\(error)") }
            return Plan(request: request, format: format, soundtrack: soundtrack, modelURL: modelURL)
        } catch let error as UsageError {
            try exitWithError(error.message)
        }
    }

    /// The container the output names: an existing folder or a name ending in `/` is a PNG sequence;
    /// otherwise `VideoFormat(path:)` (.mp4, .m4v, .webm, .gif, a %d .png pattern). Checks the folder.
    private func outputFormat() throws -> VideoFormat {
        var isDirectory: ObjCBool = false
        if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue) {
            try checkWritable(nil, folder: output)
            return .pngSequence
        }
        let format: VideoFormat
        do { format = try VideoFormat(path: output) } catch let error as MediaIOError {
            throw UsageError("\(output): unknown container: \(error.reason)")
        }
        try checkWritable(output, folder: URL(fileURLWithPath: output).deletingLastPathComponent().path)
        return format
    }

    /// Throws unless `--quality` is in the encoder's CRF range (GIF and PNG have no CRF).
    private func checkQuality(_ format: VideoFormat) throws {
        guard let quality else { return }
        switch format {
        case .mp4 where !(0...51).contains(quality):
            throw UsageError("--quality \(quality) is invalid: H.264's CRF is 0…51")
        case .webm where !(0...63).contains(quality):
            throw UsageError("--quality \(quality) is invalid: VP9's CRF is 0…63")
        case .gif, .pngSequence:
            throw UsageError("--quality applies to .mp4 and .webm only (\(format) has no CRF)")
        default: return
        }
    }

    /// The `--audio` file read, after checking the soundtrack options against the container.
    private func checkedSoundtrack(_ format: VideoFormat) throws -> PCMAudio? {
        if audio != nil, audioPrompt != nil { throw UsageError("--audio and --audio-prompt cannot be used together") }
        if (audio != nil || audioPrompt != nil), !format.supportsSoundtrack {
            throw UsageError("\(output): \(format) cannot carry a soundtrack; write .mp4 or .webm")
        }
        if audioPrompt != nil {
            guard let audioModel else { throw UsageError("--audio-prompt needs --audio-model PATH, an AudioLDM folder in diffusers layout") }
            try checkFolder(audioModel, "audio model")
        }
        guard let audio else { return nil }
        do { return try AudioReader.read(contentsOf: URL(fileURLWithPath: audio)).audio } catch {
            throw UsageError("--audio \(audio): \(error)")
        }
    }

    /// Throws unless `path` is an existing folder.
    private func checkFolder(_ path: String, _ what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("\(path): no such \(what) folder")
        }
    }

    /// Throws unless `folder` exists and is writable and `file` (if any) is not a folder.
    private func checkWritable(_ file: String?, folder: String) throws {
        let shown = file ?? folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("\(shown): cannot write: the folder \(folder) does not exist")
        }
        // access(2) says yes to root everywhere; creating a file is the test that holds for everyone.
        let probe = (folder as NSString).appendingPathComponent(".diffuse-probe-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd >= 0 {
            close(fd)
            unlink(probe)
        }
        guard access(folder, W_OK) == 0, fd >= 0 else {
            throw UsageError("\(shown): cannot write: the folder \(folder) is not writable")
        }
        if let file, FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UsageError("\(file): cannot write: it is a folder")
        }
    }

    /// The metadata of the clip (and of the filmstrip).
    private func metadata(for request: VideoRequest, settings: ResolvedVideoSettings, model: String) -> GenerationMetadata {
        var extra: [GenerationMetadata.Parameter] = []
        if settings.karras { extra.append(.init("Schedule type", "Karras")) }
        if request.initVideo != nil { extra.append(.init("Denoising strength", "\(request.strength)")) }
        if let audioPrompt { extra.append(.init("Audio prompt", audioPrompt)) }
        var json = ["model": model]
        if let initVideo { json["init_video_path"] = initVideo }
        if let audio { json["audio_path"] = audio }
        if let audioPrompt, let audioModel {
            json["audio_prompt"] = audioPrompt
            json["audio_model"] = URL(fileURLWithPath: audioModel).lastPathComponent
        }
        let duration = Double(settings.frames) / settings.frameRate.framesPerSecond
        return GenerationMetadata(
            prompt: request.prompt, negativePrompt: request.negativePrompt, model: model,
            sampler: settings.sampler.displayName, steps: request.steps, guidance: request.guidanceScale,
            seed: request.seed.value, width: settings.width, height: settings.height, duration: duration,
            frames: settings.frames, frameRate: settings.frameRate.framesPerSecond, engineVersion: diffuseVersion,
            requestJSON: request.json(width: settings.width, height: settings.height, sampler: settings.sampler,
                                      karras: settings.karras, extra: json),
            additionalParameters: extra)
    }

    /// `8`, `12.5`, `29.97`: frames per second as people write them.
    static func fpsText(_ rate: VideoFrameRate) -> String {
        if rate.denominator == 1 { return "\(rate.numerator)" }
        var text = String(format: "%.3f", rate.framesPerSecond)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// `1.2 MB`, `340 KB`, `512 bytes`.
    static func byteText(_ bytes: Int) -> String {
        if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
        if bytes >= 1000 { return "\(Int((Double(bytes) / 1e3).rounded())) KB" }
        return "\(bytes) bytes"
    }

    /// One line on standard error when truncation dropped part of a prompt.
    private func warnIfTruncated(_ what: String, _ dropped: String) {
        guard !dropped.isEmpty else { return }
        let line = "diffuse: warning: the \(what) is longer than the text encoder's 77 tokens; dropped: \"\(dropped)\""
            .replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
