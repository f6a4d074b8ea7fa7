import CBLAS

/// OpenBLAS's threading: none. Its pool's idle threads call `sched_yield` in a loop for about
/// 0.1 s after every product and, on two cores, take turns with Diffuse's own workers (a third
/// of the default audio model's samples were in `sched_yield`). So OpenBLAS runs on the calling
/// thread only, and `sgemm` splits large products over the cores with `Parallel` itself;
/// kernels that already run one product per worker (Winograd's 16 products, attention tiles)
/// call it from their workers, where it does not split again.
enum BLASThreads {
    /// Products of at least this many multiply-adds are split across the cores by `sgemm`.
    static let splitWork = Double(1 << 21)

    private static let oneThread: Void = openblas_set_num_threads(1)

    /// Limits OpenBLAS to the calling thread, once per process.
    static func useOneThread() { _ = oneThread }
}
