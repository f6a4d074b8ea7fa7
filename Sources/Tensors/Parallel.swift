import Dispatch
import Foundation

/// Splits index ranges across the machine's cores. Work below `minimumPerThread` items stays
/// on the calling thread, where a thread hop would cost more than it saves.
public enum Parallel {
    /// Number of worker threads used for Diffuse's own kernels (OpenBLAS has its own pool).
    public static let threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint sub-ranges that together cover `0..<count`.
    @inlinable
    public static func forEachChunk(_ count: Int, minimumPerThread: Int = 4096,
                                    _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, max(1, count / max(1, minimumPerThread)))
        if chunks == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            runChunks(chunks) { c in
                let lo = count * c / chunks
                let hi = count * (c + 1) / chunks
                if lo < hi { body(lo..<hi) }
            }
        }
    }

    /// Runs `chunk(c)` for `c` in `0..<chunks` on `WorkerPool.shared` (chunk 0 on the calling
    /// thread), or through `concurrentPerform` when the pool is busy; each chunk runs with
    /// `isInsideWorker` set.
    @usableFromInline
    static func runChunks(_ chunks: Int, _ chunk: (Int) -> Void) {
        withoutActuallyEscaping(chunk) { chunk in
            let marked: (Int) -> Void = { c in
                let outer = pthread_getspecific(workerKey)
                pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))   // any non-nil value
                chunk(c)
                pthread_setspecific(workerKey, outer)
            }
            if WorkerPool.shared.run(chunks: chunks, marked) { return }
            // The chunks are disjoint and `concurrentPerform` returns only when all are done,
            // so sharing `marked` (and whatever pointers it captured) across threads is safe.
            let shared = UncheckedSendable(marked)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in shared.value(c) }
        }
    }
}

extension Parallel {
    /// Whether the calling thread is running a chunk of `forEachChunk` (kernels then stay on it
    /// rather than splitting again).
    public static var isInsideWorker: Bool { pthread_getspecific(workerKey) != nil }

    @usableFromInline static let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "Parallel: no thread-specific key left")
        return key
    }()
}

/// Carries a value across a `concurrentPerform` boundary whose safety the caller guarantees
/// (disjoint writes, joined before return).
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}
