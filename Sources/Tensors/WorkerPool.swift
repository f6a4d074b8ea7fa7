import Foundation
import Synchronization

/// Diffuse's own worker threads for `Parallel.forEachChunk`: `Parallel.threadCount − 1` threads
/// started on first use that run chunk `i` (`i ≥ 1`) of every job while the calling thread runs
/// chunk 0. After a job a worker spins for `spinNanoseconds` watching for the next one before
/// it sleeps, as OpenMP's threads do (GNU `GOMP_SPINCOUNT`), so that the many sub-millisecond
/// kernels of a network (a group norm of 0.4 ms, a residual add) start on both cores at once.
///
/// Why not `DispatchQueue.concurrentPerform` alone: libdispatch wakes a worker thread per loop,
/// and when that takes longer than the caller's own chunk, the caller runs the other chunk too
/// (on a busy machine, 26–48 of 50 two-chunk loops of 1 ms chunks ran on one thread). Short
/// kernels then ran on one core in some whole processes: the 0.5 ms group norm of diffuse-bench
/// measured 0.75–0.98 ms in those, 0.52–0.55 ms on this pool (docs/benchmarks.md). A job that
/// finds the pool busy (a nested call from inside a chunk, or a second thread calling at the
/// same time) still goes to `concurrentPerform`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.threadCount - 1)

    /// How long a worker watches for the next job before sleeping.
    static let spinNanoseconds: UInt64 = 200_000

    let workers: Int
    private let busy = Atomic<Bool>(false)
    /// Bumped by the caller to post a job (`job` and `chunks` are written before).
    private let generation = Atomic<Int>(0)
    /// Workers that have not finished the current job.
    private let pending = Atomic<Int>(0)
    /// Workers asleep (or about to be) on `wake`.
    private let sleepers = Atomic<Int>(0)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: ((Int) -> Void)?
    private var chunks = 0

    private init(workers: Int) {
        self.workers = max(0, workers)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for index in stride(from: 1, through: self.workers, by: 1) {
            let thread = Thread { [unowned self] in self.loop(index: index) }
            thread.name = "diffuse-worker-\(index)"
            thread.start()
        }
    }

    /// Runs `body(c)` for every `c` in `0..<chunks` (`chunks ≤ workers + 1`), chunk 0 on the
    /// calling thread, and returns true when all are done; returns false without running
    /// anything if the pool is busy or too small.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks <= workers + 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { body in
            job = body
            self.chunks = chunks
            pending.store(workers, ordering: .sequentiallyConsistent)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            body(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins &+= 1
                if spins > 4096 { sched_yield() }      // a worker that lost its core: give it ours
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func loop(index: Int) {
        var seen = 0
        while true {
            // Watch for the next job, then sleep until it comes.
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins &+= 1
                if spins & 63 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                    pthread_mutex_lock(mutex)
                    sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, mutex) }
                    sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                }
            }
            seen = generation.load(ordering: .acquiring)
            if index < chunks, let body = job { body(index) }
            pending.wrappingSubtract(1, ordering: .releasing)
        }
    }
}
