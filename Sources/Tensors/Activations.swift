import Foundation

// Activation functions. References: torch.nn.functional (silu, gelu, sigmoid, relu,
// leaky_relu, mish), diffusers.models.activations.GEGLU, transformers' CLIP quick_gelu.

/// The two forms of GELU in torch.nn.functional.gelu(approximate:).
public enum GELUApproximation: Sendable {
    /// `approximate='none'`: `x · Φ(x)` with the exact error function.
    case none
    /// `approximate='tanh'`: `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    case tanh
}

@inline(__always) func geluScalar(_ x: Float, _ approximate: GELUApproximation) -> Float {
    switch approximate {
    case .none:
        return 0.5 * x * (1 + libmErf(x * Float(0.5).squareRoot()))
    case .tanh:
        let kBeta: Float = (2 / Float.pi).squareRoot()
        let inner = kBeta * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + libmTanh(inner))
    }
}

// Sigmoid-based activations use the vectorisable `clampedExponential` (VectorMath.swift); beyond
// |x| = 87 it saturates where PyTorch's goes on falling, a difference under 1e-36.
struct Sigmoid: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + clampedExponential(-x)) } }
struct SiLU: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x / (1 + clampedExponential(-x)) } }
struct QuickGELU: ElementFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x / (1 + clampedExponential(-1.702 * x)) }
}
struct GELUExact: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { geluScalar(x, .none) } }
struct GELUTanh: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { geluScalar(x, .tanh) } }
struct ReLU: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x < 0 ? 0 : x } }
struct LeakyReLU: ElementFunction {
    let slope: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
}
struct Mish: ElementFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * libmTanh(libmLog1p(libmExp(x))) }
}

extension Tensor {
    /// torch.sigmoid: `1 / (1 + e^(−x))`.
    public func sigmoid() -> Tensor { applying(Sigmoid()) }

    /// torch.nn.functional.silu (swish): `x · sigmoid(x)`.
    public func silu() -> Tensor { applying(SiLU()) }

    /// torch.nn.functional.gelu(x, approximate='none' | 'tanh').
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        switch approximate {
        case .none: applying(GELUExact())
        case .tanh: applying(GELUTanh())
        }
    }

    /// transformers' `quick_gelu` (CLIP's activation): `x · sigmoid(1.702 x)`.
    public func quickGelu() -> Tensor { applying(QuickGELU()) }

    /// torch.nn.functional.relu: `max(x, 0)`; NaN stays NaN.
    public func relu() -> Tensor { applying(ReLU()) }

    /// torch.nn.functional.leaky_relu(x, negative_slope): `x` if `x > 0`, else `slope · x`.
    /// HiFi-GAN uses a slope of 0.1; PyTorch's default is 0.01.
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor { applying(LeakyReLU(slope: negativeSlope)) }

    /// torch.nn.functional.mish: `x · tanh(softplus(x))`, evaluated as PyTorch's CPU kernel
    /// does, `x · tanh(log1p(exp(x)))`.
    public func mish() -> Tensor { applying(Mish()) }

    /// The gating of diffusers' `GEGLU` after its projection: the last dimension is split in
    /// halves `hidden, gate = x.chunk(2, dim=-1)` and the result is `hidden · gelu(gate)`.
    /// [..., 2D] → [..., D].
    public func geglu(approximate: GELUApproximation = .none) -> Tensor {
        precondition(rank >= 1 && shape[rank - 1] % 2 == 0,
                     "geglu: last dimension of \(shape) must be even")
        let twice = shape[rank - 1], half = twice / 2
        let rows = count / Swift.max(twice, 1)
        return Tensor(shape: Array(shape.dropLast()) + [half]) { out in
            guard out.count > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress!, po = out.baseAddress!
                Parallel.forEachChunk(rows, minimumPerThread: Swift.max(1, 8_192 / Swift.max(half, 1))) { range in
                    for r in range {
                        let hidden = ps + r &* twice, gate = hidden + half, o = po + r &* half
                        switch approximate {
                        case .none: for j in 0..<half { o[j] = hidden[j] * geluScalar(gate[j], .none) }
                        case .tanh: for j in 0..<half { o[j] = hidden[j] * geluScalar(gate[j], .tanh) }
                        }
                    }
                }
            }
        }
    }
}
