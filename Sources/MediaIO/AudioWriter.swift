import CSndFile
import Foundation

/// What `AudioWriter.write` did: for the CLI's summary line and its clipping warning.
public struct AudioWriteReport: Sendable, Equatable {
    /// The format written.
    public var format: AudioFileFormat
    /// The file's sample rate (after resampling, if any).
    public var sampleRate: Int
    /// Frames written.
    public var frames: Int
    /// Samples outside [-1, 1] that were clipped to ±1 (counted after resampling).
    public var clippedSamples: Int

    /// A report with every field given.
    public init(format: AudioFileFormat, sampleRate: Int, frames: Int, clippedSamples: Int) {
        self.format = format
        self.sampleRate = sampleRate
        self.frames = frames
        self.clippedSamples = clippedSamples
    }
}

/// Writes audio files through libsndfile: WAV (PCM 16/24, float 32), FLAC (16/24) and Ogg
/// Vorbis, atomically (libsndfile writes the `AtomicFile`'s descriptor via `sf_open_fd`,
/// then the file is fsynced and renamed).
///
/// Metadata (`sf_set_string`, before the first write): title = prompt, comment =
/// `GenerationMetadata.json`, software = `Diffuse <version>`, date = ISO 8601 UTC. WAV keeps
/// them in a LIST/INFO chunk (INAM, ICMT, ISFT, ICRD), FLAC and Ogg in Vorbis comments
/// (TITLE, COMMENT, SOFTWARE / ENCODER, DATE); all four read back through libsndfile, the
/// software string with libsndfile's own version appended (`Diffuse 0.1.0 (libsndfile-1.2.0)`).
/// Strings are set shortest first (software, date, title, comment): libsndfile's WAV reader
/// stops at the first INFO string of 2 KiB or more, so other programs using libsndfile still
/// see the short ones; `AudioReader` reads WAV INFO itself and gets them all.
///
/// Clipping: samples outside [-1, 1] are clipped to ±1 and counted (the count is returned so
/// the caller can warn); `SFC_SET_CLIPPING` is also on, so libsndfile's float → integer
/// conversion saturates (and scales by 2¹⁵ / 2²³, the inverse of its reading scale). NaN or
/// infinite samples are an error naming the first one.
public enum AudioWriter {
    /// Writes `audio` to `url` in `format` (default: from the extension), resampled to
    /// `sampleRate` when given and different (see `AudioResampler`).
    @discardableResult
    public static func write(_ audio: PCMAudio, to url: URL, format: AudioFileFormat? = nil,
                             metadata: GenerationMetadata? = nil, sampleRate: Int? = nil) throws -> AudioWriteReport {
        let path = url.path
        let operation = "cannot write audio"
        let format = try format ?? {
            do { return try AudioFileFormat(fileExtension: url.pathExtension) } catch let error as MediaIOError {
                throw MediaIOError(error.kind, operation, path: path, error.reason)
            }
        }()
        if let (frame, channel) = audio.firstNonFinite {
            let value = audio.samples[frame * audio.channels + channel]
            throw MediaIOError(.invalidInput, operation, path: path,
                               "sample at frame \(frame), channel \(channel) is \(value) (the waveform is not finite)")
        }
        if case let .oggVorbis(quality) = format, !(0...1).contains(quality) {
            throw MediaIOError(.invalidInput, operation, path: path, "Vorbis quality \(quality) is not between 0 and 1")
        }
        var resampled = audio
        if let sampleRate, sampleRate != audio.sampleRate {
            resampled = try AudioResampler.resample(audio, to: sampleRate)
        }
        var samples = resampled.samples
        var clipped = 0
        for i in samples.indices where !(samples[i] >= -1 && samples[i] <= 1) {
            samples[i] = samples[i] > 0 ? 1 : -1
            clipped += 1
        }

        var info = SF_INFO()
        info.samplerate = Int32(clamping: resampled.sampleRate)
        info.channels = Int32(resampled.channels)
        info.format = format.sndfileFormat
        guard sf_format_check(&info) == Int32(SF_TRUE) else {
            throw MediaIOError(.unsupportedFormat, operation, path: path,
                               "\(format) cannot hold \(resampled.channels) channels at \(resampled.sampleRate) Hz")
        }
        try AtomicFile.withFile(for: url) { file in
            guard let sndfile = sf_open_fd(file.fileDescriptor, Int32(SFM_WRITE), &info, Int32(SF_FALSE)) else {
                throw MediaIOError(.codec, operation, path: path, "sf_open_fd failed: \(String(cString: sf_strerror(nil)))")
            }
            do {
                try configure(sndfile, format: format, metadata: metadata, path: path)
                try writeFrames(sndfile, samples, channels: resampled.channels, path: path)
            } catch {
                _ = sf_close(sndfile)
                throw error
            }
            let status = sf_close(sndfile)
            guard status == 0 else {
                throw MediaIOError(.codec, operation, path: path, "sf_close failed: \(String(cString: sf_error_number(status)))")
            }
        }
        return AudioWriteReport(format: format, sampleRate: resampled.sampleRate,
                                frames: resampled.frameCount, clippedSamples: clipped)
    }

    /// Clipping, Vorbis quality and the metadata strings, all before the first write.
    static func configure(_ sndfile: OpaquePointer, format: AudioFileFormat, metadata: GenerationMetadata?,
                          path: String) throws {
        let operation = "cannot write audio"
        if format.quantizationStep > 0 {
            guard sf_command(sndfile, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE)) == Int32(SF_TRUE) else {
                throw MediaIOError(.codec, operation, path: path, "sf_command(SFC_SET_CLIPPING) failed: \(errorText(sndfile))")
            }
        }
        if case let .oggVorbis(quality) = format {
            var q = quality
            guard sf_command(sndfile, Int32(SFC_SET_VBR_ENCODING_QUALITY), &q, Int32(MemoryLayout<Double>.size)) == Int32(SF_TRUE) else {
                throw MediaIOError(.codec, operation, path: path,
                                   "sf_command(SFC_SET_VBR_ENCODING_QUALITY, \(quality)) failed: \(errorText(sndfile))")
            }
        }
        guard let metadata else { return }
        let date = ISO8601DateFormatter().string(from: metadata.created ?? Date())
        let strings: [(Int32, String, String)] = [
            (Int32(SF_STR_SOFTWARE), "software", metadata.software),
            (Int32(SF_STR_DATE), "date", date),
            (Int32(SF_STR_TITLE), "title", metadata.prompt),
            (Int32(SF_STR_COMMENT), "comment", metadata.json),
        ]
        for (type, name, value) in strings where !value.isEmpty {
            let status = sf_set_string(sndfile, type, value)
            guard status == 0 else {
                throw MediaIOError(.codec, operation, path: path,
                                   "sf_set_string(\(name)) failed: \(String(cString: sf_error_number(status)))")
            }
        }
    }

    /// `sf_writef_float` in blocks; every count checked.
    static func writeFrames(_ sndfile: OpaquePointer, _ samples: [Float], channels: Int, path: String) throws {
        let frames = samples.count / channels
        let block = 1 << 15
        try samples.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < frames {
                let count = min(block, frames - start)
                let written = sf_writef_float(sndfile, buffer.baseAddress! + start * channels, sf_count_t(count))
                guard written == sf_count_t(count) else {
                    throw MediaIOError(.codec, "cannot write audio", path: path,
                                       "sf_writef_float wrote \(written) of \(count) frames at frame \(start): \(errorText(sndfile))")
                }
                start += count
            }
        }
    }

    /// libsndfile's text for the last error on `sndfile`.
    static func errorText(_ sndfile: OpaquePointer?) -> String {
        String(cString: sf_strerror(sndfile))
    }
}
