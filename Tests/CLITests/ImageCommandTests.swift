import Foundation
import MediaIO
import SafeTensors
import Testing

/// `diffuse image` on Tests/Fixtures/tiny-sd (16×16, 2 steps: fast in debug builds).
@Suite struct ImageCommandTests {
    @Test func writesAPNGWithMetadata() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("cat.png").path
        let result = try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--steps", "2",
                                    "--width", "16", "--height", "16", "--seed", "42", "--negative", "the dog")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "not a terminal: no progress bar; got \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stdout)")
        #expect(result.stdout.hasPrefix("wrote \(out) (16x16, seed 42, "), "\(result.stdout)")
        let png = try PNGReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(png.image.width == 16 && png.image.height == 16)
        let parameters = try #require(png.text("parameters"))
        #expect(parameters.hasPrefix("a cat\nNegative prompt: the dog\nSteps: 2, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 16x16, Model: tiny-sd"),
                "\(parameters)")
        let json = try #require(png.text("diffuse"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["prompt"] as? String == "a cat")
        #expect(request["steps"] as? Int == 2)
        #expect(request["sampler"] as? String == "ddim")
    }

    @Test func sameSeedSameImageAndBatchNames() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let single = scratch.url.appendingPathComponent("one.png").path
        let batch = scratch.url.appendingPathComponent("many.png").path
        let a = try runDiffuse("image", "the cat", "--model", tinySDPath, "-o", single, "--steps", "2",
                               "--sampler", "euler_a", "--seed", "7")
        #expect(a.status == 0, "\(a.stderr)")
        let firstRun = try PNGReader.read(contentsOf: URL(fileURLWithPath: single)).image
        let b = try runDiffuse("image", "the cat", "--model", tinySDPath, "-o", batch, "--steps", "2",
                               "--sampler", "euler_a", "--seed", "7", "--count", "2")
        #expect(b.status == 0, "\(b.stderr)")
        let first = scratch.url.appendingPathComponent("many-1.png"), second = scratch.url.appendingPathComponent("many-2.png")
        #expect(b.stdout.contains("many-1.png, \(second.path)"), "\(b.stdout)")
        let again = try runDiffuse("image", "the cat", "--model", tinySDPath, "-o", single, "--steps", "2",
                                   "--sampler", "euler_a", "--seed", "7")
        #expect(again.status == 0)
        let one = try PNGReader.read(contentsOf: URL(fileURLWithPath: single))
        #expect(one.image == firstRun, "the same seed gave another image")
        #expect(one.text("parameters")?.contains("Sampler: Euler a") == true)
        #expect(try PNGReader.read(contentsOf: first).text("parameters")?.contains("Batch size: 2, Batch pos: 0") == true)
        #expect(FileManager.default.fileExists(atPath: second.path))
        #expect(!FileManager.default.fileExists(atPath: batch))
    }

    @Test func randomSeedIsPrinted() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("r.png").path
        let result = try runDiffuse("image", "", "--model", tinySDPath, "-o", out, "--steps", "1")
        #expect(result.status == 0, "\(result.stderr)")
        let seed = result.stdout.split(separator: ",").first { $0.contains("seed") }?.split(separator: " ").last
        let value = try #require(seed.flatMap { UInt64($0) }, "\(result.stdout)")
        #expect(try PNGReader.read(contentsOf: URL(fileURLWithPath: out)).text("parameters")?.contains("Seed: \(value),") == true)
    }

    @Test func imageToImage() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let source = scratch.url.appendingPathComponent("in.png").path
        let out = scratch.url.appendingPathComponent("out.png").path
        let pixels = (0..<(16 * 16 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        try PNGWriter.write(try RGBImage(width: 16, height: 16, pixels: pixels), to: URL(fileURLWithPath: source), metadata: nil)
        let result = try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--steps", "4",
                                    "--init-image", source, "--strength", "0.5", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        let png = try PNGReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(png.text("parameters")?.contains("Denoising strength: 0.5") == true)
    }

    @Test func etaClipSkipAndGuidanceRescaleReachTheMetadata() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("eta.png").path
        let result = try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--steps", "2", "--seed", "3",
                                    "--sampler", "ddim", "--eta", "0.5", "--clip-skip", "1", "--guidance-rescale", "0.7")
        #expect(result.status == 0, "\(result.stderr)")
        let parameters = try #require(try PNGReader.read(contentsOf: URL(fileURLWithPath: out)).text("parameters"))
        #expect(parameters.contains("Eta DDIM: 0.5, Clip skip: 2, CFG Rescale phi: 0.7"), "\(parameters)")
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--clip-skip", "2"),
                           mentioning: ["clip skip 2", "2 layers"])
    }

    @Test func longPromptWarnsWithTheDroppedText() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("long.png").path
        let prompt = String(repeating: "a ", count: 75) + "cat dog"
        let result = try runDiffuse("image", prompt, "--model", tinySDPath, "-o", out, "--steps", "1", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("diffuse: warning: the prompt"), "\(result.stderr)")
        #expect(result.stderr.contains("dropped: \"cat dog\""), "\(result.stderr)")
    }

    /// A copy of tiny-sd whose networks exist only as fp16 variant files: `--variant fp16` loads
    /// them, kept half or widened to the same image; without `--variant` the plain files are missing.
    @Test func fp16VariantKeptOrWidened() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let model = scratch.url.appendingPathComponent("tiny-sd-fp16")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: tinySDPath), to: model)
        for (component, file) in [("unet", "diffusion_pytorch_model"), ("vae", "diffusion_pytorch_model"), ("text_encoder", "model")] {
            let folder = model.appendingPathComponent(component)
            let plain = folder.appendingPathComponent("\(file).safetensors")
            let source = try SafeTensorsFile(contentsOf: plain)
            try SafeTensorsWriter.write(try source.names.map { ($0, try source.tensor($0)) }, dtype: .F16,
                                        to: folder.appendingPathComponent("\(file).fp16.safetensors"))
            try FileManager.default.removeItem(at: plain)
        }
        var images: [RGBImage] = []
        for storage in ["keep", "widen"] {
            let out = scratch.url.appendingPathComponent("\(storage).png").path
            let result = try runDiffuse("image", "a cat", "--model", model.path, "-o", out, "--steps", "2", "--seed", "3",
                                        "--variant", "fp16", "--half-weights", storage)
            #expect(result.status == 0, "\(storage): \(result.stderr)")
            images.append(try PNGReader.read(contentsOf: URL(fileURLWithPath: out)).image)
        }
        #expect(images[0] == images[1], "kept and widened half weights gave different images")
        expectOneLineError(try runDiffuse("image", "a cat", "--model", model.path, "-o", scratch.url.appendingPathComponent("x.png").path),
                           mentioning: ["no weights", "diffusion_pytorch_model.safetensors"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", model.path, "-o", scratch.url.appendingPathComponent("x.png").path,
                                          "--variant", "../fp16"), mentioning: ["--variant", "../fp16"])
    }

    /// `model_index.json`'s `default_steps` and `default_guidance_scale` (as Diffuse's default
    /// models carry them) stand in for `--steps` and `--guidance` when these are not given.
    @Test func modelDefaultsForStepsAndGuidance() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let model = scratch.url.appendingPathComponent("tiny-sd-defaults")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: tinySDPath), to: model)
        let index = model.appendingPathComponent("model_index.json")
        func writeIndex(_ extra: [String: Any]) throws {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tinySDPath).appendingPathComponent("model_index.json"))) as? [String: Any])
            object.merge(extra) { $1 }
            try JSONSerialization.data(withJSONObject: object).write(to: index)
        }
        try writeIndex(["default_steps": 3, "default_guidance_scale": 2.5])
        let out = scratch.url.appendingPathComponent("d.png").path
        var result = try runDiffuse("image", "a cat", "--model", model.path, "-o", out, "--seed", "1", "--width", "16", "--height", "16")
        #expect(result.status == 0, "\(result.stderr)")
        var parameters = try #require(try PNGReader.read(contentsOf: URL(fileURLWithPath: out)).text("parameters"))
        #expect(parameters.contains("Steps: 3, Sampler: DDIM, CFG scale: 2.5,"), "\(parameters)")
        result = try runDiffuse("image", "a cat", "--model", model.path, "-o", out, "--seed", "1", "--width", "16", "--height", "16",
                                "--steps", "1", "--guidance", "4")
        #expect(result.status == 0, "\(result.stderr)")
        parameters = try #require(try PNGReader.read(contentsOf: URL(fileURLWithPath: out)).text("parameters"))
        #expect(parameters.contains("Steps: 1, Sampler: DDIM, CFG scale: 4,"), "\(parameters)")
        try writeIndex(["default_steps": 0])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", model.path, "-o", out),
                           mentioning: ["model_index.json", "default_steps", "at least 1"])
    }

    @Test func badInputIsOneLine() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("x.png").path
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--width", "20"),
                           mentioning: ["--width 20", "multiple of 8"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--height", "0"),
                           mentioning: ["--height 0", "multiple of 8"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--sampler", "nope"),
                           mentioning: ["nope", "euler_ancestral", "dpmpp_2m"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--steps", "0"),
                           mentioning: ["--steps 0", "at least 1"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--strength", "1.5"),
                           mentioning: ["--strength 1.5", "between 0 and 1"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--eta", "2"),
                           mentioning: ["--eta 2", "between 0 and 1"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--guidance-rescale=-1"),
                           mentioning: ["--guidance-rescale -1", "between 0 and 1"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--clip-skip=-1"),
                           mentioning: ["--clip-skip -1", "0 or more"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--seed", "abc"),
                           mentioning: ["seed", "abc"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--sampler", "ddim", "--karras"),
                           mentioning: ["Karras", "dpmpp_2m"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", scratch.url.appendingPathComponent("nothing").path, "-o", out),
                           mentioning: ["nothing", "no such model folder"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out, "--width", "1048576", "--height", "1048576"),
                           mentioning: ["size 1048576x1048576 is invalid", "GiB"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", scratch.url.path), mentioning: ["is a folder"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", "/proc/diffuse-test.png", "--steps", "1"),
                           mentioning: ["cannot write", "/proc"])
        let missingFolder = scratch.url.appendingPathComponent("no/such/folder/x.png").path
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", missingFolder), mentioning: ["x.png", "does not exist"])
        expectOneLineError(try runDiffuse("image", "a cat", "--model", tinySDPath, "-o", out,
                                          "--init-image", scratch.url.appendingPathComponent("none.png").path), mentioning: ["--init-image", "none.png"])
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
