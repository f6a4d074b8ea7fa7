/// The checks shared by the config validators; each throws a `ConfigError` naming the field.
enum Check {
    /// `value` > 0.
    static func positive(_ value: Int, _ field: String) throws {
        guard value > 0 else { throw ConfigError(field: field, "\(value) must be positive") }
    }

    /// `value` ≥ 0.
    static func nonNegative(_ value: Int, _ field: String) throws {
        guard value >= 0 else { throw ConfigError(field: field, "\(value) must not be negative") }
    }

    /// Every element > 0; a list must not be empty.
    static func positive(_ values: [Int], _ field: String) throws {
        guard !values.isEmpty else { throw ConfigError(field: field, "must not be empty") }
        for (i, value) in values.enumerated() { try positive(value, "\(field)[\(i)]") }
    }

    /// Every element > 0, naming the element for a list and the key for a single value.
    static func positive(_ value: IntOrList, _ field: String) throws {
        switch value {
        case let .int(v): try positive(v, field)
        case let .list(values): try positive(values, field)
        }
    }

    /// A finite `value` > 0.
    static func positive(_ value: Double, _ field: String) throws {
        guard value.isFinite, value > 0 else { throw ConfigError(field: field, "\(value) must be a positive number") }
    }

    /// A per-block list has one element per block.
    static func count(_ actual: Int, _ field: String, matches expected: Int, of other: String) throws {
        guard actual == expected else {
            throw ConfigError(field: field, "has \(actual) entries but \(other) has \(expected)")
        }
    }

    /// A per-block `IntOrList` given as a list has one element per block.
    static func perBlock(_ value: IntOrList, _ field: String, blocks: Int, of other: String) throws {
        if case let .list(values) = value { try count(values.count, field, matches: blocks, of: other) }
    }

    /// `value` is one of `valid` (the error lists them).
    static func oneOf(_ value: String, _ field: String, _ valid: [String]) throws {
        guard valid.contains(value) else {
            throw ConfigError(field: field, "\"\(value)\" is not recognised (valid: \(valid.joined(separator: ", ")))")
        }
    }

    /// An optional name is absent or one of `valid`.
    static func oneOf(_ value: String?, _ field: String, _ valid: [String]) throws {
        guard let value else { return }
        guard valid.contains(value) else {
            throw ConfigError(field: field, "\"\(value)\" is not recognised (valid: null, \(valid.joined(separator: ", ")))")
        }
    }

    /// `channels` splits into `groups` groups (GroupNorm).
    static func divisible(_ channels: Int, _ field: String, byGroups groups: Int, _ groupsField: String) throws {
        guard channels % groups == 0 else {
            throw ConfigError(field: field, "\(channels) channels are not divisible by \(groupsField) \(groups)")
        }
    }

    /// `channels` splits into `heads` attention heads.
    static func divisible(_ channels: Int, _ field: String, byHeads heads: Int, _ headsField: String) throws {
        guard channels % heads == 0 else {
            throw ConfigError(field: field, "\(channels) channels do not split into \(headsField) \(heads) heads")
        }
    }
}

/// The activation names diffusers' `get_activation` accepts (`act_fn`).
let diffusersActivations = ["silu", "swish", "mish", "gelu", "relu"]
