import CSndFile

/// An audio container and encoding that `AudioWriter` writes through libsndfile.
public enum AudioFileFormat: Sendable, Equatable, CustomStringConvertible {
    /// WAV, 16-bit signed PCM (`SF_FORMAT_WAV | SF_FORMAT_PCM_16`); the `.wav` default.
    case wavPCM16
    /// WAV, 24-bit signed PCM.
    case wavPCM24
    /// WAV, 32-bit IEEE float (values kept exactly; a PEAK chunk is added by libsndfile).
    case wavFloat32
    /// FLAC, 16-bit; the `.flac` default.
    case flac16
    /// FLAC, 24-bit.
    case flac24
    /// Ogg Vorbis at a VBR quality in [0, 1] (libsndfile's `SFC_SET_VBR_ENCODING_QUALITY`;
    /// 0.5 is about 160 kbit/s stereo at 44.1 kHz); `.ogg` / `.oga` default 0.5.
    case oggVorbis(quality: Double)

    /// The names `init(name:)` accepts, for help texts.
    public static let names = ["wav", "wav16", "wav24", "wav32f", "flac", "flac16", "flac24", "ogg", "vorbis"]

    /// The default format for a file extension (`wav`, `flac`, `ogg`, `oga`; any case).
    public init(fileExtension: String) throws {
        switch fileExtension.lowercased() {
        case "wav", "wave": self = .wavPCM16
        case "flac": self = .flac16
        case "ogg", "oga": self = .oggVorbis(quality: 0.5)
        default:
            throw MediaIOError(.unsupportedFormat, "cannot choose an audio format", path: "",
                               "extension \".\(fileExtension)\" is not one of .wav, .flac, .ogg, .oga")
        }
    }

    /// A format by name, for `--format`: one of `names` (`wav` = `wav16`, `flac` = `flac16`,
    /// `ogg` = `vorbis` at quality 0.5).
    public init(name: String) throws {
        switch name.lowercased() {
        case "wav", "wav16": self = .wavPCM16
        case "wav24": self = .wavPCM24
        case "wav32f", "wavf32", "wavfloat": self = .wavFloat32
        case "flac", "flac16": self = .flac16
        case "flac24": self = .flac24
        case "ogg", "vorbis": self = .oggVorbis(quality: 0.5)
        default:
            throw MediaIOError(.unsupportedFormat, "cannot choose an audio format", path: "",
                               "\"\(name)\" is not one of \(AudioFileFormat.names.joined(separator: ", "))")
        }
    }

    /// A short name, e.g. `WAV PCM 16-bit`.
    public var description: String {
        switch self {
        case .wavPCM16: "WAV PCM 16-bit"
        case .wavPCM24: "WAV PCM 24-bit"
        case .wavFloat32: "WAV float 32-bit"
        case .flac16: "FLAC 16-bit"
        case .flac24: "FLAC 24-bit"
        case let .oggVorbis(quality): "Ogg Vorbis q\(quality)"
        }
    }

    /// The file extensions a file in this format should have.
    public var fileExtensions: [String] {
        switch self {
        case .wavPCM16, .wavPCM24, .wavFloat32: ["wav", "wave"]
        case .flac16, .flac24: ["flac"]
        case .oggVorbis: ["ogg", "oga"]
        }
    }

    /// Full scale of one LSB for integer formats (2⁻¹⁵, 2⁻²³); 0 for float and lossy ones.
    public var quantizationStep: Float {
        switch self {
        case .wavPCM16, .flac16: 1 / 32768
        case .wavPCM24, .flac24: 1 / 8_388_608
        case .wavFloat32, .oggVorbis: 0
        }
    }

    /// libsndfile's `SF_INFO.format` value.
    var sndfileFormat: Int32 {
        switch self {
        case .wavPCM16: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavPCM24: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
        case .wavFloat32: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac16: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .flac24: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        case .oggVorbis: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        }
    }
}
