import Foundation
import MediaIO
import Testing

/// `diffuse models` and model lookup by name: the test fixtures' tiny pipelines seen as user
/// models through `$DIFFUSE_MODELS`.
@Suite struct ModelsCommandTests {
    let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures").path

    @Test func listsUserModelsWithTheirModality() throws {
        let result = try runDiffuse(["models"], environment: ["DIFFUSE_MODELS": fixtures])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true, "\(result.stdout)")
        let tinySD = try #require(lines.first { $0.hasPrefix("tiny-sd ") }, "\(result.stdout)")
        #expect(tinySD.contains(" image ") && tinySD.contains(" user "), "\(tinySD)")
        let json = try runDiffuse(["models", "--json"], environment: ["DIFFUSE_MODELS": fixtures])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let entry = try #require(entries.first { $0["name"] as? String == "tiny-sd" })
        #expect(entry["modality"] as? String == "image")
        #expect(entry["pipeline"] as? String == "StableDiffusionPipeline")
        #expect((entry["bytes"] as? Int ?? 0) > 100_000)
    }

    @Test func aModelCanBeNamedInsteadOfAPath() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("named.png").path
        let result = try runDiffuse(["image", "a cat", "--model", "tiny-sd", "-o", out, "--steps", "1", "--seed", "1"],
                                    environment: ["DIFFUSE_MODELS": fixtures])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        let missing = try runDiffuse(["image", "a cat", "--model", "no-such-model", "-o", out],
                                     environment: ["DIFFUSE_MODELS": fixtures])
        #expect(missing.status != 0)
        #expect(missing.stderrLines.count == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("no-such-model: no such model folder; `diffuse models` sees these image models: tiny-sd"),
                "\(missing.stderr)")
    }
}

/// The bundled default image and video models run without `--model` (few steps and frames:
/// this checks the chain loads and writes media, not the models' quality; the model cards
/// report that).
@Suite struct DefaultModelTests {
    @Test func imageWithoutAModel() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("circle.png").path
        let result = try runDiffuse("image", "a red circle on a blue background", "-o", out, "--steps", "2", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        let png = try PNGReader.read(contentsOf: URL(fileURLWithPath: out))
        #expect(png.image.width == 64 && png.image.height == 64)
        #expect(png.text("parameters")?.contains("Model: diffuse-image-64") == true, "\(png.text("parameters") ?? "")")
    }

    @Test func videoWithoutAModel() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("ball.gif").path
        let result = try runDiffuse("video", "a yellow ball moving from left to right", "-o", out, "--frames", "2",
                                    "--steps", "1", "--seed", "1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote \(out) (2 frames"), "\(result.stdout)")
    }
}
