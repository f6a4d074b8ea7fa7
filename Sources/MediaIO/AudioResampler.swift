import CFFmpeg

/// Sample-rate conversion through libswresample (FFmpeg 5.1's `swr_alloc_set_opts2` with
/// `AVChannelLayout`), float interleaved in and out, default `swr` engine (windowed-sinc
/// filter of 32 taps per phase, 1024 phases, linear interpolation between phases, cutoff 0.97).
///
/// The whole clip is converted and the resampler flushed (`swr_convert` with no input until
/// it returns 0), so the tail is not lost; libswresample compensates its filter delay, so
/// output time 0 is input time 0. The result has exactly `round(frames · to / from)` frames:
/// the flushed output may differ from that by a few frames, which are trimmed or padded with zeros.
public enum AudioResampler {
    /// `audio` at `sampleRate`; the same clip when the rates match.
    public static func resample(_ audio: PCMAudio, to sampleRate: Int) throws -> PCMAudio {
        let operation = "cannot resample audio"
        guard sampleRate > 0, sampleRate <= 1_000_000 else {
            throw MediaIOError(.invalidInput, operation, path: "",
                               "sample rate \(sampleRate) Hz is invalid: it must be between 1 and 1000000")
        }
        if sampleRate == audio.sampleRate || audio.frameCount == 0 {
            return try PCMAudio(sampleRate: sampleRate, channels: audio.channels,
                                samples: sampleRate == audio.sampleRate ? audio.samples : [])
        }
        let channels = audio.channels
        let (product, overflow) = audio.frameCount.multipliedReportingOverflow(by: sampleRate)
        guard !overflow else {
            throw MediaIOError(.invalidInput, operation, path: "", "\(audio.frameCount) frames are too many")
        }
        let expected = (product + audio.sampleRate / 2) / audio.sampleRate

        var inLayout = AVChannelLayout(), outLayout = AVChannelLayout()
        av_channel_layout_default(&inLayout, Int32(channels))
        av_channel_layout_default(&outLayout, Int32(channels))
        defer {
            av_channel_layout_uninit(&inLayout)
            av_channel_layout_uninit(&outLayout)
        }
        var swr: OpaquePointer? = nil
        defer { swr_free(&swr) }
        try FFmpegCall.check(swr_alloc_set_opts2(&swr, &outLayout, AV_SAMPLE_FMT_FLT, Int32(sampleRate),
                                                 &inLayout, AV_SAMPLE_FMT_FLT, Int32(audio.sampleRate), 0, nil),
                             "swr_alloc_set_opts2", operation, path: "")
        try FFmpegCall.check(swr_init(swr), "swr_init", operation, path: "")

        var output: [Float] = []
        output.reserveCapacity((expected + 64) * channels)
        let chunkFrames = 1 << 16
        let ratio = Double(sampleRate) / Double(audio.sampleRate)
        var buffer = [Float](repeating: 0, count: (Int((Double(chunkFrames) * ratio).rounded(.up)) + 1024) * channels)
        let capacity = Int32(buffer.count / channels)
        try audio.samples.withUnsafeBufferPointer { input in
            var start = 0
            while start < audio.frameCount {
                let count = min(chunkFrames, audio.frameCount - start)
                var source: UnsafePointer<UInt8>? = UnsafeRawPointer(input.baseAddress! + start * channels)
                    .assumingMemoryBound(to: UInt8.self)
                let produced = try convert(swr, &source, Int32(count), into: &buffer, capacity: capacity)
                output += buffer[0..<(Int(produced) * channels)]
                start += count
            }
        }
        while true {
            var none: UnsafePointer<UInt8>? = nil
            let produced = try convert(swr, &none, 0, into: &buffer, capacity: capacity)
            if produced == 0 { break }
            output += buffer[0..<(Int(produced) * channels)]
        }
        if output.count > expected * channels {
            output.removeLast(output.count - expected * channels)
        } else if output.count < expected * channels {
            output += [Float](repeating: 0, count: expected * channels - output.count)
        }
        return try PCMAudio(sampleRate: sampleRate, channels: channels, samples: output)
    }

    /// One `swr_convert` call into `buffer`; returns frames produced.
    private static func convert(_ swr: OpaquePointer?, _ source: inout UnsafePointer<UInt8>?, _ count: Int32,
                                into buffer: inout [Float], capacity: Int32) throws -> Int32 {
        try buffer.withUnsafeMutableBytes { raw in
            var destination: UnsafeMutablePointer<UInt8>? = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let status = count == 0
                ? swr_convert(swr, &destination, capacity, nil, 0)
                : swr_convert(swr, &destination, capacity, &source, count)
            return try FFmpegCall.check(status, "swr_convert", "cannot resample audio", path: "")
        }
    }
}
