import Foundation
import Networks

/// The options of a pipeline folder's `model_index.json` that are not components: the prompt
/// length of a BERT text encoder and the settings a request gets when it names none. Diffuse's
/// default models carry them (diffusers ignores keys it does not know), e.g.
/// `"default_steps": 20, "default_guidance_scale": 3.0`: a model trained with its own schedule
/// knows which guidance follows its prompts best.
public struct PipelineIndexOptions: Decodable, Sendable, Equatable {
    /// `_class_name`.
    public var className: String
    /// The BERT prompt length.
    public var textMaxLength: Int?
    /// Steps when the request gives none.
    public var defaultSteps: Int?
    /// Guidance scale when the request gives none.
    public var defaultGuidanceScale: Double?

    enum CodingKeys: String, CodingKey {
        case className = "_class_name", textMaxLength = "text_max_length", defaultSteps = "default_steps"
        case defaultGuidanceScale = "default_guidance_scale"
    }

    /// Reads `folder/model_index.json`; throws `ConfigError` naming the file and the field
    /// (default steps below 1, a guidance scale that is not finite).
    public static func load(folder: URL) throws -> PipelineIndexOptions {
        let url = folder.appendingPathComponent("model_index.json")
        let options = try decodeJSON(PipelineIndexOptions.self, url)
        if let steps = options.defaultSteps, steps < 1 {
            throw ConfigError(path: url.path, field: "default_steps", "must be at least 1")
        }
        if let scale = options.defaultGuidanceScale, !scale.isFinite {
            throw ConfigError(path: url.path, field: "default_guidance_scale", "must be finite")
        }
        return options
    }
}

/// Decodes the JSON file `url` as `T`; throws `ConfigError` naming the file.
public func decodeJSON<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ConfigError(path: url.path, field: "", "cannot be read (\(error.localizedDescription))")
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch let DecodingError.keyNotFound(key, _) {
        throw ConfigError(path: url.path, field: key.stringValue, "is missing")
    } catch let DecodingError.typeMismatch(_, context) {
        throw ConfigError(path: url.path, field: context.codingPath.map(\.stringValue).joined(separator: "."), "has the wrong type")
    } catch {
        throw ConfigError(path: url.path, field: "", "is not valid JSON for \(T.self)")
    }
}

extension PipelineIndexOptions {
    /// The steps and guidance scale of a request: what it gives, else the model's defaults,
    /// else `fallback` (the pipeline class's usual values).
    public func settings(steps: Int?, guidance: Double?, fallback: (steps: Int, guidance: Double))
        -> (steps: Int, guidance: Double) {
        (steps ?? defaultSteps ?? fallback.steps, guidance ?? defaultGuidanceScale ?? fallback.guidance)
    }
}
