import DiffusionCore
import Foundation

/// A comparison matrix (`diffuse compare MATRIX.json`): the same samplers, step counts,
/// guidance scales and seeds, run over the prompts and models of each modality.
///
/// ```json
/// {
///   "name": "quick",
///   "modalities": {
///     "image": { "prompts": ["a red circle on a blue background"] },
///     "audio": { "models": ["diffuse-audio-16k"], "prompts": ["a piano playing a low note"], "seconds": 4 },
///     "video": { "prompts": ["a yellow ball moving from left to right"], "frames": 16 }
///   },
///   "samplers": ["dpmpp_2m", "euler", { "name": "dpmpp_2m", "karras": true }],
///   "steps": [5, 10, 20],
///   "guidance": [1, 5],
///   "seeds": [0, 1]
/// }
/// ```
/// `models` defaults to the modality's default model; `negative_prompt` (top level) to "".
/// Per modality, `width`/`height` (image, video), `seconds` (audio), `frames` and `fps`
/// (video) override the model's defaults. Every field is checked before anything runs; an
/// error names the field by its JSON path (`$.steps[1]`).
public struct ComparisonMatrix: Equatable, Sendable {
    /// What one modality runs.
    public struct ModalityPlan: Equatable, Sendable {
        /// Model names or folders as `diffuse models` resolves them; nil entries mean the default.
        public var models: [String?]
        public var prompts: [String]
        public var width: Int?
        public var height: Int?
        public var seconds: Double?
        public var frames: Int?
        public var fps: Double?
    }

    /// A sampler and whether it uses Karras noise levels.
    public struct SamplerChoice: Equatable, Hashable, Sendable {
        public var name: SamplerName
        public var karras: Bool

        /// `dpmpp_2m` or `dpmpp_2m-karras`, as cell names spell it.
        public var key: String { name.rawValue + (karras ? "-karras" : "") }
    }

    public var name: String
    public var modalities: [Modality: ModalityPlan]
    public var samplers: [SamplerChoice]
    public var steps: [Int]
    public var guidance: [Double]
    public var seeds: [UInt64]
    public var negativePrompt: String

    /// The largest step count: the convergence reference of every cell.
    public var referenceSteps: Int { steps.max() ?? 0 }

    /// The modalities in the fixed order image, audio, video.
    public var orderedModalities: [Modality] { Modality.allCases.filter { modalities[$0] != nil } }

    /// Reads and checks a matrix file; `name` defaults to the file's stem.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MatrixError(url.path, "$", "cannot read the file (\((error as NSError).localizedDescription))")
        }
        try self.init(json: data, source: url.path, defaultName: url.deletingPathExtension().lastPathComponent)
    }

    /// Parses and checks matrix JSON; `source` names it in errors.
    public init(json data: Data, source: String, defaultName: String = "comparison") throws {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw MatrixError(source, "$", "not valid JSON")
        }
        let top = try Field(source, "$", root).object(keys: ["name", "modalities", "samplers", "steps", "guidance", "seeds", "negative_prompt"])
        name = try top.optional("name")?.string() ?? defaultName
        negativePrompt = try top.optional("negative_prompt")?.string(allowEmpty: true) ?? ""

        let plans = try top.required("modalities").object(keys: Modality.allCases.map(\.rawValue), what: "modality")
        guard !plans.members.isEmpty else { throw MatrixError(source, "$.modalities", "empty: name at least one of image, audio, video") }
        var modalities: [Modality: ModalityPlan] = [:]
        for modality in Modality.allCases {
            guard let plan = plans.optional(modality.rawValue) else { continue }
            var keys = ["models", "prompts"]
            switch modality {
            case .image: keys += ["width", "height"]
            case .audio: keys += ["seconds"]
            case .video: keys += ["width", "height", "frames", "fps"]
            }
            let fields = try plan.object(keys: keys)
            let models: [String?] = try fields.optional("models")?.list().map { try $0.string() } ?? [nil]
            let prompts = try fields.required("prompts").list().map { try $0.string(allowEmpty: true) }
            try Self.rejectDuplicates(models.map { $0 ?? "" }, at: fields.path + ".models", source: source)
            try Self.rejectDuplicates(prompts, at: fields.path + ".prompts", source: source)
            modalities[modality] = ModalityPlan(
                models: models, prompts: prompts,
                width: try fields.optional("width")?.integer(in: 8...4096, multipleOf: 8),
                height: try fields.optional("height")?.integer(in: 8...4096, multipleOf: 8),
                seconds: try fields.optional("seconds")?.number(in: 0.01...600),
                frames: try fields.optional("frames")?.integer(in: 1...1000),
                fps: try fields.optional("fps")?.number(in: 0.1...240))
        }
        self.modalities = modalities

        samplers = try top.required("samplers").list().map { field in
            let name: String, karras: Bool
            if case .string = field.value {
                (name, karras) = (try field.string(), false)
            } else {
                let choice = try field.object(keys: ["name", "karras"])
                name = try choice.required("name").string()
                karras = try choice.optional("karras")?.boolean() ?? false
            }
            let sampler: SamplerName
            do { sampler = try SamplerName(parsing: name) } catch { throw MatrixError(source, field.path, "\(error)") }
            if karras, !sampler.supportsKarras {
                let valid = SamplerName.allCases.filter(\.supportsKarras).map(\.rawValue).joined(separator: ", ")
                throw MatrixError(source, field.path, "\(sampler.rawValue) has no Karras noise levels (they exist for \(valid))")
            }
            return SamplerChoice(name: sampler, karras: karras)
        }
        try Self.rejectDuplicates(samplers.map(\.key), at: "$.samplers", source: source)
        steps = try top.required("steps").list().map { try $0.integer(in: 1...1000) }
        try Self.rejectDuplicates(steps.map(String.init), at: "$.steps", source: source)
        guidance = try top.required("guidance").list().map { try $0.number(in: 0...100) }
        try Self.rejectDuplicates(guidance.map { "\($0)" }, at: "$.guidance", source: source)
        seeds = try top.required("seeds").list().map { UInt64(try $0.integer(in: 0...(1 << 53))) }
        try Self.rejectDuplicates(seeds.map(String.init), at: "$.seeds", source: source)
    }

    /// The matrix's cells in run order: modality, model, prompt, sampler, steps, guidance, seed.
    public func cells() -> [CellPlan] {
        var cells: [CellPlan] = []
        for modality in orderedModalities {
            let plan = modalities[modality]!
            for (m, model) in plan.models.enumerated() {
                for (p, prompt) in plan.prompts.enumerated() {
                    for sampler in samplers {
                        for step in steps {
                            for scale in guidance {
                                for seed in seeds {
                                    cells.append(CellPlan(modality: modality, model: model, modelIndex: m, prompt: prompt,
                                                          promptIndex: p, sampler: sampler, steps: step, guidance: scale, seed: seed))
                                }
                            }
                        }
                    }
                }
            }
        }
        return cells
    }

    private static func rejectDuplicates(_ values: [String], at path: String, source: String) throws {
        var seen: [String: Int] = [:]
        for (index, value) in values.enumerated() {
            if let first = seen[value] {
                throw MatrixError(source, "\(path)[\(index)]", "\"\(value)\" repeats \(path)[\(first)]: each cell would run twice")
            }
            seen[value] = index
        }
    }
}

/// One generation of the matrix, before it runs.
public struct CellPlan: Equatable, Sendable {
    public var modality: Modality
    /// The model as the matrix names it, nil for the modality's default.
    public var model: String?
    public var modelIndex: Int
    public var prompt: String
    public var promptIndex: Int
    public var sampler: ComparisonMatrix.SamplerChoice
    public var steps: Int
    public var guidance: Double
    public var seed: UInt64

    /// `image-m0-p0-dpmpp_2m-karras-s10-g7.5-seed0`: unique in its matrix, safe as a file name.
    public var id: String {
        let scale = guidance == guidance.rounded() ? String(Int(guidance)) : "\(guidance)"
        return "\(modality.rawValue)-m\(modelIndex)-p\(promptIndex)-\(sampler.key)-s\(steps)-g\(scale)-seed\(seed)"
    }

    /// The id of the cell this one's convergence is measured against (same everything, the
    /// matrix's largest step count).
    func referenceID(steps reference: Int) -> String {
        var other = self
        other.steps = reference
        return other.id
    }
}

/// A matrix that cannot run: the file, the JSON path of the field and why.
public struct MatrixError: Error, CustomStringConvertible, LocalizedError, Equatable {
    public let file: String
    public let path: String
    public let reason: String

    public init(_ file: String, _ path: String, _ reason: String) {
        self.file = file
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(file): \(path): \(reason)" }
    public var errorDescription: String? { description }
}

/// A JSON value, with booleans and numbers kept apart (JSONSerialization cannot tell `true`
/// from `1` on Linux).
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

/// A JSON value with its path, for checked reading.
struct Field {
    let source: String
    let path: String
    let value: JSONValue

    init(_ source: String, _ path: String, _ value: JSONValue) {
        self.source = source
        self.path = path
        self.value = value
    }

    func fail(_ reason: String) -> MatrixError { MatrixError(source, path, reason) }

    func object(keys: [String], what: String = "field") throws -> Object {
        guard case let .object(dictionary) = value else { throw fail("must be an object") }
        for key in dictionary.keys.sorted() where !keys.contains(key) {
            throw MatrixError(source, "\(path).\(key)", "unknown \(what) (known: \(keys.joined(separator: ", ")))")
        }
        return Object(field: self, members: dictionary)
    }

    func list() throws -> [Field] {
        guard case let .array(array) = value else { throw fail("must be a list") }
        guard !array.isEmpty else { throw fail("is an empty list: give at least one value") }
        return array.enumerated().map { Field(source, "\(path)[\($0.offset)]", $0.element) }
    }

    func string(allowEmpty: Bool = false) throws -> String {
        guard case let .string(text) = value else { throw fail("must be a string") }
        guard allowEmpty || !text.isEmpty else { throw fail("must not be empty") }
        return text
    }

    func boolean() throws -> Bool {
        guard case let .bool(flag) = value else { throw fail("must be true or false") }
        return flag
    }

    func number(in range: ClosedRange<Double>) throws -> Double {
        guard case let .number(x) = value else { throw fail("must be a number") }
        guard x.isFinite, range.contains(x) else { throw fail("\(x) is out of range: it must be between \(range.lowerBound) and \(range.upperBound)") }
        return x
    }

    func integer(in range: ClosedRange<Int>, multipleOf step: Int = 1) throws -> Int {
        guard case let .number(x) = value else { throw fail("must be a whole number") }
        guard x == x.rounded() else { throw fail("\(x) must be a whole number") }
        guard x >= Double(range.lowerBound), x <= Double(range.upperBound) else {
            throw fail("\(x.magnitude < 1e15 ? String(Int(x)) : "\(x)") is out of range: it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        guard Int(x) % step == 0 else { throw fail("\(Int(x)) must be a multiple of \(step)") }
        return Int(x)
    }

    /// A JSON object's members.
    struct Object {
        let field: Field
        let members: [String: JSONValue]

        var path: String { field.path }

        func optional(_ key: String) -> Field? {
            guard let value = members[key] else { return nil }
            if case .null = value { return nil }
            return Field(field.source, "\(field.path).\(key)", value)
        }

        func required(_ key: String) throws -> Field {
            guard let found = optional(key) else { throw MatrixError(field.source, "\(field.path).\(key)", "missing") }
            return found
        }
    }
}
