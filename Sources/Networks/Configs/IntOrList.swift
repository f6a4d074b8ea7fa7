/// A config value that is either one integer for every block or one per block, like
/// diffusers' `Union[int, Tuple[int]]` fields (`attention_head_dim`, `cross_attention_dim`,
/// `layers_per_block`, `transformer_layers_per_block`, `sample_size`).
public enum IntOrList: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The same value for every block.
    case int(Int)
    /// One value per block.
    case list([Int])

    /// Decodes an integer or a list of integers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let values = try? container.decode([Int].self) {
            self = .list(values)
        } else {
            throw DecodingError.typeMismatch(IntOrList.self, .init(codingPath: decoder.codingPath,
                debugDescription: "expected an integer or a list of integers"))
        }
    }

    /// Encodes the value as it was written: a scalar or a list.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .int(value): try container.encode(value)
        case let .list(values): try container.encode(values)
        }
    }

    /// One value per block: the integer repeated `count` times, or the list as it is.
    public func perBlock(_ count: Int) -> [Int] {
        switch self {
        case let .int(value): [Int](repeating: value, count: max(count, 0))
        case let .list(values): values
        }
    }

    /// Every value (one for `.int`).
    public var values: [Int] {
        switch self {
        case let .int(value): [value]
        case let .list(values): values
        }
    }

    /// `8` or `[5, 10, 20, 20]`.
    public var description: String {
        switch self {
        case let .int(value): "\(value)"
        case let .list(values): "[\(values.map(String.init).joined(separator: ", "))]"
        }
    }
}

/// A flag that is either one Bool for every block or one per block (diffusers'
/// `Union[bool, Tuple[bool]]`, e.g. `only_cross_attention`).
public enum BoolOrList: Codable, Sendable, Equatable {
    /// The same flag for every block.
    case bool(Bool)
    /// One flag per block.
    case list([Bool])

    /// Decodes a flag or a list of flags.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let values = try? container.decode([Bool].self) {
            self = .list(values)
        } else {
            throw DecodingError.typeMismatch(BoolOrList.self, .init(codingPath: decoder.codingPath,
                debugDescription: "expected true, false or a list of them"))
        }
    }

    /// Encodes the value as it was written: a scalar or a list.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .bool(value): try container.encode(value)
        case let .list(values): try container.encode(values)
        }
    }

    /// One flag per block: the flag repeated `count` times, or the list as it is.
    public func perBlock(_ count: Int) -> [Bool] {
        switch self {
        case let .bool(value): [Bool](repeating: value, count: max(count, 0))
        case let .list(values): values
        }
    }
}
