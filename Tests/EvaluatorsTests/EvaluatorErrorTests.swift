import Evaluators
import Foundation
import MediaIO
import Testing

/// Unusable evaluator files and unjudgeable media: one-line errors naming the file and the fault.
@Suite struct EvaluatorErrorTests {
    /// A fresh folder under the system's temporary folder, removed by the caller.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("evaluators-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The error thrown by `body`, as text (fails the test when nothing is thrown).
    static func message(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("no error was thrown", sourceLocation: sourceLocation)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// The fixture's shape classifier with `edit` applied to its JSON object.
    static func editedShapeClassifier(in folder: URL, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let source = EvaluatorFixtures.imageModel.appendingPathComponent("eval/shape_classifier.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
        edit(&object)
        let url = folder.appendingPathComponent("shape_classifier.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    @Test func badShapeClassifierFiles() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("nowhere.json")
        let m1 = Self.message { _ = try ShapeClassifier(contentsOf: missing) }
        #expect(m1.contains(missing.path) && m1.contains("does not exist") && m1.contains("export_eval_classifiers.py"), "\(m1)")

        let garbage = folder.appendingPathComponent("garbage.json")
        try Data("{\"classes\": [".utf8).write(to: garbage)
        let m2 = Self.message { _ = try ShapeClassifier(contentsOf: garbage) }
        #expect(m2.contains(garbage.path) && m2.contains("not valid JSON"), "\(m2)")

        let noCoef = try Self.editedShapeClassifier(in: folder) { $0["coef"] = nil }
        let m3 = Self.message { _ = try ShapeClassifier(contentsOf: noCoef) }
        #expect(m3.contains(noCoef.path) && m3.contains("\"coef\" is missing"), "\(m3)")

        let shortRow = try Self.editedShapeClassifier(in: folder) { object in
            var coef = object["coef"] as! [[Any]]
            coef[2].removeLast()
            object["coef"] = coef
        }
        let m4 = Self.message { _ = try ShapeClassifier(contentsOf: shortRow) }
        #expect(m4.contains("coef[2] has 402 numbers, expected 403"), "\(m4)")

        let fewRows = try Self.editedShapeClassifier(in: folder) { object in
            object["coef"] = Array((object["coef"] as! [[Any]]).prefix(4))
        }
        let m5 = Self.message { _ = try ShapeClassifier(contentsOf: fewRows) }
        #expect(m5.contains("\"coef\" has 4 rows, expected 5"), "\(m5)")

        let textNumber = try Self.editedShapeClassifier(in: folder) { $0["intercept"] = [1, 2, "three", 4, 5] }
        let m6 = Self.message { _ = try ShapeClassifier(contentsOf: textNumber) }
        #expect(m6.contains("intercept[2] must be a finite number"), "\(m6)")

        let badCrop = try Self.editedShapeClassifier(in: folder) { $0["crop"] = 2.5 }
        let m7 = Self.message { _ = try ShapeClassifier(contentsOf: badCrop) }
        #expect(m7.contains("\"crop\" must be a whole number"), "\(m7)")

        #expect(!m1.contains("\n") && m1.hasPrefix("cannot use evaluator file "))
    }

    @Test func badAudioModelFolders() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("eval"), withIntermediateDirectories: true)
        try fm.createDirectory(at: folder.appendingPathComponent("mel"), withIntermediateDirectories: true)
        let source = EvaluatorFixtures.audioModel
        let m1 = Self.message { _ = try AudioJudgeModel(modelFolder: folder) }
        #expect(m1.contains("mel/mel_config.json") && m1.contains("does not exist"), "\(m1)")

        try fm.copyItem(at: source.appendingPathComponent("mel/mel_config.json"),
                        to: folder.appendingPathComponent("mel/mel_config.json"))
        var classifier = try JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("eval/classifier.json"))) as! [String: Any]
        classifier["scale"] = (classifier["scale"] as! [Double]).enumerated().map { $0 == 7 ? 0 : $1 }
        try JSONSerialization.data(withJSONObject: classifier)
            .write(to: folder.appendingPathComponent("eval/classifier.json"))
        let m2 = Self.message { _ = try AudioJudgeModel(modelFolder: folder) }
        #expect(m2.contains("eval/classifier.json") && m2.contains("scale[7] is 0"), "\(m2)")

        classifier["scale"] = Array((classifier["scale"] as! [Double]).prefix(100))
        try JSONSerialization.data(withJSONObject: classifier)
            .write(to: folder.appendingPathComponent("eval/classifier.json"))
        let m3 = Self.message { _ = try AudioJudgeModel(modelFolder: folder) }
        #expect(m3.contains("scale has 100 numbers, expected 324"), "\(m3)")

        try fm.removeItem(at: folder.appendingPathComponent("eval/classifier.json"))
        try fm.copyItem(at: source.appendingPathComponent("eval/classifier.json"),
                        to: folder.appendingPathComponent("eval/classifier.json"))
        try Data("{\"loudness\": 1.0}".utf8).write(to: folder.appendingPathComponent("eval/evaluators.json"))
        let m4 = Self.message { _ = try AudioJudgeModel(modelFolder: folder) }
        #expect(m4.contains("eval/evaluators.json") && m4.contains("\"loudness_threshold_db\" is missing"), "\(m4)")

        try Data("{\"sample_rate\": 16000}".utf8).write(to: folder.appendingPathComponent("mel/mel_config.json"))
        let m5 = Self.message { _ = try AudioJudgeModel(modelFolder: folder) }
        #expect(m5.contains("mel/mel_config.json") && m5.contains("is missing"), "\(m5)")
    }

    @Test func nonFiniteAudioIsRefused() throws {
        let model = try AudioJudgeModel(modelFolder: EvaluatorFixtures.audioModel)
        let audio = try PCMAudio(sampleRate: 16000, channels: 2, samples: [0, 0, 0.1, .nan])
        let m = Self.message { _ = try AudioEvaluator.judge(audio, prompt: "a piano", model: model) }
        #expect(m == "cannot judge: the audio has a non-finite sample at frame 1, channel 1", "\(m)")
    }

    /// The bundled folder is found from the test executable (inside this checkout's .build).
    @Test func bundledModelsFolderIsTheCheckout() {
        #expect(EvaluatorFiles.bundledModelsFolder().standardizedFileURL.path
                == EvaluatorFixtures.repository.appendingPathComponent("Models").standardizedFileURL.path)
    }
}
