import Comparison
import Foundation
import Testing

/// `ComparisonMatrix`: the sample matrices parse, cells come out in order with stable names,
/// and every bad field is refused with its JSON path before anything runs.
@Suite struct MatrixTests {
    func matrix(_ json: String) throws -> ComparisonMatrix {
        try ComparisonMatrix(json: Data(json.utf8), source: "m.json")
    }

    /// The error of a bad matrix, as one line.
    func refusal(_ json: String) -> String {
        do {
            _ = try matrix(json)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    let valid = """
        {"modalities": {"image": {"prompts": ["a red circle"]}, "audio": {"models": ["a", "b"], "prompts": ["rain"], "seconds": 2}},
         "samplers": ["dpmpp_2m", {"name": "euler", "karras": true}], "steps": [10, 5], "guidance": [1, 7.5], "seeds": [0]}
        """

    @Test func samplesParse() throws {
        let folder = URL(fileURLWithPath: "samples/compare")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(Set(["quick.json", "full.json", "tiny.json"]).isSubset(of: names), "\(names)")
        for name in names {
            let parsed = try ComparisonMatrix(contentsOf: folder.appendingPathComponent(name))
            #expect(parsed.name + ".json" == name)
            #expect(!parsed.cells().isEmpty)
        }
    }

    @Test func cellsInMatrixOrder() throws {
        let m = try matrix(valid)
        #expect(m.name == "comparison")
        #expect(m.referenceSteps == 10)
        #expect(m.orderedModalities == [.image, .audio])
        let cells = m.cells()
        #expect(cells.count == 1 * 1 * 2 * 2 * 2 * 1 + 2 * 1 * 2 * 2 * 2 * 1)
        #expect(cells[0].id == "image-m0-p0-dpmpp_2m-s10-g1-seed0")
        #expect(cells[1].id == "image-m0-p0-dpmpp_2m-s10-g7.5-seed0")
        #expect(cells[4].id == "image-m0-p0-euler-karras-s10-g1-seed0")
        #expect(cells.last?.id == "audio-m1-p0-euler-karras-s5-g7.5-seed0")
        #expect(Set(cells.map(\.id)).count == cells.count, "cell names are unique")
        #expect(m.modalities[.audio]?.seconds == 2)
        #expect(m.modalities[.image]?.models == [nil], "no models: the default")
    }

    @Test(arguments: [
        (#"{"modalities": {"smell": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.modalities.smell: unknown modality"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["warp"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.samplers[0]: "),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": [{"name": "ddim", "karras": true}], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.samplers[0]: ddim has no Karras"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [4, -3], "guidance": [1], "seeds": [0]}"#,
         "$.steps[1]: -3 is out of range"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [2.5], "guidance": [1], "seeds": [0]}"#,
         "$.steps[0]: 2.5 must be a whole number"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [], "seeds": [0]}"#,
         "$.guidance: is an empty list"),
        (#"{"modalities": {"image": {"prompts": []}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.modalities.image.prompts: is an empty list"),
        (#"{"modalities": {}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.modalities: empty"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1]}"#,
         "$.seeds: missing"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [-1]}"#,
         "$.seeds[0]: -1 is out of range"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler", "k_euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.samplers[1]: \"euler\" repeats $.samplers[0]"),
        (#"{"modalities": {"image": {"prompts": ["x"], "seconds": 3}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.modalities.image.seconds: unknown field"),
        (#"{"modalities": {"image": {"prompts": ["x"], "width": 60}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0]}"#,
         "$.modalities.image.width: 60 must be a multiple of 8"),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1e308, 1], "seeds": [0]}"#,
         "$.guidance[0]: "),
        (#"{"modalities": {"image": {"prompts": ["x"]}}, "samplers": ["euler"], "steps": [1], "guidance": [1], "seeds": [0], "stpes": [3]}"#,
         "$.stpes: unknown field"),
        (#"[1, 2]"#, "$: must be an object"),
        (#"{"modalities": "#, "$: not valid JSON"),
    ])
    func badFieldsNameTheirPath(json: String, expected: String) {
        let message = refusal(json)
        #expect(message.hasPrefix("m.json: " + expected), "\(message)")
        #expect(!message.contains("\n"))
    }
}
