import Foundation
import MediaIO
import Testing

/// `Tests/Fixtures/tiny-text2video`, written by tools/fixtures/make_tiny_text2video.py.
let tinyText2VideoPath = "Tests/Fixtures/tiny-text2video"

/// PSNR in dB of `actual` against `expected` over every byte of every frame (∞ when equal); with
/// `luma`, over BT.601 luma only (yuv420p keeps luma at full resolution but halves chroma, which costs
/// little on real footage and a lot on the tiny random model's pixel noise).
func psnr(_ actual: [RGBImage], _ expected: [RGBImage], luma: Bool = false) -> Double {
    var squared = 0.0, count = 0
    for (a, e) in zip(actual, expected) {
        if luma {
            for i in stride(from: 0, to: a.pixels.count, by: 3) {
                let ya = 0.299 * Double(a.pixels[i]) + 0.587 * Double(a.pixels[i + 1]) + 0.114 * Double(a.pixels[i + 2])
                let ye = 0.299 * Double(e.pixels[i]) + 0.587 * Double(e.pixels[i + 1]) + 0.114 * Double(e.pixels[i + 2])
                squared += (ya - ye) * (ya - ye)
            }
            count += a.pixels.count / 3
        } else {
            for (x, y) in zip(a.pixels, e.pixels) {
                let d = Double(x) - Double(y)
                squared += d * d
            }
            count += a.pixels.count
        }
    }
    return squared == 0 ? .infinity : 10 * log10(255 * 255 / (squared / Double(max(count, 1))))
}

/// The frames of a filmstrip PNG (frames side by side), `frames` of them.
func filmstripFrames(_ strip: RGBImage, frames: Int) throws -> [RGBImage] {
    let width = strip.width / frames, row = width * 3
    return try (0..<frames).map { f in
        var pixels: [UInt8] = []
        for y in 0..<strip.height {
            let start = y * strip.width * 3 + f * row
            pixels += strip.pixels[start..<(start + row)]
        }
        return try RGBImage(width: width, height: strip.height, pixels: pixels)
    }
}

/// `diffuse video` on Tests/Fixtures/tiny-text2video (32×32 or smaller, 1–2 steps, a few frames: fast in
/// debug builds). The written files are decoded with libavformat (`VideoReader`) and checked against the
/// frames the filmstrip holds (the exact frames that were encoded).
@Suite(.serialized) struct VideoCommandTests {
    @Test func writesAnMP4WithMetadataAndAFilmstrip() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("cat.mp4").path
        let strip = scratch.url.appendingPathComponent("strip.png").path
        let result = try runDiffuse("video", "a cat", "--model", tinyText2VideoPath, "-o", out, "--frames", "5", "--fps", "10",
                                    "--steps", "2", "--seed", "42", "--negative", "the dog", "--filmstrip", strip)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "not a terminal: no progress bar, no FFmpeg log; got \(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
        #expect(result.stdout.hasPrefix("wrote \(out) and \(strip) (5 frames at 10 fps, 0.50 s, 32x32, "), "\(result.stdout)")
        #expect(result.stdout.contains(", seed 42, "), "\(result.stdout)")
        let video = try VideoReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(video.codecName == "h264")
        #expect(video.frames.count == 5)
        #expect(video.frameRate.numerator == 10 && video.frameRate.denominator == 1)
        #expect(abs(video.videoDuration - 0.5) < 1e-6, "duration \(video.videoDuration)")
        #expect(video.width == 32 && video.height == 32)
        #expect(video.metadata("title") == "a cat")
        let comment = try #require(video.metadata("comment"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(comment.utf8)) as? [String: Any])
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["frames"] as? Int == 5 && request["seed"] as? Int == 42 && request["negative_prompt"] as? String == "the dog")
        let png = try PNGReader.read(contentsOf: URL(fileURLWithPath: strip))
        #expect(png.image.width == 5 * 32 && png.image.height == 32)
        #expect(png.text("parameters")?.contains("Frames: 5, FPS: 10") == true, "\(png.text("parameters") ?? "")")
        let encoded = try filmstripFrames(png.image, frames: 5)
        let (rgb, luma) = (psnr(video.frames, encoded), psnr(video.frames, encoded, luma: true))
        print("mp4 CRF 18 on 32x32 frames: PSNR \(rgb) dB (RGB), \(luma) dB (luma) against the encoded frames")
        #expect(luma >= 35 && rgb >= 18, "PSNR \(rgb) dB RGB, \(luma) dB luma")
    }

    /// An AnimateDiff folder (UNetMotionModel) runs through the same command; `diffuse models` files it under video.
    @Test func runsAnAnimateDiffFolder() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("dog.gif").path
        let result = try runDiffuse("video", "a dog", "--model", "Tests/Fixtures/tiny-animatediff", "-o", out, "--frames", "6",
                                    "--steps", "2", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote \(out) (6 frames at "), "\(result.stdout)")
        let video = try VideoReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(video.frames.count == 6 && video.width == 32 && video.height == 32)
        let tooLong = try runDiffuse("video", "a dog", "--model", "Tests/Fixtures/tiny-animatediff", "-o", out, "--frames", "9",
                                     "--steps", "1")
        #expect(tooLong.status != 0 && tooLong.stderr.contains("motion_max_seq_length"), "\(tooLong.stderr)")
    }

    @Test func writesWebMWithASoundtrackGIFAndPNGSequence() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let wav = scratch.url.appendingPathComponent("tone.wav")
        let tone = (0..<16000).map { Float(sin(Double($0) * 0.05) * 0.3) }
        try AudioWriter.write(try PCMAudio(sampleRate: 16000, mono: tone), to: wav, metadata: nil)
        let strip = scratch.url.appendingPathComponent("s.png").path
        let webm = scratch.url.appendingPathComponent("clip.webm").path
        let common = ["--model", tinyText2VideoPath, "--frames", "3", "--fps", "12", "--steps", "1", "--seed", "3",
                      "--width", "16", "--height", "24"]
        let a = try runDiffuse(["video", "a dog", "-o", webm, "--audio", wav.path, "--filmstrip", strip] + common)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("with sound"), "\(a.stdout)")
        let video = try VideoReader.read(contentsOf: URL(fileURLWithPath: webm))
        #expect(video.codecName == "vp9" && video.frames.count == 3 && video.width == 16 && video.height == 24)
        #expect(abs(video.videoDuration - 0.25) < 1e-3, "duration \(video.videoDuration)")
        let audio = try #require(video.audio)
        #expect(audio.codecName == "opus")
        #expect(abs(audio.decodedDuration - 0.25) < 0.03, "audio \(audio.decodedDuration) s")
        let frames = try filmstripFrames(try PNGReader.read(contentsOf: URL(fileURLWithPath: strip)).image, frames: 3)
        let (rgb, luma) = (psnr(video.frames, frames), psnr(video.frames, frames, luma: true))
        print("webm CRF 24 on 16x24 frames: PSNR \(rgb) dB (RGB), \(luma) dB (luma) against the encoded frames")
        #expect(luma >= 30 && rgb >= 18, "webm PSNR \(rgb) dB RGB, \(luma) dB luma")

        let gif = scratch.url.appendingPathComponent("clip.gif").path
        let b = try runDiffuse(["video", "a dog", "-o", gif] + common)
        #expect(b.status == 0, "\(b.stderr)")
        let decoded = try VideoReader.read(contentsOf: URL(fileURLWithPath: gif))
        #expect(decoded.codecName == "gif" && decoded.frames.count == 3 && decoded.width == 16 && decoded.height == 24)
        print("gif on 16x24 frames: PSNR \(psnr(decoded.frames, frames)) dB (RGB)")
        #expect(psnr(decoded.frames, frames) >= 20, "gif PSNR \(psnr(decoded.frames, frames))")

        let folder = scratch.url.appendingPathComponent("frames")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let c = try runDiffuse(["video", "a dog", "-o", folder.path] + common)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.hasPrefix("wrote 3 PNGs in \(folder.path)"), "\(c.stdout)")
        let pattern = scratch.url.appendingPathComponent("shot_%02d.png").path
        let d = try runDiffuse(["video", "a dog", "-o", pattern] + common)
        #expect(d.status == 0, "\(d.stderr)")
        for (i, name) in ["frames/frame_0001.png", "frames/frame_0002.png", "frames/frame_0003.png", "shot_03.png"].enumerated() {
            let image = try PNGReader.read(contentsOf: scratch.url.appendingPathComponent(name)).image
            #expect(image == frames[min(i, 2)], "\(name) is not the frame encoded")
        }
    }

    /// `--audio-prompt` makes the soundtrack on the spot with an audio model (the tiny AudioLDM), as long
    /// as the clip, muxed as AAC into the MP4.
    @Test func generatesTheSoundtrackFromAnAudioPrompt() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("rain.mp4").path
        let result = try runDiffuse("video", "a cat in the rain", "--model", tinyText2VideoPath, "-o", out, "--frames", "2",
                                    "--fps", "8", "--steps", "1", "--seed", "5", "--audio-prompt", "rain on a roof",
                                    "--audio-model", tinyAudioLDMPath)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("with sound"), "\(result.stdout)")
        let video = try VideoReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(video.codecName == "h264" && video.frames.count == 2)
        let audio = try #require(video.audio, "the MP4 has no audio stream")
        #expect(audio.codecName == "aac")
        #expect(abs(audio.decodedDuration - 0.25) < 0.05, "soundtrack \(audio.decodedDuration) s for a 0.25 s clip")
    }

    /// Every bad input ends with one line on standard error, status 1, nothing on standard output and no
    /// file written.
    @Test func badInputIsOneLineAndNoFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("x.mp4").path
        let readOnly = scratch.url.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path) }
        // Root writes into a 0555 folder; sysfs refuses new files even to root.
        let unwritable = getuid() == 0 ? "/sys/x.mp4" : readOnly.appendingPathComponent("x.mp4").path
        let base = ["video", "a cat", "--model", tinyText2VideoPath, "--steps", "1", "--frames", "2"]
        let cases: [([String], String)] = [
            (["--frames", "0", "-o", out], "--frames 0 is invalid"),
            (["--frames", "100000000", "-o", out], "--frames 100000000 is invalid"),
            (["--fps", "0", "-o", out], "--fps 0.0 is invalid"),
            (["--fps=-8", "-o", out], "--fps -8.0 is invalid"),
            (["--fps", "nan", "-o", out], "--fps nan is invalid"),
            (["--width", "33", "--height", "32", "-o", out], "--width 33 is invalid: it must be a positive multiple of 8"),
            (["--height", "31", "-o", out], "--height 31 is invalid"),
            (["-o", scratch.url.appendingPathComponent("x.avi").path], "unknown container"),
            (["-o", scratch.url.appendingPathComponent("x").path], "unknown container"),
            (["-o", scratch.url.appendingPathComponent("missing/x.mp4").path], "does not exist"),
            (["-o", unwritable], "is not writable"),
            (["-o", scratch.url.appendingPathComponent("x.gif").path, "--audio", "/nonexistent.wav"], "cannot carry a soundtrack"),
            (["-o", out, "--audio", "/nonexistent.wav"], "--audio /nonexistent.wav"),
            (["-o", out, "--audio-prompt", "rain"], "--audio-prompt needs --audio-model"),
            (["-o", out, "--quality", "52"], "--quality 52 is invalid"),
            (["-o", out, "--filmstrip", scratch.url.appendingPathComponent("s.jpg").path], "--filmstrip"),
            (["-o", out, "--sampler", "nope"], "--sampler"),
        ]
        for (extra, message) in cases {
            let result = try runDiffuse(base + extra)
            #expect(result.status == 1, "\(extra): status \(result.status)")
            #expect(result.stderrLines.count == 1, "\(extra): \(result.stderr)")
            #expect(result.stderr.hasPrefix("diffuse: error: ") && result.stderr.contains(message), "\(extra): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(extra): \(result.stdout)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0 != "ro" }
        #expect(left.isEmpty, "files left behind: \(left)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly.path).isEmpty)
    }

    /// SIGINT while the file is being written: the temporary file is removed and nothing exists under the
    /// final name.
    @Test func interruptDuringEncodingLeavesNoFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        // 240 frames at 8 fps with a 30 s stereo soundtrack: encoding AAC takes long enough to be caught.
        let wav = scratch.url.appendingPathComponent("noise.wav")
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(2 * 48000 * 30)).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        try AudioWriter.write(try PCMAudio(sampleRate: 48000, channels: 2, samples: noise), to: wav, metadata: nil)
        let out = scratch.url.appendingPathComponent("long.mp4")
        // A child inherits an ignored SIGINT (as under `nohup` or a non-interactive shell's `&`), and then
        // keeps running by design; give it the default disposition, as a terminal's foreground job has.
        let previous = signal(SIGINT, SIG_DFL)
        defer { signal(SIGINT, previous) }
        let process = try startDiffuse(["video", "", "--model", tinyText2VideoPath, "-o", out.path, "--frames", "240",
                                        "--width", "8", "--height", "8", "--steps", "1", "--guidance", "1", "--seed", "1",
                                        "--audio", wav.path])
        signal(SIGINT, previous)
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let signalState = status.split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") }
        var sawTemporary = false
        let deadline = Date().addingTimeInterval(240)
        while process.isRunning, Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path)) ?? []
            if names.contains(where: { $0.hasPrefix(".long.mp4.") && $0.hasSuffix(".tmp") }) {
                sawTemporary = true
                kill(process.processIdentifier, SIGINT)
                break
            }
            usleep(500)
        }
        process.waitUntilExit()
        #expect(sawTemporary, "the encoder never started (status \(process.terminationStatus))")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT,
                "status \(process.terminationStatus): the run finished before the signal; child at start: \(signalState)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "a file exists under the final name")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0 != "noise.wav" }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}

/// Runs `diffuse` with `arguments` (an array, for argument lists built in code).
func runDiffuse(_ arguments: [String]) throws -> RunResult {
    let scratch = try ScratchFolder()
    defer { scratch.remove() }
    let out = scratch.url.appendingPathComponent("stdout"), err = scratch.url.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = try startDiffuse(arguments, stdout: try FileHandle(forWritingTo: out), stderr: try FileHandle(forWritingTo: err))
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                     stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
}

/// Starts `diffuse` with `arguments` from the repository root; output goes to the handles (default: discarded).
func startDiffuse(_ arguments: [String], stdout: FileHandle = .nullDevice, stderr: FileHandle = .nullDevice) throws -> Process {
    let process = Process()
    process.executableURL = try diffuseExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    return process
}
