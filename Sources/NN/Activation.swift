import Tensors

// Reference: diffusers/models/activations.py, `get_activation` and `ACT2CLS`
// ("swish" and "silu" → nn.SiLU, "mish" → nn.Mish, "gelu" → nn.GELU, "relu" → nn.ReLU).

/// A point-wise activation chosen by name, as diffusers' `get_activation(act_fn)`
/// (`diffusers/models/activations.py`) builds it.
public enum Activation: Sendable, Equatable {
    /// `nn.SiLU` ("silu" or "swish"): `x · sigmoid(x)`.
    case silu
    /// `nn.Mish` ("mish"): `x · tanh(softplus(x))`.
    case mish
    /// `nn.GELU()` ("gelu"): the exact, erf-based GELU.
    case gelu
    /// `nn.ReLU` ("relu").
    case relu

    /// The activation diffusers' `get_activation` returns for `name` (case-insensitive, as the
    /// reference lowercases it). Throws for any other name.
    public init(diffusersName name: String) throws {
        switch name.lowercased() {
        case "silu", "swish": self = .silu
        case "mish": self = .mish
        case "gelu": self = .gelu
        case "relu": self = .relu
        default: throw LayerError("get_activation", "activation function \"\(name)\" not found; expected silu, swish, mish, gelu or relu")
        }
    }

    /// Applies the activation element-wise; the shape is kept.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .silu: x.silu()
        case .mish: x.mish()
        case .gelu: x.gelu()
        case .relu: x.relu()
        }
    }
}
