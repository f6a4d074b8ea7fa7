import Foundation
import PipelineComponents

/// Where the evaluators find their files: the default models' `eval/` folders
/// (`Models/diffuse-image-64/eval/shape_classifier.json`, `Models/diffuse-audio-16k/eval/classifier.json`
/// and `evaluators.json`, and that model's `mel/mel_config.json`).
public enum EvaluatorFiles {
    /// The default image model, whose `eval/shape_classifier.json` the image judge uses.
    public static let imageModelName = "diffuse-image-64"
    /// The default audio model, whose `eval/` and `mel/` files the audio judge uses.
    public static let audioModelName = "diffuse-audio-16k"

    /// The bundled `Models/` folder (`BundledModels.folder()`, as the CLI's `ModelStore` finds it).
    public static func bundledModelsFolder() -> URL { BundledModels.folder() }

    /// `Models/diffuse-image-64` of the bundled folder.
    public static func bundledImageModel() -> URL {
        bundledModelsFolder().appendingPathComponent(imageModelName)
    }

    /// `Models/diffuse-audio-16k` of the bundled folder.
    public static func bundledAudioModel() -> URL {
        bundledModelsFolder().appendingPathComponent(audioModelName)
    }
}

/// A JSON object read from an evaluator file, with typed look-ups whose errors name the file and
/// the key (`coef[2] has 402 numbers, expected 403`).
struct EvaluatorJSON {
    let path: String
    private let object: [String: Any]

    /// Reads and parses `url`; `hint` is added to the error when the file does not exist.
    init(contentsOf url: URL, hint: String = "") throws {
        path = url.path
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EvaluatorError(path: path, "the file does not exist" + (hint.isEmpty ? "" : " (\(hint))"))
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvaluatorError(path: path, "cannot be read (\(error.localizedDescription))")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw EvaluatorError(path: path, "is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw EvaluatorError(path: path, "must hold a JSON object")
        }
        self.object = object
    }

    private func value(_ key: String) throws -> Any {
        guard let value = object[key] else { throw EvaluatorError(path: path, "key \"\(key)\" is missing") }
        return value
    }

    /// A finite number.
    func number(_ key: String) throws -> Double {
        guard let n = try value(key) as? NSNumber, n.doubleValue.isFinite else {
            throw EvaluatorError(path: path, "\"\(key)\" must be a finite number")
        }
        return n.doubleValue
    }

    /// A non-empty list of distinct strings.
    func strings(_ key: String) throws -> [String] {
        guard let list = try value(key) as? [Any], !list.isEmpty else {
            throw EvaluatorError(path: path, "\"\(key)\" must be a non-empty list of names")
        }
        let names = try list.enumerated().map { i, item -> String in
            guard let s = item as? String, !s.isEmpty else {
                throw EvaluatorError(path: path, "\(key)[\(i)] must be a non-empty string")
            }
            return s
        }
        guard Set(names).count == names.count else {
            throw EvaluatorError(path: path, "\"\(key)\" lists a name twice")
        }
        return names
    }

    /// A list of exactly `count` finite numbers.
    func numbers(_ key: String, count: Int) throws -> [Double] {
        try numberList(try value(key), name: key, count: count)
    }

    /// A `rows` × `columns` list of lists of finite numbers, flattened row-major.
    func matrix(_ key: String, rows: Int, columns: Int) throws -> [Double] {
        guard let list = try value(key) as? [Any] else {
            throw EvaluatorError(path: path, "\"\(key)\" must be a list of \(rows) lists of numbers")
        }
        guard list.count == rows else {
            throw EvaluatorError(path: path, "\"\(key)\" has \(list.count) rows, expected \(rows)")
        }
        var out: [Double] = []
        out.reserveCapacity(rows * columns)
        for (i, row) in list.enumerated() {
            out += try numberList(row, name: "\(key)[\(i)]", count: columns)
        }
        return out
    }

    private func numberList(_ value: Any, name: String, count: Int) throws -> [Double] {
        guard let list = value as? [Any] else {
            throw EvaluatorError(path: path, "\"\(name)\" must be a list of \(count) numbers")
        }
        guard list.count == count else {
            throw EvaluatorError(path: path, "\(name) has \(list.count) numbers, expected \(count)")
        }
        return try list.enumerated().map { i, item in
            guard let n = item as? NSNumber, n.doubleValue.isFinite else {
                throw EvaluatorError(path: path, "\(name)[\(i)] must be a finite number")
            }
            return n.doubleValue
        }
    }
}
