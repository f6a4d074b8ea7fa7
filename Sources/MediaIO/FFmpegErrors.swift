import CFFmpeg

/// Turning FFmpeg return codes into `MediaIOError`s.
enum FFmpegCall {
    /// `av_strerror`'s text for `code` (e.g. `Invalid argument`, `End of file`).
    static func message(_ code: Int32) -> String {
        let size = Int(diffuse_av_error_max_string_size())
        var buffer = [CChar](repeating: 0, count: size)
        if av_strerror(code, &buffer, size) < 0 {
            return "FFmpeg error \(code)"
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Returns `code` when it is not negative; otherwise throws
    /// `operation path: function failed: <av_strerror text>`.
    @discardableResult
    static func check(_ code: Int32, _ function: String, _ operation: String, path: String) throws -> Int32 {
        guard code < 0 else { return code }
        throw MediaIOError(.codec, operation, path: path, "\(function) failed: \(message(code))")
    }
}
