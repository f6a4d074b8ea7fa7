import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Tensors

/// `Parallel.forEachChunk` on `WorkerPool`: every index exactly once, with the pool shared by
/// concurrent callers (who fall back to `concurrentPerform`) and called again from inside a chunk.
@Suite struct ParallelTests {
    /// Counts how often each index of `0..<count` was visited.
    final class Visits: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Atomic<Int>>
        let count: Int
        init(_ count: Int) {
            self.count = count
            counts = .allocate(capacity: count)
            for i in 0..<count { (counts + i).initialize(to: Atomic(0)) }
        }
        func visit(_ range: Range<Int>) { for i in range { counts[i].wrappingAdd(1, ordering: .relaxed) } }
        var wrong: [Int] { (0..<count).filter { counts[$0].load(ordering: .relaxed) != 1 } }
        deinit { counts.deinitialize(count: count); counts.deallocate() }
    }

    @Test func everyIndexOnceFromOneCaller() {
        for count in [1, 2, 3, 1000] {
            for round in 0..<50 {
                let visits = Visits(count)
                Parallel.forEachChunk(count, minimumPerThread: 1) { visits.visit($0) }
                #expect(visits.wrong.isEmpty, "count \(count), round \(round): indices \(visits.wrong.prefix(5)) not visited once")
            }
        }
    }

    @Test func everyIndexOnceFromConcurrentAndNestedCallers() {
        let outer = 64, inner = 100
        let visits = Visits(outer * inner)
        DispatchQueue.concurrentPerform(iterations: 8) { caller in
            for job in stride(from: caller, to: outer, by: 8) {
                Parallel.forEachChunk(2, minimumPerThread: 1) { halves in
                    #expect(Parallel.isInsideWorker)
                    for half in halves {
                        // Half the rows of this job, split again from inside a chunk.
                        let base = job * inner + half * inner / 2
                        Parallel.forEachChunk(inner / 2, minimumPerThread: 1) { visits.visit(base + $0.lowerBound..<base + $0.upperBound) }
                    }
                }
            }
        }
        #expect(visits.wrong.isEmpty, "indices \(visits.wrong.prefix(5)) not visited once")
        #expect(!Parallel.isInsideWorker)
    }
}
