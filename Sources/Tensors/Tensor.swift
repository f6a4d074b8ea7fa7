import Foundation

/// A dense, contiguous, row-major Float32 tensor with PyTorch's layout conventions
/// (NCHW activations, OIHW convolution weights).
///
/// Storage is a Swift `Array`, so copies are copy-on-write and a `Tensor` is a value.
/// Kernels read and write through `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
/// Shape errors inside kernels are programming errors (`precondition`); shapes that come
/// from files are validated where they are read (SafeTensors, WeightStore, configs).
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.product`.
    public var scalars: [Float]

    /// A tensor over `scalars` with the given shape; the element count must match.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(Tensor.elementCount(shape) == scalars.count,
                     "Tensor: shape \(shape) needs \(Tensor.elementCount(shape)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// A tensor whose storage is written by `body` (uninitialised memory is never exposed:
    /// `body` must write every element).
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = Tensor.elementCount(shape)
        let scalars = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            body(buffer)
            count = n
        }
        self.init(shape: shape, scalars: scalars)
    }

    /// Number of elements.
    @inlinable public var count: Int { scalars.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// Size of dimension `axis`; negative axes count from the end.
    public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    /// Maps a possibly negative axis to `0..<rank`.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }

    /// The same elements viewed with another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = Tensor.elementCount(s.enumerated().filter { $0.offset != i }.map(\.element))
            precondition(known > 0 && count % known == 0, "reshape \(shape) → \(newShape): not divisible")
            s[i] = count / known
        }
        precondition(Tensor.elementCount(s) == count, "reshape \(shape) → \(newShape): \(count) elements")
        var t = self
        t.shape = s
        return t
    }

    /// Product of the dimensions (1 for a scalar).
    @inlinable public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Row-major strides of a contiguous tensor of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.6g", Double($0)) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}
