import Foundation

/// A component config read from a diffusers (or transformers) `config.json`: decoded with
/// `Codable`, then validated before any weight is allocated.
///
/// Conforming types mirror one reference class and name it in their documentation. Keys absent
/// from the file take the reference `__init__` defaults; unknown keys are ignored.
public protocol DiffusersConfig: Codable, Sendable {
    /// The file name inside a component folder (`config.json`, or `scheduler_config.json`).
    static var fileName: String { get }

    /// Checks sizes, list lengths, divisibility and names. Throws a `ConfigError` naming the field.
    func validate() throws

    /// The number of weights a model built from this config holds, counted with overflow
    /// checks (exact for the block types Diffuse supports). Validates first.
    func estimatedParameterCount() throws -> Int
}

extension DiffusersConfig {
    /// `config.json`.
    public static var fileName: String { "config.json" }

    /// Decodes and validates a config; `path` names the file in errors. Throws `ConfigError`
    /// if the JSON does not decode, a field is invalid, or the model would need more memory
    /// (its parameters as Float32) than `memoryLimit` bytes.
    public static func decode(_ data: Data, path: String,
                              memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) throws -> Self {
        do {
            let config: Self
            do {
                config = try pythonJSONDecoder().decode(Self.self, from: quotingPythonNonFiniteLiterals(data))
            } catch let error as DecodingError {
                throw ConfigError(error)
            }
            try config.validate()
            try checkMemory(parameters: config.estimatedParameterCount(), limit: memoryLimit)
            return config
        } catch let error as ConfigError {
            throw error.at(path)
        }
    }

    /// Reads, decodes and validates the config file at `url` (see `decode(_:path:memoryLimit:)`).
    public static func load(contentsOf url: URL,
                            memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) throws -> Self {
        try decode(readConfigFile(url), path: url.path, memoryLimit: memoryLimit)
    }
}

/// Reads a JSON file for decoding, with a one-line `ConfigError` when it cannot be read.
func readConfigFile(_ url: URL) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw ConfigError(path: url.path, field: "", "no such file")
    }
    guard !isDirectory.boolValue else { throw ConfigError(path: url.path, field: "", "is a folder, not a file") }
    do {
        return try Data(contentsOf: url)
    } catch {
        throw ConfigError(path: url.path, field: "", "cannot read the file (\(error.localizedDescription))")
    }
}

/// Throws when `parameters` Float32 weights would not fit in `limit` bytes of memory.
func checkMemory(parameters: Int, limit: UInt64) throws {
    let (bytes, overflow) = parameters.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
    guard overflow || UInt64(bytes) > limit else { return }
    let size = overflow ? "more than 9 EB" : formatBytes(UInt64(bytes))
    throw ConfigError(field: "model size", "the sizes give about \(grouped(parameters)) parameters (\(size) as Float32), more than this machine's \(formatBytes(limit)) of memory")
}

/// `859,520,964`-style counts for messages.
func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// `1.5 GiB`-style byte counts for messages.
func formatBytes(_ bytes: UInt64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) bytes" : "\(String(format: "%.1f", value)) \(units[unit])"
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent (a JSON null is an error).
    func value<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws -> T {
        contains(key) ? try decodeValue(key) : fallback()
    }

    /// The value at `key`; `fallback` when the key is absent, nil when it is JSON null.
    func optional<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T? = nil) throws -> T? {
        guard contains(key) else { return fallback() }
        return try decodeNil(forKey: key) ? nil : decodeValue(key)
    }

    /// `decode(_:forKey:)`, naming the key when a number does not fit the type: Foundation's
    /// decoder throws a private error for `320.5` read as an `Int`, which it later reports as
    /// invalid JSON without a coding path.
    private func decodeValue<T: Decodable>(_ key: Key) throws -> T {
        do {
            return try decode(T.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath + [key], debugDescription: "\(error)"))
        }
    }
}
