import Foundation
import MediaIO
import Testing

/// `diffuse compare` on samples/compare/tiny.json (the tiny random fixture models of the three
/// modalities): the report's files, resume without redoing cells, and bad matrices and folders
/// refused before anything runs.
@Suite(.serialized) struct CompareCommandTests {
    let tinyMatrix = "samples/compare/tiny.json"

    @Test func runsTheMatrixThenResumesWithoutRedoingCells() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let report = scratch.url.appendingPathComponent("report").path
        let first = try runDiffuse("compare", tinyMatrix, "-o", report)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("wrote \(report)/index.html (24 cells, 3/3 determinism checks identical"), "\(first.stdout)")
        for name in ["index.html", "results.csv", "results.json", "summary.md", "matrix.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(report)/\(name)"), "\(name)")
        }
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(report)/results.json"))) as? [String: Any])
        let cells = try #require(results["cells"] as? [[String: Any]])
        #expect(cells.count == 24)
        for cell in cells {
            let output = try #require(cell["output"] as? String)
            #expect(FileManager.default.fileExists(atPath: "\(report)/\(output)"), "\(output)")
            #expect((cell["wallSeconds"] as? Double ?? 0) > 0)
            #expect((cell["peakMemoryBytes"] as? Int ?? 0) > 0)
            let steps = try #require(cell["steps"] as? Int)
            let convergence = try #require(cell["convergence"] as? Double)
            #expect(steps == 4 ? convergence == 0 : convergence >= 0, "\(cell["id"] ?? "")")
        }
        // The media are real files of their kind.
        let video = try #require(cells.first { $0["modality"] as? String == "video" }?["output"] as? String)
        #expect(try VideoReader.read(contentsOf: URL(fileURLWithPath: "\(report)/\(video)")).frames.count == 4)
        let audio = try #require(cells.first { $0["modality"] as? String == "audio" }?["output"] as? String)
        #expect(try AudioReader.read(contentsOf: URL(fileURLWithPath: "\(report)/\(audio)")).audio.sampleRate == 16000)

        // Without a flag the folder is refused; with --resume nothing runs again.
        let refused = try runDiffuse("compare", tinyMatrix, "-o", report)
        #expect(refused.status != 0)
        #expect(refused.stderr == "diffuse: error: \(report) already holds a report: pass --resume to continue it or --force to replace it\n")
        let cellFile = "\(report)/cells/image-m0-p0-dpmpp_2m-s4-g1-seed0.png"
        let before = try FileManager.default.attributesOfItem(atPath: cellFile)[.modificationDate] as? Date
        let removed = "\(report)/cells/audio-m0-p0-euler-karras-s2-g3-seed0.json"
        try FileManager.default.removeItem(atPath: removed)
        let resumed = try runDiffuse("compare", tinyMatrix, "-o", report, "--resume", "--skip-determinism")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("cell 24/24 audio-m0-p0-euler-karras-s2-g3-seed0"), "only the removed cell runs: \(resumed.stdout)")
        #expect(resumed.stdout.split(separator: "\n").filter { $0.hasPrefix("cell ") }.count == 1, "\(resumed.stdout)")
        #expect(FileManager.default.fileExists(atPath: removed))
        #expect(try FileManager.default.attributesOfItem(atPath: cellFile)[.modificationDate] as? Date == before)
    }

    @Test func refusesAnUnrelatedReport() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let report = scratch.url.appendingPathComponent("report")
        try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true)
        let other = #"{"name": "other", "modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#
        try Data(other.utf8).write(to: report.appendingPathComponent("matrix.json"))
        let resumed = try runDiffuse("compare", tinyMatrix, "-o", report.path, "--resume")
        #expect(resumed.status != 0)
        #expect(resumed.stderr.hasPrefix("diffuse: error: \(report.path) holds an unrelated report (of matrix \"other\""), "\(resumed.stderr)")
        #expect(resumed.stderr.split(separator: "\n").count == 1)

        let foreign = scratch.url.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: foreign.appendingPathComponent("holiday.jpg"))
        let refused = try runDiffuse("compare", tinyMatrix, "-o", foreign.path)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not empty and holds no report"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign.path) == ["holiday.jpg"])
    }

    @Test func badMatricesAreRefusedBeforeAnythingRuns() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let cases: [(String, String)] = [
            (#"{"modalities": {"image": {"models": ["no-such-model"], "prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
             "$.modalities.image.models[0]: no-such-model: no such model folder; `diffuse models` sees"),
            (#"{"modalities": {"image": {"models": ["Tests/Fixtures/tiny-audioldm"], "prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
             "$.modalities.image.models[0]: Tests/Fixtures/tiny-audioldm is an audio model (AudioLDMPipeline), not an image model"),
            (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [0], "guidance": [1], "seeds": [0]}"#,
             "$.steps[0]: 0 is out of range"),
        ]
        for (index, (json, expected)) in cases.enumerated() {
            let matrix = scratch.url.appendingPathComponent("m\(index).json")
            try Data(json.utf8).write(to: matrix)
            let report = scratch.url.appendingPathComponent("r\(index)").path
            let result = try runDiffuse("compare", matrix.path, "-o", report)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("diffuse: error: \(matrix.path): \(expected)"), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: report), "nothing is written")
        }
        let missing = try runDiffuse("compare", "no/such/matrix.json")
        #expect(missing.status != 0)
        #expect(missing.stderr.hasPrefix("diffuse: error: no/such/matrix.json: cannot read the matrix"), "\(missing.stderr)")
    }
}
