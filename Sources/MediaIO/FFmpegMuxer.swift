import CFFmpeg

/// An FFmpeg output (`AVFormatContext`) with its encoders: streams are added with opened
/// encoders, packets are written with `av_interleaved_write_frame`, and `finish()` writes
/// the trailer and closes the output, every return code checked. The output is a file
/// (`avio_open` on a path, e.g. an `AtomicFile`'s temporary path) or memory
/// (`avio_open_dyn_buf`, for formats whose bytes are patched afterwards). Freed on deinit.
final class FFmpegMuxer {
    /// Where the output goes.
    enum Sink {
        /// A file at this path (created or truncated).
        case file(String)
        /// A memory buffer, returned by `finish()`.
        case memory
    }

    let context: UnsafeMutablePointer<AVFormatContext>
    let operation: String
    /// The final destination, for error messages.
    let path: String
    private let sink: Sink
    private var ioOpen = false
    private var encoders: [FFmpegStreamEncoder] = []

    /// An output for FFmpeg's muxer `name` (`mp4`, `webm`, `gif`).
    init(muxer name: String, sink: Sink, path: String, operation: String) throws {
        self.operation = operation
        self.path = path
        self.sink = sink
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let url: String
        if case let .file(file) = sink { url = file } else { url = "memory" }
        try FFmpegCall.check(avformat_alloc_output_context2(&context, nil, name, url),
                             "avformat_alloc_output_context2(\(name))", operation, path: path)
        guard let context else {
            throw MediaIOError(.codec, operation, path: path, "avformat_alloc_output_context2 returned no context")
        }
        self.context = context
    }

    deinit {
        if ioOpen {
            switch sink {
            case .file:
                avio_closep(&context.pointee.pb)
            case .memory:
                var buffer: UnsafeMutablePointer<UInt8>? = nil
                _ = avio_close_dyn_buf(context.pointee.pb, &buffer)
                av_free(buffer)
                context.pointee.pb = nil
            }
        }
        avformat_free_context(context)
    }

    /// Whether encoders must put their headers in extradata (`AVFMT_GLOBALHEADER`).
    var needsGlobalHeader: Bool {
        (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0
    }

    /// Adds a stream for `encoder` (already opened) and copies its parameters.
    func addStream(for encoder: FFmpegStreamEncoder) throws {
        guard let stream = avformat_new_stream(context, nil) else {
            throw MediaIOError(.codec, operation, path: path, "avformat_new_stream failed: out of memory")
        }
        try FFmpegCall.check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context),
                             "avcodec_parameters_from_context", operation, path: path)
        stream.pointee.time_base = encoder.context.pointee.time_base
        if encoder.context.pointee.codec_type == AVMEDIA_TYPE_VIDEO {
            stream.pointee.avg_frame_rate = encoder.context.pointee.framerate
            stream.pointee.r_frame_rate = encoder.context.pointee.framerate
        }
        encoder.stream = stream
        encoder.muxer = self
        encoders.append(encoder)
    }

    /// Opens the output, initialises the muxer with `options` (every one must be used),
    /// then sets `metadata` on the container (after initialisation, which would replace
    /// `encoder` with libavformat's own name) and writes the header.
    func writeHeader(metadata: [(String, String)], options: [(String, String)]) throws {
        if (context.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            switch sink {
            case let .file(file):
                try FFmpegCall.check(avio_open(&context.pointee.pb, file, AVIO_FLAG_WRITE), "avio_open", operation, path: path)
            case .memory:
                try FFmpegCall.check(avio_open_dyn_buf(&context.pointee.pb), "avio_open_dyn_buf", operation, path: path)
            }
            ioOpen = true
        }
        var dictionary: OpaquePointer? = nil
        defer { av_dict_free(&dictionary) }
        for (key, value) in options {
            try FFmpegCall.check(av_dict_set(&dictionary, key, value, 0), "av_dict_set(\(key))", operation, path: path)
        }
        try FFmpegCall.check(avformat_init_output(context, &dictionary), "avformat_init_output", operation, path: path)
        if let unused = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw MediaIOError(.codec, operation, path: path,
                               "the muxer did not accept option \(String(cString: unused.pointee.key))")
        }
        // After avformat_init_output, which sets `encoder` to libavformat's name.
        for (key, value) in metadata {
            try FFmpegCall.check(av_dict_set(&context.pointee.metadata, key, value, 0), "av_dict_set(\(key))", operation, path: path)
        }
        try FFmpegCall.check(avformat_write_header(context, nil), "avformat_write_header", operation, path: path)
    }

    /// Writes one packet (rescaled to its stream's time base by the caller); the muxer takes it.
    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        try FFmpegCall.check(av_interleaved_write_frame(context, packet), "av_interleaved_write_frame", operation, path: path)
    }

    /// Flushes the interleaving queue, writes the trailer and closes the output; returns
    /// the bytes for a memory sink (empty for a file).
    func finish() throws -> [UInt8] {
        try FFmpegCall.check(av_interleaved_write_frame(context, nil), "av_interleaved_write_frame (flush)", operation, path: path)
        try FFmpegCall.check(av_write_trailer(context), "av_write_trailer", operation, path: path)
        guard ioOpen else { return [] }
        ioOpen = false
        switch sink {
        case .file:
            try FFmpegCall.check(avio_closep(&context.pointee.pb), "avio_closep", operation, path: path)
            return []
        case .memory:
            var buffer: UnsafeMutablePointer<UInt8>? = nil
            let size = avio_close_dyn_buf(context.pointee.pb, &buffer)
            context.pointee.pb = nil
            defer { av_free(buffer) }
            try FFmpegCall.check(size, "avio_close_dyn_buf", operation, path: path)
            guard let buffer else { return [] }
            return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
        }
    }
}

/// One opened encoder feeding one stream of an `FFmpegMuxer`: frames in, packets out
/// (timestamps rescaled from the encoder's to the stream's time base, a missing duration
/// set to one frame for video), and `flush()` drains it (a NULL frame, then until EOF).
final class FFmpegStreamEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    var stream: UnsafeMutablePointer<AVStream>?
    weak var muxer: FFmpegMuxer?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let operation: String
    private let path: String
    /// Packets written so far.
    private(set) var packets = 0

    /// Opens encoder `name` after `configure` set up the context, with private `options`
    /// (every one must be used by the encoder).
    init(encoder name: String, options: [(String, String)], operation: String, path: String,
         globalHeader: Bool, configure: (UnsafeMutablePointer<AVCodecContext>) throws -> Void) throws {
        self.operation = operation
        self.path = path
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw MediaIOError(.codec, operation, path: path, "this FFmpeg has no \(name) encoder")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating the \(name) encoder")
        }
        self.context = context
        guard let packet = av_packet_alloc() else {
            var c: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&c)
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating a packet")
        }
        self.packet = packet
        try configure(context)
        if globalHeader { context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var dictionary: OpaquePointer? = nil
        defer { av_dict_free(&dictionary) }
        for (key, value) in options {
            try FFmpegCall.check(av_dict_set(&dictionary, key, value, 0), "av_dict_set(\(key))", operation, path: path)
        }
        try FFmpegCall.check(avcodec_open2(context, codec, &dictionary), "avcodec_open2(\(name))", operation, path: path)
        if let unused = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw MediaIOError(.codec, operation, path: path,
                               "the \(name) encoder did not accept option \(String(cString: unused.pointee.key))")
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends `frame` (nil: end of stream) and writes every packet the encoder has ready.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        try FFmpegCall.check(avcodec_send_frame(context, frame),
                             frame == nil ? "avcodec_send_frame (flush)" : "avcodec_send_frame", operation, path: path)
        try drain()
    }

    /// Sends end of stream and writes the remaining packets.
    func flush() throws {
        try encode(nil)
    }

    private func drain() throws {
        guard let stream, let muxer else {
            throw MediaIOError(.codec, operation, path: path, "the encoder has no stream")
        }
        while true {
            let status = avcodec_receive_packet(context, packet)
            if status == diffuse_averror_eagain() || status == diffuse_averror_eof() { return }
            try FFmpegCall.check(status, "avcodec_receive_packet", operation, path: path)
            if packet.pointee.duration == 0, context.pointee.codec_type == AVMEDIA_TYPE_VIDEO {
                packet.pointee.duration = 1
            }
            packet.pointee.stream_index = stream.pointee.index
            av_packet_rescale_ts(packet, context.pointee.time_base, stream.pointee.time_base)
            packets += 1
            do {
                try muxer.write(packet)
            } catch {
                av_packet_unref(packet)
                throw error
            }
        }
    }
}
