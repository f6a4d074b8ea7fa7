import CSndFile
import Foundation

/// A metadata string libsndfile reads or writes (`SF_STR_*`).
public enum AudioTag: String, Sendable, CaseIterable {
    /// `SF_STR_TITLE` (WAV INAM, Vorbis comment TITLE): the prompt.
    case title
    /// `SF_STR_COPYRIGHT`.
    case copyright
    /// `SF_STR_SOFTWARE` (WAV ISFT, Vorbis comment SOFTWARE / ENCODER): `Diffuse <version>`.
    case software
    /// `SF_STR_ARTIST`.
    case artist
    /// `SF_STR_COMMENT` (WAV ICMT, Vorbis comment COMMENT): the JSON request.
    case comment
    /// `SF_STR_DATE` (WAV ICRD, Vorbis comment DATE).
    case date
    /// `SF_STR_ALBUM`.
    case album
    /// `SF_STR_LICENSE`.
    case license
    /// `SF_STR_TRACKNUMBER`.
    case trackNumber
    /// `SF_STR_GENRE`.
    case genre

    /// The `SF_STR_*` constant.
    var sndfileType: Int32 {
        switch self {
        case .title: Int32(SF_STR_TITLE)
        case .copyright: Int32(SF_STR_COPYRIGHT)
        case .software: Int32(SF_STR_SOFTWARE)
        case .artist: Int32(SF_STR_ARTIST)
        case .comment: Int32(SF_STR_COMMENT)
        case .date: Int32(SF_STR_DATE)
        case .album: Int32(SF_STR_ALBUM)
        case .license: Int32(SF_STR_LICENSE)
        case .trackNumber: Int32(SF_STR_TRACKNUMBER)
        case .genre: Int32(SF_STR_GENRE)
        }
    }
}

/// A decoded audio file: samples as normalised floats and the metadata strings present.
public struct AudioFileContents: Sendable, Equatable {
    /// The samples (integer formats scaled by 2⁻¹⁵ / 2⁻²³ …, so full scale is [-1, 1)).
    public var audio: PCMAudio
    /// The strings the file holds.
    public var tags: [AudioTag: String]
    /// libsndfile's `SF_INFO.format` (major format | subtype).
    public var sndfileFormat: Int32
}

/// Reads any file libsndfile reads (WAV, FLAC, Ogg Vorbis/Opus, AIFF, …), for tests and
/// audio-to-audio. WAV INFO strings are read by `WAVInfoChunk` (libsndfile drops strings of
/// 2 KiB and more, and every string after one).
public enum AudioReader {
    /// Reads the whole file at `url`.
    public static func read(contentsOf url: URL) throws -> AudioFileContents {
        let path = url.path
        let operation = "cannot read audio"
        var info = SF_INFO()
        guard let sndfile = sf_open(path, Int32(SFM_READ), &info) else {
            if access(path, R_OK) != 0 { throw MediaIOError.system(operation, path: path, errno: errno) }
            throw MediaIOError(.codec, operation, path: path, String(cString: sf_strerror(nil)))
        }
        var closed = false
        defer { if !closed { _ = sf_close(sndfile) } }
        let channels = Int(info.channels)
        let audioRate = Int(info.samplerate)
        guard channels > 0, channels <= 64, audioRate > 0 else {
            throw MediaIOError(.malformed, operation, path: path, "\(channels) channels at \(audioRate) Hz")
        }
        var samples: [Float] = []
        if info.frames > 0, info.frames < Int64(Int32.max) {
            samples.reserveCapacity(Int(info.frames) * channels)
        }
        let block = 1 << 15
        var buffer = [Float](repeating: 0, count: block * channels)
        while true {
            let got = buffer.withUnsafeMutableBufferPointer { sf_readf_float(sndfile, $0.baseAddress!, sf_count_t(block)) }
            if got < 0 || sf_error(sndfile) != 0 {
                throw MediaIOError(.codec, operation, path: path, "sf_readf_float failed: \(String(cString: sf_strerror(sndfile)))")
            }
            if got == 0 { break }
            samples += buffer[0..<(Int(got) * channels)]
        }
        var tags: [AudioTag: String] = [:]
        for tag in AudioTag.allCases {
            if let value = sf_get_string(sndfile, tag.sndfileType) {
                tags[tag] = String(cString: value)
            }
        }
        if info.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_WAV) {
            tags.merge(WAVInfoChunk.read(path)) { _, direct in direct }
        }
        closed = true
        let status = sf_close(sndfile)
        guard status == 0 else {
            throw MediaIOError(.codec, operation, path: path, "sf_close failed: \(String(cString: sf_error_number(status)))")
        }
        let audio = try PCMAudio(sampleRate: audioRate, channels: channels, samples: samples)
        return AudioFileContents(audio: audio, tags: tags, sndfileFormat: info.format)
    }
}
