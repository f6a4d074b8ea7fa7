import CFFmpeg
import Foundation

/// A decoded video file: its frames as RGB8 and what the container says about it.
public struct VideoFile: Sendable {
    /// The audio stream's description, when the file has one.
    public struct AudioStream: Sendable, Equatable {
        /// The codec's short name (`aac`, `opus`).
        public var codecName: String
        /// Samples per second.
        public var sampleRate: Int
        /// Channels.
        public var channels: Int
        /// Samples per channel after decoding (encoder delay and padding removed).
        public var decodedSamples: Int
        /// The stream's duration in seconds as the container states it (nil if it does not).
        public var streamDuration: Double?
        /// `decodedSamples / sampleRate`.
        public var decodedDuration: Double { Double(decodedSamples) / Double(sampleRate) }
    }

    /// Every decoded frame in display order, converted to RGB8 (`sws_scale`).
    public var frames: [RGBImage]
    /// Each frame's start in seconds (its best-effort timestamp in the stream's time base).
    public var frameTimes: [Double]
    /// The stream's average frame rate (`avg_frame_rate`) as numerator / denominator.
    public var frameRate: (numerator: Int, denominator: Int)
    /// The video stream's duration in seconds: the container's value, or the last frame's
    /// end when it has none.
    public var videoDuration: Double
    /// The whole file's duration in seconds (`AVFormatContext.duration`; 0 if unknown).
    public var containerDuration: Double
    /// The video codec's short name (`h264`, `vp9`, `gif`).
    public var codecName: String
    /// The coded frame width.
    public var width: Int
    /// The coded frame height.
    public var height: Int
    /// The container's metadata, then the video stream's (keys as libavformat reports them).
    public var metadata: [String: String]
    /// The first audio stream, decoded to count samples; nil without one.
    public var audio: AudioStream?

    /// The metadata value for `key` in any case (Matroska reports `COMMENT`, MP4 `comment`).
    public func metadata(_ key: String) -> String? {
        metadata[key] ?? metadata.first { $0.key.lowercased() == key.lowercased() }?.value
    }
}

/// Reads a video file with libavformat / libavcodec: every frame of the best video stream
/// as RGB8, timing, codec names, metadata and the audio stream's length. For tests and
/// video-to-video input; the whole clip is held in memory.
public enum VideoReader {
    /// Decodes the file at `url`.
    public static func read(contentsOf url: URL) throws -> VideoFile {
        let path = url.path
        let operation = "cannot read video"
        var format: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpegCall.check(avformat_open_input(&format, path, nil, nil), "avformat_open_input", operation, path: path)
        defer { avformat_close_input(&format) }
        guard let format else { throw MediaIOError(.codec, operation, path: path, "avformat_open_input returned no context") }
        try FFmpegCall.check(avformat_find_stream_info(format, nil), "avformat_find_stream_info", operation, path: path)
        let videoIndex = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        try FFmpegCall.check(videoIndex, "av_find_best_stream(video)", operation, path: path)
        let audioIndex = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)

        let videoStream = format.pointee.streams[Int(videoIndex)]!
        let video = try Decoder(videoStream, operation: operation, path: path)
        let audio = audioIndex >= 0 ? try Decoder(format.pointee.streams[Int(audioIndex)]!, operation: operation, path: path) : nil

        var frames: [RGBImage] = []
        var times: [Double] = []
        var lastEnd = 0.0
        var audioSamples = 0
        let timeBase = videoStream.pointee.time_base
        func takeVideo(_ frame: UnsafeMutablePointer<AVFrame>) throws {
            frames.append(try rgb(frame, path: path))
            let pts = frame.pointee.best_effort_timestamp
            let start = pts == diffuse_av_nopts_value() ? lastEnd : Double(pts) * av_q2d(timeBase)
            times.append(start)
            lastEnd = start + Double(frame.pointee.pkt_duration) * av_q2d(timeBase)
        }
        func takeAudio(_ frame: UnsafeMutablePointer<AVFrame>) throws {
            audioSamples += Int(frame.pointee.nb_samples)
        }

        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let packet else { throw MediaIOError(.codec, operation, path: path, "out of memory allocating a packet") }
        while true {
            let status = av_read_frame(format, packet)
            if status == diffuse_averror_eof() { break }
            try FFmpegCall.check(status, "av_read_frame", operation, path: path)
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index == videoIndex {
                try video.decode(packet, take: takeVideo)
            } else if let audio, packet.pointee.stream_index == audioIndex {
                try audio.decode(packet, take: takeAudio)
            }
        }
        try video.decode(nil, take: takeVideo)
        try audio?.decode(nil, take: takeAudio)

        var metadata = dictionary(format.pointee.metadata)
        metadata.merge(dictionary(videoStream.pointee.metadata)) { container, _ in container }
        let rate = videoStream.pointee.avg_frame_rate
        let streamDuration = videoStream.pointee.duration
        var audioInfo: VideoFile.AudioStream?
        if let audio {
            let stream = format.pointee.streams[Int(audioIndex)]!
            let duration = stream.pointee.duration
            audioInfo = VideoFile.AudioStream(
                codecName: audio.codecName, sampleRate: Int(audio.context.pointee.sample_rate),
                channels: Int(audio.context.pointee.ch_layout.nb_channels), decodedSamples: audioSamples,
                streamDuration: duration == diffuse_av_nopts_value() ? nil : Double(duration) * av_q2d(stream.pointee.time_base))
        }
        let containerDuration = format.pointee.duration == diffuse_av_nopts_value()
            ? 0 : Double(format.pointee.duration) / Double(AV_TIME_BASE)
        return VideoFile(
            frames: frames, frameTimes: times, frameRate: (Int(rate.num), Int(rate.den)),
            videoDuration: streamDuration == diffuse_av_nopts_value() || streamDuration <= 0
                ? lastEnd : Double(streamDuration) * av_q2d(timeBase),
            containerDuration: containerDuration, codecName: video.codecName,
            width: Int(videoStream.pointee.codecpar.pointee.width), height: Int(videoStream.pointee.codecpar.pointee.height),
            metadata: metadata, audio: audioInfo)
    }

    /// The frame as RGB8 through libswscale: bicubic chroma upsampling with full chroma
    /// interpolation and accurate rounding (BT.601 limited range unless the stream says
    /// otherwise), so the conversion itself costs little PSNR.
    static func rgb(_ frame: UnsafeMutablePointer<AVFrame>, path: String) throws -> RGBImage {
        let operation = "cannot read video"
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        let source = AVPixelFormat(rawValue: frame.pointee.format)
        if source == AV_PIX_FMT_RGB24 || source == AV_PIX_FMT_PAL8 { return try PNGReader.rgb(frame, path: path) }
        let rowBytes = try RGBImage.byteCount(width: width, height: 1)
        var pixels = [UInt8](repeating: 0, count: try RGBImage.byteCount(width: width, height: height))
        let flags = Int32(SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)
        guard let scaler = sws_getContext(Int32(width), Int32(height), source, Int32(width), Int32(height),
                                          AV_PIX_FMT_RGB24, flags, nil, nil, nil)
        else {
            let name = av_get_pix_fmt_name(source).map { String(cString: $0) } ?? "format \(frame.pointee.format)"
            throw MediaIOError(.unsupportedFormat, operation, path: path, "cannot convert pixel format \(name) to rgb24")
        }
        defer { sws_freeContext(scaler) }
        let rows = pixels.withUnsafeMutableBufferPointer { dst -> Int32 in
            let dstPlanes: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
            let dstStrides: [Int32] = [Int32(rowBytes), 0, 0, 0]
            let srcPlanes: [UnsafePointer<UInt8>?] = withUnsafeBytes(of: frame.pointee.data) {
                Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4)).map { $0.map { UnsafePointer($0) } }
            }
            let srcStrides: [Int32] = withUnsafeBytes(of: frame.pointee.linesize) {
                Array($0.bindMemory(to: Int32.self).prefix(4))
            }
            return sws_scale(scaler, srcPlanes, srcStrides, 0, Int32(height), dstPlanes, dstStrides)
        }
        try FFmpegCall.check(rows, "sws_scale", operation, path: path)
        guard rows == Int32(height) else {
            throw MediaIOError(.codec, operation, path: path, "sws_scale converted \(rows) of \(height) rows")
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Every entry of an `AVDictionary`.
    static func dictionary(_ dictionary: OpaquePointer?) -> [String: String] {
        var out: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX) {
            out[String(cString: next.pointee.key)] = String(cString: next.pointee.value)
            entry = next
        }
        return out
    }

    /// An opened decoder for one stream; frames are handed to a closure.
    private final class Decoder {
        let context: UnsafeMutablePointer<AVCodecContext>
        let codecName: String
        private let frame: UnsafeMutablePointer<AVFrame>
        private let operation: String
        private let path: String

        init(_ stream: UnsafeMutablePointer<AVStream>, operation: String, path: String) throws {
            self.operation = operation
            self.path = path
            let id = stream.pointee.codecpar.pointee.codec_id
            codecName = String(cString: avcodec_get_name(id))
            guard let codec = avcodec_find_decoder(id) else {
                throw MediaIOError(.unsupportedFormat, operation, path: path, "this FFmpeg has no \(codecName) decoder")
            }
            guard let context = avcodec_alloc_context3(codec), let frame = av_frame_alloc() else {
                throw MediaIOError(.codec, operation, path: path, "out of memory allocating the \(codecName) decoder")
            }
            self.context = context
            self.frame = frame
            try FFmpegCall.check(avcodec_parameters_to_context(context, stream.pointee.codecpar),
                                 "avcodec_parameters_to_context", operation, path: path)
            context.pointee.pkt_timebase = stream.pointee.time_base
            context.pointee.thread_count = 1
            try FFmpegCall.check(avcodec_open2(context, codec, nil), "avcodec_open2(\(codecName))", operation, path: path)
        }

        deinit {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            var c: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&c)
        }

        /// Sends `packet` (nil: flush) and hands every ready frame to `take`.
        func decode(_ packet: UnsafeMutablePointer<AVPacket>?,
                    take: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws {
            try FFmpegCall.check(avcodec_send_packet(context, packet),
                                 packet == nil ? "avcodec_send_packet (flush)" : "avcodec_send_packet", operation, path: path)
            while true {
                let status = avcodec_receive_frame(context, frame)
                if status == diffuse_averror_eagain() || status == diffuse_averror_eof() { return }
                try FFmpegCall.check(status, "avcodec_receive_frame(\(codecName))", operation, path: path)
                defer { av_frame_unref(frame) }
                try take(frame)
            }
        }
    }
}
