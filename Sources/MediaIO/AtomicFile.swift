import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its target folder and renamed over the final
/// name only when complete, so no reader ever sees a half-written file under that name.
///
/// Steps: check the folder (missing, not a folder, not writable: an error naming it); create
/// `.<name>.<pid>.<random>.tmp` there with `O_CREAT | O_EXCL` (mode 0666 less the umask);
/// write; `fsync`; `close`; `rename(2)` over the final name (atomic on POSIX file systems);
/// `fsync` the folder (best effort: some file systems refuse it and the rename is done).
/// Any error, and a file dropped without `commit()`, removes the temporary file.
///
/// A killed process (SIGKILL, power loss) leaves at most the hidden temporary file, never a
/// partial file under the final name. `installSignalCleanup()` removes temporary files on
/// SIGINT, SIGTERM and SIGHUP. Creating an `AtomicFile` also removes stale temporary files of
/// the same final name whose process is gone (`kill(pid, 0)` fails with `ESRCH`) and which
/// have not changed for `staleAge` seconds (the age guards against a writer in another PID
/// namespace sharing the folder); our own process's files are never touched.
public final class AtomicFile {
    /// The final path.
    public let destination: String
    /// The temporary path being written (in the same folder, hidden).
    public let temporaryPath: String
    /// The open descriptor of the temporary file (read-write), for writers that take one
    /// (libsndfile's `sf_open_fd`); -1 once committed or discarded.
    public private(set) var fileDescriptor: Int32
    private let slot: Int?

    /// Seconds a dead process's temporary file must be unchanged before it is removed.
    public static let staleAge: TimeInterval = 600

    /// Creates the temporary file for `url` (a file URL); throws if its folder is missing, is
    /// not a folder or is not writable, or if `url` names an existing folder.
    public init(destination url: URL) throws {
        let path = url.standardizedFileURL.path
        let name = url.standardizedFileURL.lastPathComponent
        let folder = url.standardizedFileURL.deletingLastPathComponent().path
        try AtomicFile.checkFolder(folder, for: path)
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw MediaIOError(.notAFolder, "cannot write", path: path, "a folder of that name exists")
        }
        let prefix = "." + AtomicFile.truncated(name, utf8Bytes: 200) + "."
        AtomicFile.removeStale(in: folder, prefix: prefix)
        let pid = getpid()
        var attempt = 0
        while true {
            let candidate = folder + "/" + prefix + "\(pid)." + AtomicFile.randomSuffix() + ".tmp"
            // Registered before it exists, so a signal between creation and registration cannot
            // leave it behind (unlinking a name not yet created is harmless; the name holds our pid).
            let registered = TemporaryFiles.register(candidate)
            let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                destination = path
                temporaryPath = candidate
                fileDescriptor = fd
                slot = registered
                return
            }
            let code = errno
            if let registered { TemporaryFiles.unregister(registered) }
            attempt += 1
            if code == EEXIST, attempt < 100 { continue }
            if code == EINTR { continue }
            let why = MediaIOError.kind(ofErrno: code) == .notWritable
                ? "folder \(folder) is not writable" : "cannot create a temporary file in \(folder)"
            throw MediaIOError.system("cannot write", path: path, errno: code, detail: why)
        }
    }

    deinit {
        if fileDescriptor >= 0 { discard() }
    }

    /// Appends `bytes`, retrying short writes and `EINTR`; on failure the file is discarded.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fileDescriptor >= 0 else {
            throw MediaIOError(.io, "cannot write", path: destination, "the file was already committed or discarded")
        }
        var offset = 0
        while offset < bytes.count {
            let n = AtomicFile.systemWrite(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                discard()
                throw MediaIOError.system("cannot write", path: destination, errno: code)
            }
            offset += n
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes the temporary file to disk, closes it and renames it over `destination`.
    /// On failure the temporary file is removed and nothing exists under `destination`
    /// that was not there before.
    public func commit() throws {
        guard fileDescriptor >= 0 else {
            throw MediaIOError(.io, "cannot write", path: destination, "the file was already committed or discarded")
        }
        if fsync(fileDescriptor) != 0 {
            let code = errno
            discard()
            throw MediaIOError.system("cannot write", path: destination, errno: code, detail: "fsync failed")
        }
        let fd = fileDescriptor
        fileDescriptor = -1
        if close(fd) != 0 {
            let code = errno
            removeTemporary()
            throw MediaIOError.system("cannot write", path: destination, errno: code, detail: "close failed")
        }
        if rename(temporaryPath, destination) != 0 {
            let code = errno
            removeTemporary()
            throw MediaIOError.system("cannot write", path: destination, errno: code,
                                      detail: "cannot rename the temporary file into place")
        }
        if let slot { TemporaryFiles.unregister(slot) }
        AtomicFile.syncFolder(of: destination)
    }

    /// Closes and removes the temporary file (no effect after `commit()`).
    public func discard() {
        guard fileDescriptor >= 0 else { return }
        _ = close(fileDescriptor)
        fileDescriptor = -1
        removeTemporary()
    }

    private func removeTemporary() {
        _ = unlink(temporaryPath)
        if let slot { TemporaryFiles.unregister(slot) }
    }

    /// Writes `bytes` to `url` atomically.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let file = try AtomicFile(destination: url)
        try file.write(bytes)
        try file.commit()
    }

    /// Runs `body` on a fresh `AtomicFile` for `url`, then commits it; if `body` throws, the
    /// temporary file is removed and the error rethrown.
    public static func withFile<T>(for url: URL, _ body: (AtomicFile) throws -> T) throws -> T {
        let file = try AtomicFile(destination: url)
        do {
            let result = try body(file)
            try file.commit()
            return result
        } catch {
            file.discard()
            throw error
        }
    }

    /// Installs SIGINT, SIGTERM and SIGHUP handlers that remove every temporary file in
    /// progress and then let the signal kill the process as it would have, and unblocks those
    /// signals in the calling thread (a mask inherited from the parent process must not hold them
    /// back). Call once, early (e.g. at the CLI's start), before starting other threads. A program
    /// with its own handlers calls `removeTemporaryFiles()` from them instead.
    public static func installSignalCleanup(signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]) throws {
        try TemporaryFiles.installSignalHandlers(signals)
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Removes every temporary file in progress; async-signal-safe (atomic loads and
    /// `unlink(2)` only), so it may be called from a signal handler. Writers in progress then
    /// fail at `commit()`.
    public static func removeTemporaryFiles() {
        TemporaryFiles.removeAll()
    }

    /// Throws unless `folder` exists, is a folder and can be written.
    static func checkFolder(_ folder: String, for path: String) throws {
        var info = stat()
        if stat(folder, &info) != 0 {
            let code = errno
            switch code {
            case ENOENT:
                throw MediaIOError(.folderMissing, "cannot write", path: path, "folder \(folder) does not exist")
            case ENOTDIR:
                throw MediaIOError(.notAFolder, "cannot write", path: path,
                                   "a component of \(folder) is a file, not a folder")
            default:
                throw MediaIOError.system("cannot write", path: path, errno: code, detail: "cannot inspect folder \(folder)")
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw MediaIOError(.notAFolder, "cannot write", path: path, "\(folder) is a file, not a folder")
        }
        if access(folder, W_OK | X_OK) != 0 {
            let code = errno
            throw MediaIOError.system("cannot write", path: path, errno: code, detail: "folder \(folder) is not writable")
        }
    }

    /// Removes `<prefix><pid>.<6 characters>.tmp` files in `folder` left by dead processes.
    static func removeStale(in folder: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let now = Date().timeIntervalSince1970
        let me = getpid()
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
            guard middle.count == 2, middle[1].count == 6, let pid = Int32(middle[0]), pid > 0, pid != me else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            #if canImport(Glibc)
            let modified = Double(info.st_mtim.tv_sec)
            #else
            let modified = Double(info.st_mtimespec.tv_sec)
            #endif
            guard now - modified >= staleAge else { continue }
            _ = unlink(path)
        }
    }

    /// `fsync` on the folder holding `path`, so the rename survives a power loss; errors are
    /// ignored (the file is complete and in place; some file systems refuse folder fsync).
    static func syncFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    /// The longest prefix of `name` of at most `limit` UTF-8 bytes that ends on a character.
    static func truncated(_ name: String, utf8Bytes limit: Int) -> String {
        guard name.utf8.count > limit else { return name }
        var out = ""
        for ch in name {
            if out.utf8.count + ch.utf8.count > limit { break }
            out.append(ch)
        }
        return out
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }

    private static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }
}
