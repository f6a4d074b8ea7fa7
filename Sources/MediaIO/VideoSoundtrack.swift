import CFFmpeg

/// A soundtrack's audio stream in a video file: AAC (FFmpeg's native `aac`, `fltp`) in MP4,
/// Opus (`libopus`, 48 kHz, `s16` or `flt`) in WebM. The clip is resampled with
/// libswresample (`AudioResampler`) to the encoder's rate (AAC: the clip's own rate when
/// the encoder supports it, else 48 kHz; Opus: always 48 kHz), then cut or padded with silence to exactly the video's
/// duration (`round(frames · rate / fps)` samples), clipped to [-1, 1] and sent in
/// `frame_size` chunks (the last one shorter), with pts counted in samples.
final class VideoSoundtrack {
    let encoder: FFmpegStreamEncoder
    private let samples: [Float]  // interleaved, at the encoder's rate, trimmed/padded
    private let channels: Int
    private let frameSize: Int
    private var sent = 0
    private let frame: UnsafeMutablePointer<AVFrame>
    private let ptsOffset: Int
    private let operation: String
    private let path: String

    /// Bits per second for AAC and Opus, per channel.
    static let bitRatePerChannel = 96_000

    /// Prepares the encoder for `audio` under a video of `videoDuration` (as frames / rate).
    init(_ audio: PCMAudio, format: VideoFormat, frames: Int, frameRate: VideoFrameRate,
         globalHeader: Bool, operation: String, path: String) throws {
        self.operation = operation
        self.path = path
        guard audio.frameCount > 0 else {
            throw MediaIOError(.invalidInput, operation, path: path, "the soundtrack has no samples")
        }
        guard audio.channels <= 2 else {
            throw MediaIOError(.invalidInput, operation, path: path,
                               "the soundtrack has \(audio.channels) channels: only mono and stereo are supported")
        }
        if let (frame, channel) = audio.firstNonFinite {
            throw MediaIOError(.invalidInput, operation, path: path,
                               "soundtrack sample at frame \(frame), channel \(channel) is not finite")
        }
        let name = format == .mp4 ? "aac" : "libopus"
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw MediaIOError(.codec, operation, path: path, "this FFmpeg has no \(name) encoder")
        }
        let rate = VideoSoundtrack.sampleRate(for: codec, preferred: format == .mp4 ? audio.sampleRate : 48000)
        let sampleFormat = VideoSoundtrack.sampleFormat(for: codec)
        guard sampleFormat != AV_SAMPLE_FMT_NONE else {
            throw MediaIOError(.codec, operation, path: path, "the \(name) encoder takes no fltp, flt or s16 samples")
        }
        channels = audio.channels
        encoder = try FFmpegStreamEncoder(encoder: name, options: [], operation: operation, path: path,
                                          globalHeader: globalHeader) { context in
            context.pointee.sample_rate = Int32(rate)
            context.pointee.sample_fmt = sampleFormat
            av_channel_layout_default(&context.pointee.ch_layout, Int32(audio.channels))
            context.pointee.bit_rate = Int64(VideoSoundtrack.bitRatePerChannel * audio.channels)
            context.pointee.time_base = AVRational(num: 1, den: Int32(rate))
        }
        // libopus puts its first packet at -pre-skip; Matroska marks those samples with
        // CodecDelay, but FFmpeg 5.1's muxer would also shift every stream (the video by
        // 6.5 ms) to avoid the negative timestamp. Starting the input at +pre-skip keeps
        // the video at 0 and the decoded audio (pre-skip dropped) aligned with it.
        ptsOffset = format == .webm ? Int(encoder.context.pointee.initial_padding) : 0
        let size = Int(encoder.context.pointee.frame_size)
        frameSize = size > 0 ? size : 1024

        let resampled = try AudioResampler.resample(audio, to: rate)
        let (scaled, overflow) = frames.multipliedReportingOverflow(by: rate * Int(frameRate.denominator))
        guard !overflow else {
            throw MediaIOError(.invalidInput, operation, path: path, "the video is too long for a soundtrack")
        }
        let target = (scaled + Int(frameRate.numerator) / 2) / Int(frameRate.numerator)
        var samples = Array(resampled.samples.prefix(target * channels))
        if samples.count < target * channels {
            samples += [Float](repeating: 0, count: target * channels - samples.count)
        }
        self.samples = samples.map { min(max($0, -1), 1) }
        guard let frame = av_frame_alloc() else {
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating an audio frame")
        }
        self.frame = frame
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }

    /// Total samples per channel that will be encoded.
    var sampleCount: Int { samples.count / channels }

    /// Seconds of audio sent so far.
    var sentSeconds: Double { Double(sent) / Double(encoder.context.pointee.sample_rate) }

    /// Whether every sample was sent.
    var isDone: Bool { sent >= sampleCount }

    /// Encodes the next chunk of `frame_size` samples (fewer at the end).
    func encodeNextChunk() throws {
        let count = min(frameSize, sampleCount - sent)
        guard count > 0 else { return }
        av_frame_unref(frame)
        frame.pointee.nb_samples = Int32(count)
        frame.pointee.format = encoder.context.pointee.sample_fmt.rawValue
        frame.pointee.sample_rate = encoder.context.pointee.sample_rate
        try FFmpegCall.check(av_channel_layout_copy(&frame.pointee.ch_layout, &encoder.context.pointee.ch_layout),
                             "av_channel_layout_copy", operation, path: path)
        try FFmpegCall.check(av_frame_get_buffer(frame, 0), "av_frame_get_buffer (audio)", operation, path: path)
        let start = sent * channels
        switch encoder.context.pointee.sample_fmt {
        case AV_SAMPLE_FMT_FLTP:
            for c in 0..<channels {
                guard let plane = frame.pointee.extended_data[c] else { continue }
                let out = UnsafeMutableRawPointer(plane).assumingMemoryBound(to: Float.self)
                for i in 0..<count { out[i] = samples[start + i * channels + c] }
            }
        case AV_SAMPLE_FMT_FLT:
            let out = UnsafeMutableRawPointer(frame.pointee.data.0!).assumingMemoryBound(to: Float.self)
            for i in 0..<(count * channels) { out[i] = samples[start + i] }
        default:
            let out = UnsafeMutableRawPointer(frame.pointee.data.0!).assumingMemoryBound(to: Int16.self)
            for i in 0..<(count * channels) { out[i] = Int16((samples[start + i] * 32767).rounded()) }
        }
        frame.pointee.pts = Int64(sent + ptsOffset)
        sent += count
        try encoder.encode(frame)
    }

    /// The encoder's rate for `preferred`: itself if supported (or any rate is), else 48 kHz
    /// if supported, else the encoder's first rate.
    private static func sampleRate(for codec: UnsafePointer<AVCodec>, preferred: Int) -> Int {
        guard let list = codec.pointee.supported_samplerates else { return preferred }
        var rates: [Int] = []
        var i = 0
        while list[i] != 0 {
            rates.append(Int(list[i]))
            i += 1
        }
        if rates.contains(preferred) { return preferred }
        if rates.contains(48000) { return 48000 }
        return rates.first ?? 48000
    }

    /// The first of fltp, flt, s16 that the encoder takes.
    private static func sampleFormat(for codec: UnsafePointer<AVCodec>) -> AVSampleFormat {
        guard let list = codec.pointee.sample_fmts else { return AV_SAMPLE_FMT_FLTP }
        var formats: [AVSampleFormat] = []
        var i = 0
        while list[i] != AV_SAMPLE_FMT_NONE {
            formats.append(list[i])
            i += 1
        }
        return [AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16].first { formats.contains($0) } ?? AV_SAMPLE_FMT_NONE
    }
}
