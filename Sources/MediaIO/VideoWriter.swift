import CFFmpeg
import Foundation

/// What `VideoWriter.write` did: for the CLI's summary line.
public struct VideoWriteReport: Sendable, Equatable {
    /// The format written.
    public var format: VideoFormat
    /// The size of the encoded frames: the clip's size, padded to even for H.264 and VP9.
    public var encodedWidth: Int
    /// See `encodedWidth`.
    public var encodedHeight: Int
    /// Video frames written.
    public var frames: Int
    /// The soundtrack's encoded length in samples per channel (nil without one).
    public var soundtrackSamples: Int?
    /// The files written (one, or one per frame for a PNG sequence).
    public var files: [URL]
}

/// Writes a `VideoClip` through FFmpeg (libavformat, libavcodec, libswscale) as MP4 (H.264),
/// WebM (VP9), animated GIF or a PNG sequence; see `VideoFormat` for each.
///
/// - Timing: the encoder's time base is `1 / fps` exactly (one tick per frame), frame `i`
///   has pts `i`, every packet a duration, and packets are rescaled to the stream's time
///   base (`av_packet_rescale_ts`), so the file lasts `frames / fps`.
/// - Odd sizes: H.264 and VP9 in `yuv420p` need even sizes; an odd width or height is
///   padded by one column or row repeating the last one (the report says so). GIF and PNG
///   keep the exact size.
/// - Metadata: `title` = prompt, `comment` = `GenerationMetadata.json`, `encoder` =
///   `Diffuse <version>` (MP4 as `mdta` keys with `movflags=+faststart+use_metadata_tags`,
///   WebM as Matroska tags; GIF: the JSON in a comment extension, which FFmpeg reads back
///   as `comment`; PNG: the text chunks of `PNGWriter`).
/// - Soundtrack: `VideoSoundtrack` (AAC in MP4, Opus in WebM), cut or padded to the video's
///   duration; interleaved with `av_interleaved_write_frame`.
/// - Deterministic: the same frames and metadata give the same bytes (see `x264CPUOptions`;
///   WebM is muxed `bitexact`).
/// - Atomic: the output is written to an `AtomicFile`'s temporary path, encoders flushed,
///   trailer written, `avio_closep` checked, then fsynced and renamed; on any error nothing
///   is left under the final name.
public enum VideoWriter {
    /// Silences FFmpeg's own log (libx264's statistics, encoder warnings), which goes to standard error
    /// by default (`av_log_set_level(AV_LOG_QUIET)`): for a program that reports every error itself
    /// (MediaIO's errors carry FFmpeg's message). Process-wide.
    public static func silenceFFmpegLog() { av_log_set_level(AV_LOG_QUIET) }

    /// Writes `clip` to `url` in `format` (default: from the name, see `VideoFormat(path:)`).
    @discardableResult
    public static func write(_ clip: VideoClip, to url: URL, format: VideoFormat? = nil,
                             quality: VideoQuality = .high, metadata: GenerationMetadata,
                             soundtrack: PCMAudio? = nil) throws -> VideoWriteReport {
        let path = url.path
        let operation = "cannot write video"
        let format = try format ?? {
            do { return try VideoFormat(path: path) } catch let error as MediaIOError {
                throw MediaIOError(error.kind, operation, path: path, error.reason)
            }
        }()
        if soundtrack != nil, !format.supportsSoundtrack {
            throw MediaIOError(.invalidInput, operation, path: path, "\(format) cannot carry a soundtrack")
        }
        switch format {
        case .pngSequence:
            return try writePNGSequence(clip, to: url, metadata: metadata)
        case .mp4, .webm:
            return try writeEncoded(clip, to: url, format: format, crf: quality.crf(for: format, path: path),
                                    metadata: metadata, soundtrack: soundtrack)
        case let .gif(dither):
            return try writeGIF(clip, to: url, dither: dither, metadata: metadata)
        }
    }

    /// H.264 / VP9 (+ soundtrack) into the `AtomicFile`'s temporary path.
    private static func writeEncoded(_ clip: VideoClip, to url: URL, format: VideoFormat, crf: Int,
                                     metadata: GenerationMetadata, soundtrack: PCMAudio?) throws -> VideoWriteReport {
        let path = url.path
        let operation = "cannot write video"
        let size = VideoFrameEncoding.evenSize(width: clip.width, height: clip.height)
        guard size.width <= 16384, size.height <= 16384 else {
            throw MediaIOError(.invalidInput, operation, path: path, "size \(clip.width)x\(clip.height) is above 16384 pixels a side")
        }
        var soundtrackSamples: Int?
        try AtomicFile.withFile(for: url) { file in
            let muxer = try FFmpegMuxer(muxer: format == .mp4 ? "mp4" : "webm", sink: .file(file.temporaryPath),
                                        path: path, operation: operation)
            let video = try videoEncoder(format: format, crf: crf, width: size.width, height: size.height,
                                         frameRate: clip.frameRate, globalHeader: muxer.needsGlobalHeader, path: path)
            try muxer.addStream(for: video)
            let audio = try soundtrack.map {
                try VideoSoundtrack($0, format: format, frames: clip.frames.count, frameRate: clip.frameRate,
                                    globalHeader: muxer.needsGlobalHeader, operation: operation, path: path)
            }
            if let audio { try muxer.addStream(for: audio.encoder) }
            // WebM: `bitexact`, or Matroska draws its track UIDs at random and no two files match.
            let options: [(String, String)] = format == .mp4 ? [("movflags", "+faststart+use_metadata_tags")]
                                                             : [("fflags", "+bitexact")]
            try muxer.writeHeader(metadata: containerMetadata(metadata), options: options)

            let converter = try VideoFrameEncoding.YUVConverter(width: size.width, height: size.height,
                                                                 operation: operation, path: path)
            for (i, image) in clip.frames.enumerated() {
                try video.encode(converter.frame(for: image, pts: Int64(i)))
                if let audio {
                    let until = Double(i + 1) * Double(clip.frameRate.denominator) / Double(clip.frameRate.numerator)
                    while !audio.isDone, audio.sentSeconds < until { try audio.encodeNextChunk() }
                }
            }
            try video.flush()
            if let audio {
                while !audio.isDone { try audio.encodeNextChunk() }
                try audio.encoder.flush()
                soundtrackSamples = audio.sampleCount
            }
            _ = try muxer.finish()
        }
        return VideoWriteReport(format: format, encodedWidth: size.width, encodedHeight: size.height,
                                frames: clip.frames.count, soundtrackSamples: soundtrackSamples, files: [url])
    }

    /// The opened libx264 or libvpx-vp9 encoder for `yuv420p` frames at `frameRate`.
    private static func videoEncoder(format: VideoFormat, crf: Int, width: Int, height: Int, frameRate: VideoFrameRate,
                                     globalHeader: Bool, path: String) throws -> FFmpegStreamEncoder {
        let options: [(String, String)] = format == .mp4
            ? [("crf", "\(crf)"), ("preset", "medium")] + x264CPUOptions
            : [("crf", "\(crf)"), ("deadline", "good"), ("cpu-used", "4"), ("row-mt", "1")]
        return try FFmpegStreamEncoder(encoder: format == .mp4 ? "libx264" : "libvpx-vp9", options: options,
                                       operation: "cannot write video", path: path, globalHeader: globalHeader) { context in
            context.pointee.width = Int32(width)
            context.pointee.height = Int32(height)
            context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            context.pointee.time_base = AVRational(num: frameRate.denominator, den: frameRate.numerator)
            context.pointee.framerate = AVRational(num: frameRate.numerator, den: frameRate.denominator)
            context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            context.pointee.color_range = AVCOL_RANGE_MPEG
            context.pointee.colorspace = AVCOL_SPC_SMPTE170M
            context.pointee.color_primaries = AVCOL_PRI_SMPTE170M
            context.pointee.color_trc = AVCOL_TRC_SMPTE170M
            context.pointee.bit_rate = 0
            context.pointee.gop_size = Int32(min(250, max(1, Int(frameRate.framesPerSecond * 10))))
            context.pointee.thread_count = 0
        }
    }

    /// libx264's AVX-512 code (x264 core 164, Debian 12) is not deterministic: on an AVX-512
    /// CPU (AMD Zen 5 here) the same frames encode to different bytes depending on what its
    /// buffers held before, and about 8% larger (16 frames of 64x64: 4,759 or 4,838 bytes; its
    /// AVX2 and plain-C paths give 4,402 and 4,403, every time). On such CPUs x264 is held to its
    /// AVX2 functions (every AVX-512 CPU has AVX2), so a seed gives the same MP4 bytes each run.
    static let x264CPUOptions: [(String, String)] =
        (av_get_cpu_flags() & AV_CPU_FLAG_AVX512) != 0 ? [("x264-params", "asm=avx2")] : []

    /// Animated GIF: `pal8` frames on one palette, muxed in memory, a comment extension
    /// inserted, then written atomically.
    private static func writeGIF(_ clip: VideoClip, to url: URL, dither: Bool,
                                 metadata: GenerationMetadata) throws -> VideoWriteReport {
        let path = url.path
        let operation = "cannot write video"
        guard clip.width <= 65535, clip.height <= 65535 else {
            throw MediaIOError(.invalidInput, operation, path: path, "size \(clip.width)x\(clip.height) is above GIF's 65535")
        }
        try AtomicFile.checkFolder(url.standardizedFileURL.deletingLastPathComponent().path, for: path)
        let muxer = try FFmpegMuxer(muxer: "gif", sink: .memory, path: path, operation: operation)
        let video = try FFmpegStreamEncoder(encoder: "gif", options: [], operation: operation, path: path,
                                            globalHeader: muxer.needsGlobalHeader) { context in
            context.pointee.width = Int32(clip.width)
            context.pointee.height = Int32(clip.height)
            context.pointee.pix_fmt = AV_PIX_FMT_PAL8
            context.pointee.time_base = AVRational(num: clip.frameRate.denominator, den: clip.frameRate.numerator)
            context.pointee.framerate = AVRational(num: clip.frameRate.numerator, den: clip.frameRate.denominator)
            context.pointee.thread_count = 1
        }
        try muxer.addStream(for: video)
        // The muxer shows frame i for the pts difference to frame i + 1 in 1/100 s; the last
        // frame gets `final_delay`, set so that the clip ends at round(frames · 100 / fps).
        let hundredths = { (i: Int) in
            (i * 100 * Int(clip.frameRate.denominator) * 2 + Int(clip.frameRate.numerator)) / (2 * Int(clip.frameRate.numerator))
        }
        let finalDelay = max(1, hundredths(clip.frames.count) - hundredths(clip.frames.count - 1))
        try muxer.writeHeader(metadata: [], options: [("loop", "0"), ("final_delay", "\(finalDelay)")])
        let converter = try VideoFrameEncoding.PaletteConverter(clip: clip, dither: dither, operation: operation, path: path)
        for (i, image) in clip.frames.enumerated() {
            try video.encode(converter.frame(for: image, pts: Int64(i)))
        }
        try video.flush()
        let bytes = try GIFComment.insert(metadata.json, into: muxer.finish(), path: path)
        try AtomicFile.write(bytes, to: url)
        return VideoWriteReport(format: .gif(dither: dither), encodedWidth: clip.width, encodedHeight: clip.height,
                                frames: clip.frames.count, soundtrackSamples: nil, files: [url])
    }

    /// One PNG per frame; on failure the frames already written by this call are removed.
    private static func writePNGSequence(_ clip: VideoClip, to url: URL, metadata: GenerationMetadata) throws -> VideoWriteReport {
        let name = url.lastPathComponent
        let folder: URL
        let prefix: String, suffix: String, digits: Int
        if let range = VideoFormat.framePattern(in: name) {
            folder = url.deletingLastPathComponent()
            prefix = String(name[..<range.lowerBound])
            suffix = String(name[range.upperBound...])
            let spec = name[range].dropFirst().dropLast()
            digits = Int(spec.drop { $0 == "0" }) ?? 0
        } else {
            folder = url
            (prefix, suffix, digits) = ("frame_", ".png", 4)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw MediaIOError(.folderMissing, "cannot write video", path: url.path, "folder \(folder.path) does not exist")
        }
        guard isFolder.boolValue else {
            throw MediaIOError(.notAFolder, "cannot write video", path: url.path, "\(folder.path) is a file, not a folder")
        }
        var written: [URL] = []
        do {
            for (i, image) in clip.frames.enumerated() {
                let number = String(i + 1)
                let padded = String(repeating: "0", count: max(0, digits - number.count)) + number
                let file = folder.appendingPathComponent(prefix + padded + suffix)
                try PNGWriter.write(image, to: file, metadata: metadata)
                written.append(file)
            }
        } catch {
            for file in written { try? FileManager.default.removeItem(at: file) }
            throw error
        }
        return VideoWriteReport(format: .pngSequence, encodedWidth: clip.width, encodedHeight: clip.height,
                                frames: clip.frames.count, soundtrackSamples: nil, files: written)
    }

    /// The container metadata: title, comment (JSON) and encoder.
    static func containerMetadata(_ metadata: GenerationMetadata) -> [(String, String)] {
        [("title", metadata.prompt), ("comment", metadata.json), ("encoder", metadata.software)]
    }
}
