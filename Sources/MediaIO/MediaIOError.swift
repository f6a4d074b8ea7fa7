import Foundation

/// An error reading or writing media: one line saying what failed, where and why, e.g.
/// `cannot write /out/cat.png: folder /out does not exist` or
/// `cannot encode PNG for /out/cat.png: avcodec_send_frame failed: Invalid argument`.
public struct MediaIOError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// The broad class of failure, for callers that react differently (e.g. exit codes).
    public enum Kind: String, Sendable, Equatable {
        /// The folder that should hold the output does not exist.
        case folderMissing
        /// A file (or a folder on its path) does not exist.
        case notFound
        /// A path that should be a folder is a regular file (or another non-folder).
        case notAFolder
        /// The folder or file may not be written (permissions, read-only file system).
        case notWritable
        /// The disk or quota is full.
        case diskFull
        /// Another operating-system error (open, read, write, fsync, rename).
        case io
        /// FFmpeg or libsndfile reported an error.
        case codec
        /// A file is not what it claims to be (bad signature, bad CRC, truncated).
        case malformed
        /// The caller passed something the writer cannot represent (NaN, zero size, …).
        case invalidInput
        /// The file format or extension is not supported.
        case unsupportedFormat
    }

    /// The broad class of failure.
    public let kind: Kind
    /// What was being done, e.g. `cannot write` or `cannot encode PNG for`.
    public let operation: String
    /// The file or folder concerned (empty when there is none, e.g. in-memory encoding).
    public let path: String
    /// Why it failed, in one line.
    public let reason: String

    /// An error of `kind` while doing `operation` on `path` because of `reason`.
    public init(_ kind: Kind, _ operation: String, path: String, _ reason: String) {
        self.kind = kind
        self.operation = operation
        self.path = path
        self.reason = MediaIOError.oneLine(reason)
    }

    /// `operation path: reason`, or `operation: reason` without a path.
    public var description: String {
        path.isEmpty ? "\(operation): \(reason)" : "\(operation) \(path): \(reason)"
    }

    /// The same line as `description` (so `localizedDescription` prints it).
    public var errorDescription: String? { description }

    /// An operating-system failure from `errno`, classified into `Kind`.
    static func system(_ operation: String, path: String, errno code: Int32, detail: String = "") -> MediaIOError {
        let message = String(cString: strerror(code))
        let reason = detail.isEmpty ? message : "\(detail) (\(message))"
        return MediaIOError(kind(ofErrno: code), operation, path: path, reason)
    }

    /// The `Kind` an `errno` value belongs to.
    static func kind(ofErrno code: Int32) -> Kind {
        switch code {
        case ENOENT: .notFound
        case ENOTDIR: .notAFolder
        case EACCES, EPERM, EROFS: .notWritable
        case ENOSPC, EDQUOT: .diskFull
        default: .io
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }
}
