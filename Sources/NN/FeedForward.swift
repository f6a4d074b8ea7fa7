import SafeTensors
import Tensors

// Reference: diffusers/models/attention.py `FeedForward` and diffusers/models/activations.py
// (`GEGLU`, `GELU`, `ApproximateGELU`).

/// diffusers' `FeedForward` (`diffusers/models/attention.py`): `net.0` an activation module
/// with its own projection (`net.0.proj`), `net.1` dropout, `net.2` Linear(inner, dim_out).
public struct FeedForward: Sendable {
    /// The `activation_fn` names of `FeedForward` this engine builds.
    public enum ActivationFunction: String, Sendable, CaseIterable {
        /// `GEGLU`: proj to 2·inner, `hidden · gelu(gate)` (Stable Diffusion's transformers).
        case geglu
        /// `GELU(approximate="none")`: proj to inner, then exact GELU.
        case gelu
        /// `GELU(approximate="tanh")`.
        case geluApproximate = "gelu-approximate"
        /// `ApproximateGELU`: proj to inner, then `x · sigmoid(1.702 x)`.
        case gegluApproximate = "geglu-approximate"

        /// The value for a diffusers `activation_fn` string; throws for names not built here.
        public init(diffusersName name: String) throws {
            guard let value = Self(rawValue: name) else {
                throw LayerError("FeedForward", "activation_fn \"\(name)\" is not one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self = value
        }
    }

    /// `activation_fn`.
    public let activation: ActivationFunction
    /// `net.0.proj` [dim → inner (2·inner for GEGLU)].
    public let proj: Linear
    /// `net.2` [inner → dim_out].
    public let out: Linear

    /// Reads `net.0.proj` and `net.2` from `w`, as `FeedForward(dim, dim_out, mult, activation_fn,
    /// inner_dim, bias)`; `inner_dim` defaults to `dim · mult`, `dim_out` to `dim`.
    public init(_ w: WeightScope, dim: Int, dimOut: Int? = nil, mult: Int = 4, activation: ActivationFunction = .geglu,
                innerDim: Int? = nil, bias: Bool = true) throws {
        let inner = innerDim ?? dim * mult
        try LayerError.checkPositive("FeedForward", ["dim": dim, "inner_dim": inner, "dim_out": dimOut ?? dim])
        self.activation = activation
        proj = try Linear(w["net"][0]["proj"], in: dim, out: activation == .geglu ? 2 * inner : inner, bias: bias)
        out = try Linear(w["net"][2], in: inner, out: dimOut ?? dim, bias: bias)
    }

    /// [..., dim] → [..., dim_out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let projected = proj(x)                                           // [..., inner or 2·inner]
        let hidden: Tensor                                                // [..., inner]
        switch activation {
        case .geglu: hidden = projected.geglu()
        case .gelu: hidden = projected.gelu()
        case .geluApproximate: hidden = projected.gelu(approximate: .tanh)
        case .gegluApproximate: hidden = projected.quickGelu()
        }
        return out(hidden)
    }
}
