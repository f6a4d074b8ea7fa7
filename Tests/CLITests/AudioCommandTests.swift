import Foundation
import MediaIO
import SafeTensors
import Tensors
import Testing

/// `Tests/Fixtures/tiny-audioldm`, written by tools/fixtures/make_tiny_audioldm.py
/// (16 kHz, 4 samples a mel frame: 0.01 s is 40 frames, fast in debug builds).
let tinyAudioLDMPath = "Tests/Fixtures/tiny-audioldm"

/// `diffuse audio` on the tiny AudioLDM folder: files written and read back, and every bad input
/// ending with one line, a non-zero status and no file.
@Suite struct AudioCommandTests {
    /// The JSON request in an audio file's comment.
    func request(_ tags: [AudioTag: String]) throws -> [String: Any] {
        let comment = try #require(tags[.comment])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(comment.utf8)) as? [String: Any])
        return try #require(object["request"] as? [String: Any])
    }

    @Test func writesAWAVWithMetadataAndSpectrogram() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("dog.wav").path
        let picture = scratch.url.appendingPathComponent("dog.png").path
        let result = try runDiffuse("audio", "a dog barks in the rain", "--model", tinyAudioLDMPath, "-o", out,
                                    "--seconds", "0.01", "--steps", "4", "--guidance", "2.5", "--seed", "42",
                                    "--negative", "the cat", "--spectrogram", picture, "--format", "wav32f")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "not a terminal: no progress bar; got \(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
        #expect(result.stdout.hasPrefix("wrote \(out) and \(picture) (0.01 s at 16000 Hz, WAV float 32-bit, seed 42, "),
                "\(result.stdout)")
        let file = try AudioReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(file.audio.sampleRate == 16000 && file.audio.channels == 1 && file.audio.frameCount == 160)
        #expect(file.tags[.title] == "a dog barks in the rain")
        #expect(file.tags[.software]?.hasPrefix("Diffuse ") == true, "\(file.tags)")
        let json = try request(file.tags)
        #expect(json["prompt"] as? String == "a dog barks in the rain")
        #expect(json["negative_prompt"] as? String == "the cat")
        #expect(json["seconds"] as? Double == 0.01 && json["sample_rate"] as? Int == 16000)
        #expect(json["sampler"] as? String == "ddim" && json["steps"] as? Int == 4 && json["seed"] as? Int == 42)
        let png = try PNGReader.read(contentsOf: URL(fileURLWithPath: picture))
        #expect(png.image.width == 520 && png.image.height == 256, "\(png.image.width)x\(png.image.height)")
        #expect(png.text("parameters")?.hasPrefix("a dog barks in the rain\nNegative prompt: the cat\nSteps: 4, Sampler: DDIM") == true)
    }

    @Test func sameWaveformAsDiffusers() throws {
        // fx_audioldm_pipeline.py's case "ddim" makes two clips from one noise draw: run it as is.
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("d.wav").path
        let result = try runDiffuse("audio", "a dog barks in the rain", "--model", tinyAudioLDMPath, "-o", out,
                                    "--seconds", "0.01", "--steps", "4", "--guidance", "2.5", "--seed", "42",
                                    "--negative", "the cat", "--count", "2", "--format", "wav32f")
        #expect(result.status == 0, "\(result.stderr)")
        let fixture = try SafeTensorsFile(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/audioldm_pipeline.safetensors"))
        let expected = try fixture.tensor("ddim.waveform")                        // [2, 160]
        for index in 0..<2 {
            let clip = try AudioReader.read(contentsOf: scratch.url.appendingPathComponent("d-\(index + 1).wav")).audio
            let reference = Array(expected.scalars[(index * 160)..<((index + 1) * 160)])
            let worst = zip(clip.samples, reference).map { abs($0 - $1) }.max() ?? .infinity
            #expect(clip.samples.count == 160 && worst <= 1e-3, "clip \(index + 1): max-abs \(worst)")
        }
    }

    /// No --model: the bundled default (Models/diffuse-audio-16k, DiffuseMelPipeline) with its
    /// default guidance and duration; needs Models/text-encoders/all-MiniLM-L6-v2 (tools/install.sh).
    @Test func defaultModelWritesAWAV() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("piano.wav").path
        let result = try runDiffuse("audio", "a piano playing a low note", "-o", out, "--steps", "2", "--seed", "0")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote \(out) (4.08 s at 16000 Hz, WAV PCM 16-bit, seed 0, "), "\(result.stdout)")
        let file = try AudioReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(file.audio.sampleRate == 16000 && file.audio.channels == 1 && file.audio.frameCount == 65280)
        #expect((file.audio.samples.map(abs).max() ?? 0) > 1e-3, "the clip is not silent")
        let json = try request(file.tags)
        #expect(json["model"] as? String == "diffuse-audio-16k" && json["steps"] as? Int == 2)
        #expect(json["guidance_scale"] as? Double == 5 && json["sampler"] as? String == "dpmpp_2m", "\(json)")
    }

    @Test func defaultModelRefusesLongerClips() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("x.wav").path
        let result = try runDiffuse("audio", "rain", "-o", out, "--steps", "1", "--seconds", "5")
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("this model makes clips of 4.08 s"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test func writesResampledFLACs() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("rain.flac").path
        let result = try runDiffuse("audio", "rain", "--model", tinyAudioLDMPath, "-o", out, "--seconds", "0.01",
                                    "--steps", "2", "--sampler", "euler_a", "--seed", "3", "--count", "2",
                                    "--sample-rate", "22050")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("rain-1.flac, ") && result.stdout.contains("at 22050 Hz, FLAC 16-bit, seed 3"), "\(result.stdout)")
        for index in 1...2 {
            let file = try AudioReader.read(contentsOf: scratch.url.appendingPathComponent("rain-\(index).flac"))
            #expect(file.audio.sampleRate == 22050 && file.audio.frameCount == 221)      // round(160 · 22050 / 16000)
            #expect(file.tags[.title] == "rain")
            #expect(try request(file.tags)["sample_rate"] as? Int == 22050)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func audioToAudio() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let source = scratch.url.appendingPathComponent("in.wav")
        let out = scratch.url.appendingPathComponent("out.ogg").path
        let tone = try PCMAudio(sampleRate: 44100, mono: (0..<882).map { Float(sin(Double($0) * 0.05)) * 0.5 })
        try AudioWriter.write(tone, to: source)
        let result = try runDiffuse("audio", "a dog", "--model", tinyAudioLDMPath, "-o", out, "--steps", "4",
                                    "--init-audio", source.path, "--strength", "0.5", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("(0.02 s at 16000 Hz, Ogg Vorbis"), "\(result.stdout)")
        let file = try AudioReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(file.audio.sampleRate == 16000)
        #expect(try request(file.tags)["strength"] as? Double == 0.5)
    }

    /// Bad options: (arguments after the prompt and model, with OUT for the output, a fragment of the message).
    static let badInputs: [([String], String)] = [
        (["--seconds", "0"], "--seconds 0.0 is invalid"),
        (["--seconds", "-1"], "--seconds -1.0 is invalid"),
        (["--seconds", "nan"], "--seconds nan is invalid"),
        (["--seconds", "1e9"], "--seconds 1000000000.0 is invalid"),
        (["--seconds", "0.0001"], "duration 0.0001 s is invalid: this model needs at least 0.0005 s"),
        (["--sample-rate", "7"], "--sample-rate 7 is invalid"),
        (["--sample-rate", "1000000"], "--sample-rate 1000000 is invalid"),
        (["--format", "mp3"], "--format mp3:"),
        (["-o", "OUT.mp3"], "unknown audio format"),
        (["-o", "MISSING/x.wav"], "does not exist"),
        (["-o", "OUT.wav", "--spectrogram", "OUT.jpg"], ".jpg is invalid: it must name a .png file"),
        (["-o", "OUT"], "no extension to choose the audio format from"),
        (["--steps", "0"], "--steps 0 is invalid"),
        (["--strength", "2", "--init-audio", "OUT.wav"], "--strength 2.0 is invalid"),
    ]

    @Test(arguments: badInputs) func badInputEndsWithOneLine(_ arguments: [String], _ fragment: String) throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let base = scratch.url.appendingPathComponent("x").path
        let missing = scratch.url.appendingPathComponent("missing").path
        var args = ["audio", "a dog", "--model", tinyAudioLDMPath, "-o", base + ".wav", "--seconds", "0.01", "--steps", "1"]
        args += arguments.map { $0.replacingOccurrences(of: "OUT", with: base).replacingOccurrences(of: "MISSING", with: missing) }
        let result = try runDiffuse(args)
        #expect(result.status == 1, "\(arguments): \(result.stdout)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("diffuse: error: "), "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty, "\(arguments): a file was left")
    }

    @Test func unwritableFolderLeavesNoFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let readOnly = scratch.url.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path) }
        // root may write into a 0555 folder: use a read-only file system there.
        let unwritable = getuid() == 0 ? "/sys/x.wav" : readOnly.appendingPathComponent("x.wav").path
        let result = try runDiffuse("audio", "a dog", "--model", tinyAudioLDMPath, "-o", unwritable, "--seconds", "0.01", "--steps", "1")
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("diffuse: error: ") && result.stderr.contains("x.wav"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: unwritable))
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly.path).isEmpty)
    }

    /// A copy of the tiny folder whose vocoder's last convolution is replaced by `bias` (weights 0).
    func folder(withVocoderBias bias: Float, in scratch: ScratchFolder) throws -> String {
        let source = repositoryRoot.appendingPathComponent(tinyAudioLDMPath)
        let copy = scratch.url.appendingPathComponent("model")
        try FileManager.default.copyItem(at: source, to: copy)
        let weights = copy.appendingPathComponent("vocoder/model.safetensors")
        let file = try SafeTensorsFile(contentsOf: weights)
        let tensors: [(String, Tensor)] = try file.names.map { name in
            let t = try file.tensor(name)
            switch name {
            case "conv_post.weight": return (name, Tensor(shape: t.shape, scalars: [Float](repeating: 0, count: t.count)))
            case "conv_post.bias": return (name, Tensor(shape: t.shape, scalars: [Float](repeating: bias, count: t.count)))
            default: return (name, t)
            }
        }
        try SafeTensorsWriter.write(tensors, to: weights)
        return copy.path
    }

    @Test(arguments: [(Float(0), "is silent"), (Float.nan, "the vocoder produced nan")])
    func silentOrNaNWaveformIsNotWritten(_ bias: Float, _ fragment: String) throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let model = try folder(withVocoderBias: bias, in: scratch)
        let out = scratch.url.appendingPathComponent("x.wav").path
        let result = try runDiffuse("audio", "a dog", "--model", model, "-o", out, "--seconds", "0.01", "--steps", "1",
                                    "--spectrogram", scratch.url.appendingPathComponent("x.png").path)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderr.contains(fragment), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["model"])
    }
}
