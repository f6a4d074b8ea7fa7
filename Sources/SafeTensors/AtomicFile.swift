import Foundation

/// Writes a file so that its final name only ever holds complete contents: a temporary file
/// in the same folder is written, fsync'd, closed and renamed over the target, then the folder
/// is fsync'd. On any error (including one thrown by the caller's `body`) the temporary file is
/// removed and the target is untouched.
enum AtomicFile {
    /// The open temporary file.
    struct Sink {
        fileprivate let fd: Int32
        fileprivate let target: URL

        /// Writes all of `bytes`, retrying short writes and interruptions.
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SafeTensorsError(target, "cannot write (\(String(cString: strerror(errno))))")
                }
                done += n
            }
        }

        /// Writes all of `bytes`.
        func write(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try write($0) }
        }
    }

    /// Creates the temporary file, lets `body` fill it, and publishes it under `url`.
    static func write(to url: URL, _ body: (inout Sink) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw SafeTensorsError(url, "cannot create a temporary file in \(folder.path) (\(String(cString: strerror(errno))))")
        }
        var isOpen = true
        do {
            var sink = Sink(fd: fd, target: url)
            try body(&sink)
            guard fsync(fd) == 0 else { throw SafeTensorsError(url, "cannot flush to disk (\(String(cString: strerror(errno))))") }
            isOpen = false
            guard close(fd) == 0 else { throw SafeTensorsError(url, "cannot close (\(String(cString: strerror(errno))))") }
            guard rename(temporary.path, url.path) == 0 else {
                throw SafeTensorsError(url, "cannot rename the temporary file into place (\(String(cString: strerror(errno))))")
            }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary.path)
            throw error
        }
        // Make the rename itself durable; a failure here leaves a complete file either way.
        let folderFD = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }
}
