import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files `AtomicFile` has open, kept where a signal handler can read them
/// without locks or allocation: 64 slots of `PATH_MAX` bytes, and two 64-bit masks (slots
/// claimed, slots whose path is complete) changed with C11 atomics.
///
/// A path too long for a slot, or a 65th concurrent file, is not registered: it is then not
/// removed on a signal, which leaves a hidden `.name.pid.XXXXXX.tmp` behind, never a file under
/// the final name. A slot freed while a handler on another thread reads it can make that
/// handler `unlink` a half-overwritten temporary path; both paths are our own hidden names.
enum TemporaryFiles {
    static let slotCount = 64
    static let slotBytes = 4096

    /// [claimed mask, active mask]; allocated once, never freed.
    nonisolated(unsafe) static let masks: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
        p.initialize(repeating: 0, count: 2)
        return p
    }()

    /// `slotCount * slotBytes` bytes of NUL-terminated paths; allocated once, never freed.
    nonisolated(unsafe) static let paths: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotBytes)
        p.initialize(repeating: 0, count: slotCount * slotBytes)
        return p
    }()

    /// Records `path`; returns its slot, or nil when full or the path is too long.
    static func register(_ path: String) -> Int? {
        let bytes = Array(path.utf8)
        guard bytes.count < slotBytes, !bytes.contains(0) else { return nil }
        _ = paths
        while true {
            let claimed = diffuse_atomic_load_u64(masks)
            guard claimed != UInt64.max else { return nil }
            let slot = (~claimed).trailingZeroBitCount
            let bit = UInt64(1) << UInt64(slot)
            guard diffuse_atomic_cas_u64(masks, claimed, claimed | bit) else { continue }
            let base = paths + slot * slotBytes
            for (i, b) in bytes.enumerated() { base[i] = CChar(bitPattern: b) }
            base[bytes.count] = 0
            _ = diffuse_atomic_fetch_or_u64(masks + 1, bit)
            return slot
        }
    }

    /// Forgets the path in `slot` (after it was renamed or removed).
    static func unregister(_ slot: Int) {
        let bit = UInt64(1) << UInt64(slot)
        _ = diffuse_atomic_fetch_and_u64(masks + 1, ~bit)
        _ = diffuse_atomic_fetch_and_u64(masks, ~bit)
    }

    /// Unlinks every registered path. Async-signal-safe: atomic loads and `unlink(2)` only.
    static func removeAll() {
        var active = diffuse_atomic_load_u64(masks + 1)
        while active != 0 {
            let slot = active.trailingZeroBitCount
            active &= active &- 1
            _ = unlink(paths + slot * slotBytes)
        }
    }

    /// Installs handlers for `signals` that remove the registered files, then re-raise the
    /// signal with its default action (so the process still dies by that signal). A signal
    /// the process ignores (e.g. SIGHUP under `nohup`) stays ignored.
    static func installSignalHandlers(_ signals: [Int32]) throws {
        _ = masks
        _ = paths
        for signalNumber in signals {
            var old = sigaction()
            guard sigaction(signalNumber, nil, &old) == 0 else {
                throw MediaIOError.system("cannot install a handler for", path: "signal \(signalNumber)", errno: errno)
            }
            if isIgnored(old) { continue }
            var action = sigaction()
            setHandler(&action) { signalNumber in
                TemporaryFiles.removeAll()
                _ = signal(signalNumber, SIG_DFL)
                _ = raise(signalNumber)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            guard sigaction(signalNumber, &action, nil) == 0 else {
                throw MediaIOError.system("cannot install a handler for", path: "signal \(signalNumber)", errno: errno)
            }
        }
    }

    /// Whether `action` ignores its signal. Reads the handler's bits (the first field in
    /// glibc and Darwin) rather than a function value that may be null (`SIG_DFL`).
    private static func isIgnored(_ action: sigaction) -> Bool {
        withUnsafeBytes(of: action) { $0.load(as: UInt.self) } == 1  // SIG_IGN is ((handler) 1)
    }

    private static func setHandler(_ action: inout sigaction, _ handler: @escaping @convention(c) (Int32) -> Void) {
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
    }
}
