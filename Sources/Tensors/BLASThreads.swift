import CBLAS
import Foundation

/// Control of OpenBLAS's own thread pool for kernels that parallelise over independent
/// matrix products themselves (attention over heads and query tiles, convolution tiles).
///
/// Inside `singleThreaded`, every `cblas_sgemm` runs on its calling thread, so each of
/// Diffuse's worker threads can run its own product without competing for OpenBLAS's pool.
/// Nested and concurrent scopes are counted: the first scope to enter saves the thread
/// count, the last one to leave restores it.
enum BLASThreads {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var depth = 0
        var saved: Int32 = 1
    }

    private static let state = State()

    /// Products of at least this many multiply-adds are split across the cores by `sgemm`.
    static let splitWork = Double(1 << 21)

    private static let oneThread: Void = openblas_set_num_threads(1)

    /// Limits OpenBLAS to the calling thread, once per process.
    static func useOneThread() { _ = oneThread }

    /// Runs `body` with OpenBLAS limited to one thread per call.
    static func singleThreaded<R>(_ body: () -> R) -> R {
        let s = state
        s.lock.withLock {
            if s.depth == 0 {
                s.saved = openblas_get_num_threads()
                openblas_set_num_threads(1)
            }
            s.depth += 1
        }
        defer {
            s.lock.withLock {
                s.depth -= 1
                if s.depth == 0 { openblas_set_num_threads(s.saved) }
            }
        }
        return body()
    }
}
