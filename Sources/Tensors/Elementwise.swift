import Foundation

// Element-wise arithmetic with NumPy/PyTorch broadcasting, and unary maps.
// Reference: https://pytorch.org/docs/stable/notes/broadcasting.html

// MARK: - Broadcasting

extension Tensor {
    /// The shape `a` and `b` broadcast to, as `torch.broadcast_shapes`: dimensions are aligned
    /// from the right and each pair must be equal or contain a 1.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "broadcast: shapes \(a) and \(b) differ at dimension \(i) (\(da) vs \(db))")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// This tensor materialised at `shape` under broadcasting rules, as `torch.Tensor.expand`
    /// followed by `.contiguous()`.
    public func expanded(to shape: [Int]) -> Tensor {
        precondition(Tensor.broadcastShape(self.shape, shape) == shape,
                     "expand: shape \(self.shape) cannot be expanded to \(shape)")
        if self.shape == shape { return self }
        let plan = BroadcastPlan(output: shape, a: self.shape, b: [])
        return Tensor(shape: shape) { out in
            guard out.count > 0 else { return }
            var unused: Float = 0
            scalars.withUnsafeBufferPointer { pa in
                plan.run(pa.baseAddress!, &unused, out.baseAddress!, FirstOperandOperator.self)
            }
        }
    }
}

/// A collapsed description of one broadcast element-wise loop: the output's dimensions, with
/// the strides (0 where broadcast) each operand uses along them. Adjacent dimensions that are
/// contiguous for both operands are merged, so `[N,C,H,W] + [1,C,1,1]` becomes three loops
/// and `[B,L,C] + [C]` two, with the innermost one a plain vector loop.
@usableFromInline
struct BroadcastPlan {
    var sizes: [Int] = []
    var strideA: [Int] = []
    var strideB: [Int] = []

    init(output: [Int], a: [Int], b: [Int]) {
        let r = output.count
        func paddedStrides(_ s: [Int]) -> [Int] {
            var strides = [Int](repeating: 0, count: r)
            var acc = 1
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                if s[i] != 1 { strides[i + r - s.count] = acc }
                acc *= s[i]
            }
            return strides
        }
        let sa = paddedStrides(a), sb = paddedStrides(b)
        for i in 0..<r where output[i] != 1 {
            if let last = sizes.indices.last,
               strideA[last] == sa[i] * output[i], strideB[last] == sb[i] * output[i] {
                sizes[last] *= output[i]
                strideA[last] = sa[i]
                strideB[last] = sb[i]
            } else {
                sizes.append(output[i])
                strideA.append(sa[i])
                strideB.append(sb[i])
            }
        }
        if sizes.isEmpty { sizes = [1]; strideA = [0]; strideB = [0] }
    }

    /// Runs `out[i] = Op(a[ia], b[ib])` over the plan; `out` may alias `a` when `a` has the
    /// output's shape (in-place update).
    @inline(__always)
    func run<Op: BinaryOperator>(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 _ out: UnsafeMutablePointer<Float>, _: Op.Type) {
        let depth = sizes.count - 1
        let n = sizes[depth], ia = strideA[depth], ib = strideB[depth]
        let rows = Tensor.elementCount(Array(sizes[..<depth]))
        // Tasks are (row, column block) pairs, so a few long rows still spread over the cores.
        let block = rows >= 4 &* Parallel.threadCount ? n : Swift.max(4096, (n + 7) / 8)
        let blocks = (n + block - 1) / block
        Parallel.forEachChunk(rows &* blocks, minimumPerThread: Swift.max(1, 32_768 / Swift.min(n, block))) { range in
            // Odometer over the outer dimensions, started at the chunk's first row.
            var index = [Int](repeating: 0, count: depth)
            var rest = range.lowerBound / blocks
            var offA = 0, offB = 0
            for d in stride(from: depth - 1, through: 0, by: -1) {
                index[d] = rest % sizes[d]
                rest /= sizes[d]
                offA &+= index[d] &* strideA[d]
                offB &+= index[d] &* strideB[d]
            }
            for task in range {
                let row = task / blocks, column = (task % blocks) &* block
                let width = Swift.min(block, n - column)
                let pa = a + (offA &+ column &* ia), pb = b + (offB &+ column &* ib)
                let po = out + (row &* n &+ column)
                switch (ia, ib) {
                case (1, 1): for j in 0..<width { po[j] = Op.apply(pa[j], pb[j]) }
                case (1, 0): let s = pb[0]; for j in 0..<width { po[j] = Op.apply(pa[j], s) }
                case (0, 1): let s = pa[0]; for j in 0..<width { po[j] = Op.apply(s, pb[j]) }
                default: for j in 0..<width { po[j] = Op.apply(pa[j &* ia], pb[j &* ib]) }
                }
                guard column &+ width == n else { continue }
                var d = depth - 1
                while d >= 0 {
                    index[d] &+= 1
                    offA &+= strideA[d]
                    offB &+= strideB[d]
                    if index[d] < sizes[d] { break }
                    offA &-= strideA[d] &* sizes[d]
                    offB &-= strideB[d] &* sizes[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }
}

/// A binary scalar operator, specialised into the element-wise loops at compile time.
@usableFromInline
protocol BinaryOperator {
    static func apply(_ a: Float, _ b: Float) -> Float
}
@usableFromInline enum FirstOperandOperator: BinaryOperator {
    @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a }
}
@usableFromInline enum AddOperator: BinaryOperator {
    @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}
@usableFromInline enum SubtractOperator: BinaryOperator {
    @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}
@usableFromInline enum MultiplyOperator: BinaryOperator {
    @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}
@usableFromInline enum DivideOperator: BinaryOperator {
    @inline(__always) @usableFromInline static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}

@inline(__always)
func broadcastBinary<Op: BinaryOperator>(_ a: Tensor, _ b: Tensor, _ op: Op.Type) -> Tensor {
    if a.shape == b.shape {
        return Tensor(shape: a.shape) { out in
            guard out.count > 0 else { return }
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    let pa = pa.baseAddress!, pb = pb.baseAddress!, po = out.baseAddress!
                    Parallel.forEachChunk(out.count, minimumPerThread: 32_768) { range in
                        for i in range { po[i] = Op.apply(pa[i], pb[i]) }
                    }
                }
            }
        }
    }
    let shape = Tensor.broadcastShape(a.shape, b.shape)
    let plan = BroadcastPlan(output: shape, a: a.shape, b: b.shape)
    return Tensor(shape: shape) { out in
        guard out.count > 0 else { return }
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                plan.run(pa.baseAddress!, pb.baseAddress!, out.baseAddress!, op)
            }
        }
    }
}

@inline(__always)
func broadcastInPlace<Op: BinaryOperator>(_ a: inout Tensor, _ b: Tensor, _ op: Op.Type) {
    precondition(Tensor.broadcastShape(a.shape, b.shape) == a.shape,
                 "in-place op: shape \(b.shape) does not broadcast to \(a.shape)")
    guard a.count > 0 else { return }
    let plan = BroadcastPlan(output: a.shape, a: a.shape, b: b.shape)
    b.scalars.withUnsafeBufferPointer { pb in
        a.scalars.withUnsafeMutableBufferPointer { pa in
            plan.run(UnsafePointer(pa.baseAddress!), pb.baseAddress!, pa.baseAddress!, op)
        }
    }
}

// MARK: - Arithmetic operators

extension Tensor {
    /// `a + b` with broadcasting (torch.add).
    public static func + (a: Tensor, b: Tensor) -> Tensor { broadcastBinary(a, b, AddOperator.self) }
    /// `a - b` with broadcasting (torch.sub).
    public static func - (a: Tensor, b: Tensor) -> Tensor { broadcastBinary(a, b, SubtractOperator.self) }
    /// `a * b` with broadcasting (torch.mul).
    public static func * (a: Tensor, b: Tensor) -> Tensor { broadcastBinary(a, b, MultiplyOperator.self) }
    /// `a / b` with broadcasting (torch.div, true division).
    public static func / (a: Tensor, b: Tensor) -> Tensor { broadcastBinary(a, b, DivideOperator.self) }

    /// In-place `a += b`; `b` must broadcast to `a`'s shape (torch.Tensor.add_).
    public static func += (a: inout Tensor, b: Tensor) { broadcastInPlace(&a, b, AddOperator.self) }
    /// In-place `a -= b`; `b` must broadcast to `a`'s shape (torch.Tensor.sub_).
    public static func -= (a: inout Tensor, b: Tensor) { broadcastInPlace(&a, b, SubtractOperator.self) }
    /// In-place `a *= b`; `b` must broadcast to `a`'s shape (torch.Tensor.mul_).
    public static func *= (a: inout Tensor, b: Tensor) { broadcastInPlace(&a, b, MultiplyOperator.self) }
    /// In-place `a /= b`; `b` must broadcast to `a`'s shape (torch.Tensor.div_).
    public static func /= (a: inout Tensor, b: Tensor) { broadcastInPlace(&a, b, DivideOperator.self) }

    /// `a + s` (torch.add with a Python scalar).
    public static func + (a: Tensor, s: Float) -> Tensor { a.applying(ScalarRight<AddOperator>(s)) }
    /// `s + a` (torch.add with a Python scalar).
    public static func + (s: Float, a: Tensor) -> Tensor { a.applying(ScalarLeft<AddOperator>(s)) }
    /// `a - s` (torch.sub with a Python scalar).
    public static func - (a: Tensor, s: Float) -> Tensor { a.applying(ScalarRight<SubtractOperator>(s)) }
    /// `s - a` (torch.rsub).
    public static func - (s: Float, a: Tensor) -> Tensor { a.applying(ScalarLeft<SubtractOperator>(s)) }
    /// `a * s` (torch.mul with a Python scalar).
    public static func * (a: Tensor, s: Float) -> Tensor { a.applying(ScalarRight<MultiplyOperator>(s)) }
    /// `s * a` (torch.mul with a Python scalar).
    public static func * (s: Float, a: Tensor) -> Tensor { a.applying(ScalarLeft<MultiplyOperator>(s)) }
    /// `a / s` (torch.div with a Python scalar).
    public static func / (a: Tensor, s: Float) -> Tensor { a.applying(ScalarRight<DivideOperator>(s)) }
    /// `s / a` (torch.div with a scalar numerator).
    public static func / (s: Float, a: Tensor) -> Tensor { a.applying(ScalarLeft<DivideOperator>(s)) }

    /// In-place `a += s` (torch.Tensor.add_).
    public static func += (a: inout Tensor, s: Float) { a.applyInPlace(ScalarRight<AddOperator>(s)) }
    /// In-place `a -= s` (torch.Tensor.sub_).
    public static func -= (a: inout Tensor, s: Float) { a.applyInPlace(ScalarRight<SubtractOperator>(s)) }
    /// In-place `a *= s` (torch.Tensor.mul_).
    public static func *= (a: inout Tensor, s: Float) { a.applyInPlace(ScalarRight<MultiplyOperator>(s)) }
    /// In-place `a /= s` (torch.Tensor.div_).
    public static func /= (a: inout Tensor, s: Float) { a.applyInPlace(ScalarRight<DivideOperator>(s)) }

    /// `-a` (torch.neg).
    public static prefix func - (a: Tensor) -> Tensor { a.applying(Negate()) }
}

// MARK: - Unary maps

/// A scalar function applied element-wise. Kernels are generic over a concrete conforming type,
/// so the function is inlined into the loop and vectorised where it is branch-free.
@usableFromInline
protocol ElementFunction {
    func callAsFunction(_ x: Float) -> Float
}

/// Wraps a closure; the loop then makes one indirect call per element (not vectorised).
struct ClosureFunction: ElementFunction {
    let f: (Float) -> Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x) }
}
struct ScalarRight<Op: BinaryOperator>: ElementFunction {
    let s: Float
    init(_ s: Float) { self.s = s }
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Op.apply(x, s) }
}
struct ScalarLeft<Op: BinaryOperator>: ElementFunction {
    let s: Float
    init(_ s: Float) { self.s = s }
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Op.apply(s, x) }
}
struct Negate: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
struct Absolute: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct Square: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
struct Cube: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x * x } }
struct SquareRoot: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct ReciprocalSquareRoot: ElementFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / x.squareRoot() }
}
struct Reciprocal: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / x } }
struct ReciprocalSquare: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (x * x) } }
struct Clamp: ElementFunction {
    let lo: Float, hi: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x < lo ? lo : (x > hi ? hi : x) }
}
struct Exponential: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { libmExp(x) } }
struct Logarithm: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { libmLog(x) } }
struct HyperbolicTangent: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { libmTanh(x) } }
struct Sine: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { libmSin(x) } }
struct Cosine: ElementFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { libmCos(x) } }

/// Libm entry points under names that member functions of `Tensor` cannot shadow.
@inline(__always) func libmExp(_ x: Float) -> Float { exp(x) }
@inline(__always) func libmLog(_ x: Float) -> Float { log(x) }
@inline(__always) func libmTanh(_ x: Float) -> Float { tanh(x) }
@inline(__always) func libmSin(_ x: Float) -> Float { sin(x) }
@inline(__always) func libmCos(_ x: Float) -> Float { cos(x) }
@inline(__always) func libmPow(_ x: Float, _ y: Float) -> Float { pow(x, y) }
@inline(__always) func libmErf(_ x: Float) -> Float { erf(x) }
@inline(__always) func libmLog1p(_ x: Float) -> Float { log1p(x) }

extension Tensor {
    /// `f` applied to every element, in parallel chunks for large tensors.
    @inline(__always)
    func applying<F: ElementFunction>(_ f: F) -> Tensor {
        Tensor(shape: shape) { out in
            guard out.count > 0 else { return }
            scalars.withUnsafeBufferPointer { src in
                let ps = src.baseAddress!, po = out.baseAddress!
                Parallel.forEachChunk(out.count, minimumPerThread: 16_384) { range in
                    for i in range { po[i] = f(ps[i]) }
                }
            }
        }
    }

    /// Replaces every element `x` by `f(x)`, in parallel chunks for large tensors.
    @inline(__always)
    mutating func applyInPlace<F: ElementFunction>(_ f: F) {
        guard count > 0 else { return }
        scalars.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            Parallel.forEachChunk(buffer.count, minimumPerThread: 16_384) { range in
                for i in range { p[i] = f(p[i]) }
            }
        }
    }

    /// `f` applied to every element (like `torch.Tensor.apply_`, out of place), in parallel
    /// chunks for large tensors. The built-in operations are faster: their loops vectorise.
    public func map(_ f: @escaping (Float) -> Float) -> Tensor { applying(ClosureFunction(f: f)) }

    /// Replaces every element `x` by `f(x)` (torch.Tensor.apply_), in parallel chunks.
    public mutating func mapInPlace(_ f: @escaping (Float) -> Float) { applyInPlace(ClosureFunction(f: f)) }

    /// torch.exp.
    public func exp() -> Tensor { applying(Exponential()) }
    /// torch.log (natural logarithm).
    public func log() -> Tensor { applying(Logarithm()) }
    /// torch.sqrt.
    public func sqrt() -> Tensor { applying(SquareRoot()) }
    /// torch.rsqrt: `1 / sqrt(x)`.
    public func rsqrt() -> Tensor { applying(ReciprocalSquareRoot()) }
    /// torch.abs.
    public func abs() -> Tensor { applying(Absolute()) }
    /// torch.square: `x * x`.
    public func square() -> Tensor { applying(Square()) }
    /// torch.tanh.
    public func tanh() -> Tensor { applying(HyperbolicTangent()) }
    /// torch.sin.
    public func sin() -> Tensor { applying(Sine()) }
    /// torch.cos.
    public func cos() -> Tensor { applying(Cosine()) }

    /// torch.clamp(x, min, max); either bound may be omitted; NaN stays NaN.
    public func clamp(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        applying(Clamp(lo: lower ?? -.infinity, hi: upper ?? .infinity))
    }

    /// torch.pow(x, exponent) with a scalar exponent; like PyTorch, the exponents
    /// 2, 3, 0.5, -0.5, -1 and -2 use exact multiplications, square roots or reciprocals.
    public func pow(_ exponent: Float) -> Tensor {
        switch exponent {
        case 1: return self
        case 2: return applying(Square())
        case 3: return applying(Cube())
        case 0.5: return applying(SquareRoot())
        case -0.5: return applying(ReciprocalSquareRoot())
        case -1: return applying(Reciprocal())
        case -2: return applying(ReciprocalSquare())
        default: return map { libmPow($0, exponent) }
        }
    }
}

/// torch.lerp(start, end, weight) with a scalar weight and broadcasting:
/// `start + weight · (end − start)`, evaluated from the nearer end as PyTorch does.
public func lerp(_ start: Tensor, _ end: Tensor, weight: Float) -> Tensor {
    let difference = end - start                                   // broadcast shape
    let base = weight < 0.5 ? start.expanded(to: difference.shape) : end.expanded(to: difference.shape)
    return Tensor(shape: difference.shape) { out in
        guard out.count > 0 else { return }
        difference.scalars.withUnsafeBufferPointer { pd in
            base.scalars.withUnsafeBufferPointer { pb in
                let pd = pd.baseAddress!, pb = pb.baseAddress!, po = out.baseAddress!
                let w = 1 - weight
                Parallel.forEachChunk(out.count, minimumPerThread: 32_768) { range in
                    if weight < 0.5 {
                        for i in range { po[i] = pb[i] + weight * pd[i] }
                    } else {
                        for i in range { po[i] = pb[i] - pd[i] * w }
                    }
                }
            }
        }
    }
}
