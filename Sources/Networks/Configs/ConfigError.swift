import Foundation

/// A config file that cannot be used: one line naming the file, the field and what is wrong,
/// e.g. `/models/sd/unet/config.json: block_out_channels[1]: -640 must be positive`.
///
/// Validation code throws it without a path; `DiffusersConfig.load(contentsOf:)` and
/// `decode(_:path:)` attach the file.
public struct ConfigError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The config file (empty until the loader attaches it).
    public let path: String
    /// The key (with list indices, e.g. `down_block_types[2]`), or empty for the whole file.
    public let field: String
    /// What is wrong, in one line.
    public let reason: String

    /// An error about `field` of the config at `path`.
    public init(path: String = "", field: String, _ reason: String) {
        self.path = path
        self.field = field
        self.reason = reason.replacingOccurrences(of: "\n", with: " ")
    }

    /// The same error, about the file at `path`.
    public func at(_ path: String) -> ConfigError { ConfigError(path: path, field: field, reason) }

    /// `field: reason` (what follows the path in `description`).
    public var message: String { field.isEmpty ? reason : "\(field): \(reason)" }

    /// `path: field: reason`.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    /// Same as `description`, so `localizedDescription` prints the same line.
    public var errorDescription: String? { description }
}

extension ConfigError {
    /// Turns a `DecodingError` into one line naming the key path (`block_out_channels[1]`).
    init(_ error: DecodingError) {
        func field(_ path: [any CodingKey]) -> String {
            var s = ""
            for key in path {
                if let i = key.intValue { s += "[\(i)]" } else { s += s.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return s
        }
        switch error {
        case let .typeMismatch(type, context):
            self.init(field: field(context.codingPath), "expected \(Self.describe(type))")
        case let .valueNotFound(type, context):
            self.init(field: field(context.codingPath), "is null, expected \(Self.describe(type))")
        case let .keyNotFound(key, context):
            self.init(field: field(context.codingPath + [key]), "is missing")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                self.init(field: "", "not valid JSON")
            } else {
                self.init(field: field(context.codingPath), context.debugDescription)
            }
        @unknown default:
            self.init(field: "", "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is IntOrList.Type: "an integer or a list of integers"
        case is BoolOrList.Type: "true, false or a list of them"
        case is [Int].Type: "a list of integers"
        case is [Double].Type: "a list of numbers"
        case is [String].Type: "a list of strings"
        case is [[Int]].Type: "a list of lists of integers"
        case is [String: Any].Type: "a JSON object"
        default: "\(type)"
        }
    }
}
