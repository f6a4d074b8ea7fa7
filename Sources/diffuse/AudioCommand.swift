import ArgumentParser
import AudioModality
import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents
import Tensors

/// `diffuse audio PROMPT [--model NAME|PATH] -o clip.wav …`: text to audio with the bundled
/// default model (`DiffuseMelPipeline`, Models/diffuse-audio-16k) or an AudioLDM folder in
/// diffusers layout (also audio to audio with `--init-audio`), chosen by `model_index.json`'s
/// `_class_name`, written through libsndfile with
/// its generation metadata, and optionally its log-mel spectrogram as a PNG. One line on
/// standard output when done; a progress bar on standard error when it is a terminal.
struct AudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Make an audio clip from a prompt (default model: \(ModelStore.Modality.audio.defaultModel)).",
        discussion: """
            Writes WAV (16/24-bit PCM or 32-bit float), FLAC or Ogg Vorbis, chosen by the \
            extension or --format, with title = the prompt, comment = the request as JSON and \
            software = Diffuse and its version. With --count N > 1 the files are named with an \
            index before the extension: clip-1.wav, clip-2.wav, … The same seed, sampler, steps \
            and guidance give the waveform diffusers' AudioLDMPipeline gives (AudioLDM folders) or the \
            recipe's Python loop gives (the default model, which makes 4.08 s clips: a shorter \
            --seconds keeps their start).
            """
    )

    @Argument(help: "The prompt (empty: unconditional).")
    var prompt: String

    @Option(help: "A model folder (DiffuseMelPipeline, or AudioLDM in diffusers layout) or a name `diffuse models` lists (default: \(ModelStore.Modality.audio.defaultModel)).")
    var model: String?

    @Option(name: [.short, .customLong("output")], help: "The audio file to write (.wav, .flac, .ogg).")
    var output = "clip.wav"

    @Option(parsing: .unconditional, help: "Length in seconds (default: the model's clip, 4.08 s for the default model; AudioLDM: 5, or the init audio's length).")
    var seconds: Double?

    @Option(help: "Sampling steps (default: the model's, 20 for the default model; AudioLDM: 10).")
    var steps: Int?

    @Option(help: "The sampler (default: the model's scheduler): \(SamplerName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sampler: String?

    @Flag(help: "Karras noise levels (with \(SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", "))).")
    var karras = false

    @Option(parsing: .unconditional, help: "Classifier-free guidance scale, ≤ 1: no guidance (default: the model's, 5 for the default model; AudioLDM: 2.5).")
    var guidance: Double?

    @Option(help: "The seed, an integer as torch's manual_seed takes it (default: random, printed).")
    var seed: String?

    @Option(help: "The negative prompt.")
    var negative = ""

    @Option(help: "Clips to make in one batch.")
    var count = 1

    @Option(help: "The file format (default: from the extension): \(AudioFileFormat.names.joined(separator: ", ")).")
    var format: String?

    @Option(name: .customLong("sample-rate"), parsing: .unconditional,
            help: "Resample to this rate in Hz, \(AudioRequest.supportedSampleRates.lowerBound)…\(AudioRequest.supportedSampleRates.upperBound) (default: the vocoder's, 16000 for AudioLDM).")
    var sampleRate: Int?

    @Option(name: .customLong("init-audio"), help: "An audio file to start from (audio to audio).")
    var initAudio: String?

    @Option(parsing: .unconditional, help: "How far from the init audio to go, 0…1 (audio to audio).")
    var strength = 0.8

    @OptionGroup(title: "Weights")
    var weights: WeightOptions

    @Option(help: "Also write the log-mel spectrogram as a PNG (low frequencies at the bottom).")
    var spectrogram: String?

    func run() throws {
        let started = Date()
        let (request, fileFormat, modelURL, kind) = try checkedRequest()
        let loading = try weights.loading()
        let outputs = Self.indexedPaths(output, count: count, defaultExtension: "wav")
        let pictures = spectrogram.map { Self.indexedPaths($0, count: count, defaultExtension: "png") }
        var result: AudioResult?
        let bar = ProgressBar()
        try reportingErrors(path: modelURL.path) {
            defer { bar.finish() }
            let observe: (SamplerStep) throws -> Void = { step in bar.update(done: step.step + 1, total: step.total) }
            switch kind {
            case .audioLDM: result = try AudioLDMPipeline(folder: modelURL, loading: loading).generate(request, observe: observe)
            case .diffuseMel: result = try DiffuseMelPipeline(folder: modelURL, loading: loading).generate(request, observe: observe)
            }
        }
        guard let result else { throw ExitCode.failure }
        warnIfTruncated("prompt", result.droppedPrompt)
        warnIfTruncated("negative prompt", result.droppedNegativePrompt)
        let settings = result.settings
        var formatWritten = fileFormat
        for (index, clip) in result.audio.enumerated() {
            let metadata = metadata(for: request, settings: settings, model: modelURL.lastPathComponent, index: index)
            do {
                let report = try AudioWriter.write(clip, to: URL(fileURLWithPath: outputs[index]), format: fileFormat, metadata: metadata)
                formatWritten = report.format
                if report.clippedSamples > 0 {
                    warn("\(report.clippedSamples) samples of \(outputs[index]) were outside [-1, 1] and were clipped to ±1")
                }
                if let pictures {
                    let mel = result.melSpectrograms                                          // [B, frames, mels]
                    let per = mel.shape[1] * mel.shape[2]
                    let image = try SpectrogramImage.render(logMel: Tensor(shape: [mel.shape[1], mel.shape[2]],
                                                                           scalars: Array(mel.scalars[(index * per)..<((index + 1) * per)])))
                    try PNGWriter.write(image, to: URL(fileURLWithPath: pictures[index]), metadata: metadata)
                }
            } catch {
                try exitWithError("\(error)")
            }
        }
        let duration = result.audio.first?.duration ?? 0
        let written = outputs.joined(separator: ", ") + (pictures.map { " and " + $0.joined(separator: ", ") } ?? "")
        print("wrote \(written) (" + String(format: "%.2f s", duration) + " at \(settings.sampleRate) Hz, "
              + "\(formatWritten.map { "\($0)" } ?? "audio"), seed \(request.seed), "
              + String(format: "%.1f s)", Date().timeIntervalSince(started)))
    }

    /// The request and file format from the options, checked before any model is loaded; a bad
    /// option ends the run with one line on standard error.
    private func checkedRequest() throws -> (AudioRequest, AudioFileFormat?, URL, PipelineKind) {
        do {
            let modelURL: URL
            do { modelURL = try ModelStore().resolve(model, for: .audio) } catch { throw UsageError("\(error)") }
            let kind: PipelineKind
            let settings: (steps: Int, guidance: Double)
            do {
                let options = try PipelineIndexOptions.load(folder: modelURL)
                switch options.className {
                case "AudioLDMPipeline":
                    kind = .audioLDM
                    settings = options.settings(steps: steps, guidance: guidance, fallback: (10, 2.5))
                case "DiffuseMelPipeline":
                    kind = .diffuseMel
                    settings = options.settings(steps: steps, guidance: guidance, fallback: (20, 3))
                default:
                    throw UsageError("\(modelURL.path): model_index.json's _class_name \"\(options.className)\" is not an audio pipeline Diffuse runs (AudioLDMPipeline, DiffuseMelPipeline)")
                }
            } catch let error as UsageError {
                throw error
            } catch {
                throw UsageError("\(error)")
            }
            let (steps, guidance) = settings
            if let seconds, !(seconds.isFinite && seconds > 0 && seconds <= AudioAdapter.maximumSeconds) {
                throw UsageError("--seconds \(seconds) is invalid: it must be a number of seconds above 0 and at most \(Int(AudioAdapter.maximumSeconds))")
            }
            guard steps >= 1 else { throw UsageError("--steps \(steps) is invalid: it must be at least 1") }
            guard count >= 1 else { throw UsageError("--count \(count) is invalid: it must be at least 1") }
            guard guidance.isFinite else { throw UsageError("--guidance \(guidance) is invalid: it must be a finite number") }
            guard strength.isFinite, (0...1).contains(strength) else {
                throw UsageError("--strength \(strength) is invalid: it must be between 0 and 1")
            }
            if let sampleRate, !AudioRequest.supportedSampleRates.contains(sampleRate) {
                let range = AudioRequest.supportedSampleRates
                throw UsageError("--sample-rate \(sampleRate) is invalid: supported rates are \(range.lowerBound) to \(range.upperBound) Hz")
            }
            let samplerName = try parseSampler(sampler, karras: karras)
            let seedValue = try parseSeed(seed)
            let fileFormat = try outputFormat()
            try checkWritable(output)
            if let spectrogram {
                guard spectrogram.lowercased().hasSuffix(".png") else {
                    throw UsageError("--spectrogram \(spectrogram) is invalid: it must name a .png file")
                }
                try checkWritable(spectrogram)
            }
            var clip: PCMAudio?
            if let initAudio {
                do { clip = try AudioReader.read(contentsOf: URL(fileURLWithPath: initAudio)).audio } catch {
                    throw UsageError("--init-audio \(initAudio): \(error)")
                }
            }
            let request = AudioRequest(prompt: prompt, negativePrompt: negative,
                                       seconds: seconds ?? (clip == nil && kind == .audioLDM ? 5 : nil), steps: steps, sampler: samplerName,
                                       karras: karras ? true : nil, guidanceScale: guidance, seed: seedValue, count: count,
                                       sampleRate: sampleRate, initAudio: clip, strength: strength)
            do { try request.validate() } catch { throw UsageError("\(error)") }
            return (request, fileFormat, modelURL, kind)
        } catch let error as UsageError {
            try exitWithError(error.message)
        }
    }

    /// `--format` if given, else the extension's format (nil: `AudioWriter` picks it from the extension).
    private func outputFormat() throws -> AudioFileFormat? {
        do {
            if let format { return try AudioFileFormat(name: format) }
            if URL(fileURLWithPath: output).pathExtension.isEmpty {
                throw UsageError("\(output): no extension to choose the audio format from: name a .wav, .flac or .ogg file, or pass --format")
            }
            _ = try AudioFileFormat(fileExtension: URL(fileURLWithPath: output).pathExtension)
            return nil
        } catch let error as MediaIOError {
            throw UsageError(format == nil ? "\(output): unknown audio format: \(error.reason); or pass --format"
                                           : "--format \(format ?? ""): \(error.reason)")
        }
    }

    /// Throws unless `file`'s folder exists and is writable and `file` is not a folder.
    private func checkWritable(_ file: String) throws {
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("\(file): cannot write: the folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else { throw UsageError("\(file): cannot write: the folder \(folder) is not writable") }
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UsageError("\(file): cannot write: it is a folder")
        }
    }

    /// `path` for one file; `stem-1.ext`, `stem-2.ext`, … for several.
    static func indexedPaths(_ path: String, count: Int, defaultExtension: String) -> [String] {
        guard count > 1 else { return [path] }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? defaultExtension : url.pathExtension
        let stem = url.pathExtension.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return (1...count).map { "\(stem)-\($0).\(ext)" }
    }

    /// The metadata of clip `index` (and of its spectrogram).
    private func metadata(for request: AudioRequest, settings: ResolvedAudioSettings, model: String,
                          index: Int) -> GenerationMetadata {
        var extra: [GenerationMetadata.Parameter] = [.init("Sample rate", "\(settings.sampleRate)")]
        if settings.karras { extra.append(.init("Schedule type", "Karras")) }
        if request.initAudio != nil { extra.append(.init("Denoising strength", "\(request.strength)")) }
        if request.count > 1 {
            extra.append(.init("Batch size", "\(request.count)"))
            extra.append(.init("Batch pos", "\(index)"))
        }
        var json = ["model": model]
        if let initAudio { json["init_audio_path"] = initAudio }
        return GenerationMetadata(
            prompt: request.prompt, negativePrompt: request.negativePrompt, model: model,
            sampler: settings.sampler.displayName, steps: request.steps, guidance: request.guidanceScale,
            seed: request.seed.value, duration: settings.geometry.seconds, engineVersion: diffuseVersion,
            requestJSON: request.json(seconds: settings.geometry.seconds, sampleRate: settings.sampleRate,
                                      sampler: settings.sampler, karras: settings.karras, extra: json),
            additionalParameters: extra)
    }

    /// One `diffuse: warning: …` line on standard error.
    private func warn(_ message: String) {
        FileHandle.standardError.write(Data(("diffuse: warning: " + message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    }

    /// One line on standard error when truncation dropped part of a prompt.
    private func warnIfTruncated(_ what: String, _ dropped: String) {
        guard !dropped.isEmpty else { return }
        warn("the \(what) is longer than the text encoder's token limit; dropped: \"\(dropped)\"")
    }
}

/// The audio pipelines `diffuse audio` runs, by `model_index.json`'s `_class_name`.
private enum PipelineKind {
    /// diffusers' AudioLDMPipeline (CLAP, VAE, HiFi-GAN).
    case audioLDM
    /// Diffuse's default model (BERT, log-mel UNet, Griffin-Lim).
    case diffuseMel
}
