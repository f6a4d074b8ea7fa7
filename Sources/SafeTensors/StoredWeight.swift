import Foundation
import Tensors

/// How a `WeightStore` hands out the F16 and BF16 weights that layers ask for with
/// `WeightScope.weight(_:shape:)`. Either way the values the kernels see are the same (widening
/// is exact), so outputs are identical; the choice trades memory for the cost of widening.
public enum HalfPrecisionStorage: Sendable, Equatable {
    /// Widen to Float32 on load: twice the memory of the file, no cost per use.
    case widen
    /// Keep the half-precision values in the checkpoint's memory-mapped file (zero copy) and
    /// widen each weight into a reused scratch tensor when a layer runs.
    case keep
    /// `widen` when the Float32 copy of the checkpoint's half-precision weights fits in
    /// `automaticBudgetFraction` of physical memory, else `keep`.
    case automatic

    /// The share of physical memory that `automatic` allows a store's widened weights.
    public static let automaticBudgetFraction = 0.25

    /// `keep` or `widen` for a checkpoint whose half-precision weights take `halfBytes`
    /// (Float32: twice that), on a machine with `physicalMemory` bytes.
    public func resolved(halfBytes: UInt64, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> HalfPrecisionStorage {
        guard self == .automatic else { return self }
        let widened = Double(halfBytes) * 2
        return widened <= Double(physicalMemory) * Self.automaticBudgetFraction ? .widen : .keep
    }
}

/// A layer's weight as a store holds it: a Float32 `Tensor`, or F16/BF16 values in the
/// checkpoint's mapping, widened per use (see `HalfPrecisionStorage`).
///
/// `withTensor` is the hot path: a Float32 weight is passed as it is; a half one is widened
/// (exactly, over both cores) into a scratch tensor taken from a pool shared by all weights of
/// the same element count, so a UNet forward allocates no weight-sized memory after its first
/// layers. `tensor()` returns a widened copy for code that keeps the weight.
public struct StoredWeight: Sendable {
    /// Sizes of each dimension, outermost first.
    public let shape: [Int]
    private let storage: Storage

    private enum Storage: Sendable {
        case float(Tensor)
        case half(bytes: Data, dtype: DType)     // `Data` slices the mapping; F16 or BF16
    }

    /// A Float32 weight.
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        storage = .float(tensor)
    }

    /// A weight kept as `dtype` (`.F16` or `.BF16`) little-endian values in `bytes`.
    init(halfBytes bytes: Data, dtype: DType, shape: [Int]) {
        precondition(dtype == .F16 || dtype == .BF16, "StoredWeight: \(dtype) is not a half-precision type")
        precondition(bytes.count == Tensor.elementCount(shape) &* 2, "StoredWeight: \(bytes.count) bytes for shape \(shape)")
        self.shape = shape
        storage = .half(bytes: bytes, dtype: dtype)
    }

    /// Number of elements.
    public var count: Int { Tensor.elementCount(shape) }

    /// Whether the values are kept in half precision (widened per use).
    public var isHalf: Bool {
        if case .half = storage { return true }
        return false
    }

    /// Bytes the weight occupies as stored (4 per element for Float32, 2 for half precision).
    public var storedByteCount: Int { isHalf ? count &* 2 : count &* 4 }

    /// The same values viewed with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> StoredWeight {
        precondition(Tensor.elementCount(newShape) == count, "StoredWeight: reshape \(shape) → \(newShape)")
        switch storage {
        case let .float(t): return StoredWeight(t.reshaped(newShape))
        case let .half(bytes, dtype): return StoredWeight(halfBytes: bytes, dtype: dtype, shape: newShape)
        }
    }

    /// The weight as a Float32 tensor (the stored tensor itself, or a widened copy).
    public func tensor() -> Tensor {
        switch storage {
        case let .float(t): return t
        case let .half(bytes, dtype): return Tensor(shape: shape) { out in Self.widen(bytes, dtype, into: out) }
        }
    }

    /// Calls `body` with the weight as a Float32 tensor that lives only for the call (a half
    /// weight is widened into pooled scratch memory, which `body` must not keep).
    public func withTensor<R>(_ body: (Tensor) throws -> R) rethrows -> R {
        switch storage {
        case let .float(t):
            return try body(t)
        case let .half(bytes, dtype):
            var scratch = WidenedWeightPool.shared.take(count: count)
            scratch.scalars.withUnsafeMutableBufferPointer { out in Self.widen(bytes, dtype, into: out) }
            Self.releaseMappedPages(bytes)
            defer { WidenedWeightPool.shared.give(scratch) }
            return try body(scratch.reshaped(shape))
        }
    }

    /// Once a large half weight is widened, its pages of the mapping are dropped from the
    /// process (clean file pages: the next use faults them in again from the page cache), so a
    /// network kept in half precision holds only the layer that runs, not the whole file: SD 1.5
    /// at 512 px otherwise keeps 1.7 GB of mapped UNet pages resident through the VAE decode.
    private static func releaseMappedPages(_ bytes: Data) {
        guard bytes.count >= SafeTensorsFile.releaseThreshold else { return }
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { SafeTensorsFile.releasePages(base, count: raw.count) }
        }
    }

    private static func widen(_ bytes: Data, _ dtype: DType, into out: UnsafeMutableBufferPointer<Float>) {
        bytes.withUnsafeBytes { raw in
            guard out.count > 0, let source = raw.baseAddress, let destination = out.baseAddress else { return }
            dtype.widen(source, count: out.count, into: destination)
        }
    }
}

/// Scratch tensors for widened half-precision weights, pooled by element count so that every
/// layer of the same shape reuses one buffer (a fresh multi-megabyte `Array` per call would be
/// mapped, faulted in and unmapped each time). At most `budgetBytes` are kept idle; taking a
/// tensor removes it from the pool, so concurrent callers never share one.
final class WidenedWeightPool: @unchecked Sendable {   // `idle` and `idleBytes` are only touched under `lock`
    static let shared = WidenedWeightPool(budgetBytes: 256 << 20)

    private let lock = NSLock()
    private let budgetBytes: Int
    private var idle: [(count: Int, tensor: Tensor)] = []   // most recently returned last
    private var idleBytes = 0

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    /// A uniquely referenced tensor of `count` elements (contents unspecified).
    func take(count: Int) -> Tensor {
        let pooled: Tensor? = lock.withLock {
            guard let i = idle.lastIndex(where: { $0.count == count }) else { return nil }
            idleBytes -= count &* 4
            return idle.remove(at: i).tensor
        }
        return pooled ?? Tensor(shape: [count]) { out in out.initialize(repeating: 0) }
    }

    /// Returns `tensor` to the pool, dropping the least recently returned ones over the budget.
    func give(_ tensor: Tensor) {
        let bytes = tensor.count &* 4
        guard bytes <= budgetBytes else { return }
        let dropped: [Tensor] = lock.withLock {
            idle.append((tensor.count, tensor.reshaped([tensor.count])))
            idleBytes += bytes
            var dropped: [Tensor] = []
            while idleBytes > budgetBytes {
                let first = idle.removeFirst()
                idleBytes -= first.count &* 4
                dropped.append(first.tensor)
            }
            return dropped
        }
        _ = dropped   // freed outside the lock
    }
}
