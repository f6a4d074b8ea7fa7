import Foundation

/// A pipeline's `model_index.json`, as diffusers' `DiffusionPipeline.save_pretrained` writes it:
/// `_class_name`, `_diffusers_version`, and one `"name": ["library", "ClassName"]` entry per
/// component (`[null, null]` or `null` for a component the pipeline was saved without, such as
/// a removed safety checker). Other keys (`requires_safety_checker`, …) are options, not
/// components; they are ignored.
public struct ModelIndex: Codable, Sendable, Equatable {
    /// One entry of the index.
    public struct Component: Codable, Sendable, Equatable {
        /// The key, which is also the component's folder name (`"unet"`).
        public var name: String
        /// The library that defines the class (`"diffusers"`, `"transformers"`); nil when absent.
        public var library: String?
        /// The class name (`"UNet2DConditionModel"`); nil for a component saved as None.
        public var className: String?

        /// False for a `[null, null]` entry.
        public var isPresent: Bool { className != nil }

        /// A component entry.
        public init(name: String, library: String?, className: String?) {
            self.name = name
            self.library = library
            self.className = className
        }
    }

    /// `_class_name`: the pipeline class, e.g. `"StableDiffusionPipeline"`.
    public var className: String
    /// `_diffusers_version`: the diffusers release that wrote the file.
    public var diffusersVersion: String?
    /// The components, sorted by name.
    public var components: [Component]

    /// An index with the given entries.
    public init(className: String, diffusersVersion: String?, components: [Component]) {
        self.className = className
        self.diffusersVersion = diffusersVersion
        self.components = components.sorted { $0.name < $1.name }
    }

    /// The component named `name`, if listed.
    public func component(_ name: String) -> Component? { components.first { $0.name == name } }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes `model_index.json`: list-valued keys are components, other keys are skipped.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let classKey = Key(stringValue: "_class_name"), versionKey = Key(stringValue: "_diffusers_version")
        guard c.contains(classKey) else { throw ConfigError(field: "_class_name", "is missing (not a diffusers pipeline index)") }
        let className = try c.decode(String.self, forKey: classKey)
        let version = try c.optional(versionKey, default: nil as String?)
        var components: [Component] = []
        for key in c.allKeys where !key.stringValue.hasPrefix("_") {
            if try c.decodeNil(forKey: key) {
                components.append(Component(name: key.stringValue, library: nil, className: nil))
                continue
            }
            // Options are scalars; a component is a two-element list of strings or nulls.
            guard let pair = try? c.decode([String?].self, forKey: key) else { continue }
            guard pair.count == 2 else {
                throw ConfigError(field: key.stringValue, "has \(pair.count) entries, expected [library, class name]")
            }
            guard (pair[0] == nil) == (pair[1] == nil) else {
                throw ConfigError(field: key.stringValue, "has a null next to a name, expected [library, class name] or [null, null]")
            }
            components.append(Component(name: key.stringValue, library: pair[0], className: pair[1]))
        }
        self.init(className: className, diffusersVersion: version, components: components)
    }

    /// Encodes the index in `model_index.json` form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(className, forKey: Key(stringValue: "_class_name"))
        try c.encodeIfPresent(diffusersVersion, forKey: Key(stringValue: "_diffusers_version"))
        for component in components {
            try c.encode([component.library, component.className], forKey: Key(stringValue: component.name))
        }
    }

    /// Reads and decodes `model_index.json` at `url`; errors are `ConfigError`s naming the file.
    public static func load(contentsOf url: URL) throws -> ModelIndex {
        let data = try readConfigFile(url)
        do {
            do {
                return try JSONDecoder().decode(ModelIndex.self, from: data)
            } catch let error as DecodingError {
                throw ConfigError(error)
            }
        } catch let error as ConfigError {
            throw error.at(url.path)
        }
    }
}
