import CMalloc

/// How the process's `malloc` treats activation-sized blocks.
///
/// glibc hands blocks above its mmap threshold (128 KiB at first, raised as such blocks are
/// freed, to at most 32 MiB) to the kernel on `free`, so a network's activations, convolution
/// columns and attention buffers come back as fresh mappings whose pages fault in and are zeroed
/// on first touch, every call. On this machine that was 20 ms of a 77 ms 640-channel convolution
/// and half of a group norm, depending on what had run before (docs/benchmarks.md).
public enum Allocator {
    /// Blocks below this size come from malloc's heap and are reused after `free`.
    public static let mmapThreshold = 256 << 20
    /// Free memory at the top of the heap kept for reuse rather than returned to the kernel.
    public static let trimThreshold = 512 << 20

    /// Raises malloc's mmap and trim thresholds (`mallopt`) so that freed activations are reused
    /// instead of returned to the kernel and faulted in again. Call once, first thing in `main`.
    public static func reuseLargeBlocks() {
        _ = mallopt(M_MMAP_THRESHOLD, Int32(mmapThreshold))
        _ = mallopt(M_TRIM_THRESHOLD, Int32(trimThreshold))
    }

    /// Gives the free memory malloc keeps for reuse back to the kernel (`malloc_trim`), so that
    /// a peak measured from here on counts what the next piece of work needs, not what the
    /// last one left free.
    public static func releaseFreeMemory() {
        _ = malloc_trim(0)
    }
}
