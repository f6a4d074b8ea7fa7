import Foundation

/// What produced a piece of media, written into every output file: PNG text chunks
/// (`PNGWriter`), WAV INFO / FLAC and Ogg Vorbis comments (`AudioWriter`).
public struct GenerationMetadata: Sendable, Equatable {
    /// A `key: value` pair appended to the A1111 parameters line (e.g. `Schedule type: Karras`).
    public struct Parameter: Sendable, Equatable {
        /// The key as A1111 spells such keys (`Denoising strength`).
        public var key: String
        /// The value; quoted in the parameters line when it holds `,`, `:` or a newline.
        public var value: String
        /// A `key: value` pair.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The prompt.
    public var prompt: String
    /// The negative prompt (empty: none).
    public var negativePrompt: String
    /// The model's name (folder name or repository id; never a secret path).
    public var model: String
    /// The sampler's display name (e.g. `Euler a`, `DPM++ 2M`).
    public var sampler: String
    /// Sampling steps.
    public var steps: Int
    /// Classifier-free guidance scale.
    public var guidance: Double
    /// The noise seed.
    public var seed: UInt64
    /// Image or video width in pixels.
    public var width: Int?
    /// Image or video height in pixels.
    public var height: Int?
    /// Audio or video length in seconds.
    public var duration: Double?
    /// Video frame count.
    public var frames: Int?
    /// Video frames per second.
    public var frameRate: Double?
    /// The engine's version, e.g. `0.1.0` (written as `Diffuse 0.1.0`).
    public var engineVersion: String
    /// The whole request as JSON text (any JSON value; `{}` when the caller has none).
    public var requestJSON: String
    /// Extra pairs for the parameters line, in order, before `Version`.
    public var additionalParameters: [Parameter]
    /// When the media was made (audio `SF_STR_DATE`); nil: the time of writing.
    public var created: Date?

    /// Metadata from the request's fields; `requestJSON` is the whole request as JSON text.
    public init(prompt: String, negativePrompt: String = "", model: String, sampler: String,
                steps: Int, guidance: Double, seed: UInt64,
                width: Int? = nil, height: Int? = nil, duration: Double? = nil,
                frames: Int? = nil, frameRate: Double? = nil,
                engineVersion: String, requestJSON: String = "{}",
                additionalParameters: [Parameter] = [], created: Date? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.model = model
        self.sampler = sampler
        self.steps = steps
        self.guidance = guidance
        self.seed = seed
        self.width = width
        self.height = height
        self.duration = duration
        self.frames = frames
        self.frameRate = frameRate
        self.engineVersion = engineVersion
        self.requestJSON = requestJSON
        self.additionalParameters = additionalParameters
        self.created = created
    }

    /// `Diffuse <engineVersion>`: the software string of every container.
    public var software: String { "Diffuse \(engineVersion)" }

    /// The "parameters" text of AUTOMATIC1111's web UI and stable-diffusion.cpp, which image
    /// browsers (A1111's "PNG Info", ComfyUI, Civitai) parse:
    /// ```
    /// a cat
    /// Negative prompt: blurry
    /// Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, Model: sd15, Version: Diffuse 0.1.0
    /// ```
    /// The negative-prompt line is left out when empty; `Size` (`WxH`), `Duration` (`5s`),
    /// `Frames` and `FPS` appear only when set. A value holding `,`, `:` or a newline is
    /// written as a JSON string, as A1111's `quote()` (`modules/infotext_utils.py`) does.
    public var a1111Parameters: String {
        var pairs: [(String, String)] = [
            ("Steps", "\(steps)"), ("Sampler", sampler), ("CFG scale", Self.number(guidance)),
            ("Seed", "\(seed)"),
        ]
        if let width, let height { pairs.append(("Size", "\(width)x\(height)")) }
        if let duration { pairs.append(("Duration", "\(Self.number(duration))s")) }
        if let frames { pairs.append(("Frames", "\(frames)")) }
        if let frameRate { pairs.append(("FPS", Self.number(frameRate))) }
        pairs.append(("Model", model))
        pairs += additionalParameters.map { ($0.key, $0.value) }
        pairs.append(("Version", software))
        var text = prompt + "\n"
        if !negativePrompt.isEmpty { text += "Negative prompt: \(negativePrompt)\n" }
        text += pairs.map { "\($0.0): \(Self.quote($0.1))" }.joined(separator: ", ")
        return text
    }

    /// `{"engine":"Diffuse <version>","request":<requestJSON>}`: the JSON kept in the PNG
    /// `diffuse` iTXt chunk and the audio comment. `requestJSON` is embedded verbatim when it
    /// parses as JSON, and as a JSON string otherwise (so the document is always valid JSON).
    public var json: String {
        let request: String
        if let data = requestJSON.data(using: .utf8),
           (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
            request = requestJSON
        } else {
            request = Self.jsonString(requestJSON)
        }
        return "{\"engine\":\(Self.jsonString(software)),\"request\":\(request)}"
    }

    /// A number as A1111 users read it: `7` for 7.0, `7.5`, shortest round-trip otherwise.
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A1111's `quote()`: the text unchanged unless it holds `,`, `:` or a newline, in which
    /// case it is written as a JSON string (non-ASCII kept, `ensure_ascii=False`).
    static func quote(_ text: String) -> String {
        guard text.contains(",") || text.contains(":") || text.contains("\n") else { return text }
        return jsonString(text)
    }

    /// `text` as a JSON string literal (slashes and non-ASCII unescaped).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
