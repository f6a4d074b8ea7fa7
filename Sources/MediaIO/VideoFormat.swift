/// A video container and codec that `VideoWriter` writes through FFmpeg.
public enum VideoFormat: Sendable, Equatable, CustomStringConvertible {
    /// MP4: H.264 (libx264, `yuv420p`, CRF) + optional AAC soundtrack, `+faststart`,
    /// metadata as `mdta` keys (`movflags=+use_metadata_tags`). The `.mp4` / `.m4v` default.
    case mp4
    /// WebM: VP9 (libvpx-vp9, `yuv420p`, constant quality: CRF with `b:v 0`) + optional
    /// Opus soundtrack (libopus, 48 kHz), metadata as Matroska tags. The `.webm` default.
    case webm
    /// Animated GIF (FFmpeg's `gif` encoder on `pal8`) with one 256-colour median-cut palette
    /// for the whole clip (`GIFPalette`), Floyd–Steinberg dithered when `dither` is true,
    /// looping forever; metadata in a GIF comment extension. Timing is quantised to GIF's
    /// 1/100 s: frame `i` starts at `round(i · 100 / fps)` hundredths. No soundtrack.
    case gif(dither: Bool = true)
    /// One PNG per frame (`PNGWriter`, each with the metadata text chunks), into a folder
    /// (`frame_0001.png`, …) or to a printf pattern such as `out/shot_%04d.png`; numbering
    /// starts at 1 (as FFmpeg's `image2` muxer). No soundtrack.
    case pngSequence

    /// The default format for a path: `.mp4`/`.m4v`, `.webm`, `.gif`, or a `.png` path with a
    /// printf frame-number pattern (`%d`, `%04d`); any case.
    public init(path: String) throws {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.contains(".") ? String(name.split(separator: ".").last!).lowercased() : ""
        switch ext {
        case "mp4", "m4v": self = .mp4
        case "webm": self = .webm
        case "gif": self = .gif()
        case "png" where VideoFormat.framePattern(in: name) != nil: self = .pngSequence
        case "png":
            throw MediaIOError(.unsupportedFormat, "cannot choose a video format", path: path,
                               "a PNG sequence needs a frame-number pattern such as frame_%04d.png")
        default:
            throw MediaIOError(.unsupportedFormat, "cannot choose a video format", path: path,
                               ext.isEmpty ? "the name has no extension: use .mp4, .webm, .gif or a frame_%04d.png pattern"
                                           : "extension \".\(ext)\" is not one of .mp4, .m4v, .webm, .gif, .png (with %04d)")
        }
    }

    /// A short name, e.g. `MP4 (H.264)`.
    public var description: String {
        switch self {
        case .mp4: "MP4 (H.264)"
        case .webm: "WebM (VP9)"
        case let .gif(dither): dither ? "GIF (dithered)" : "GIF"
        case .pngSequence: "PNG sequence"
        }
    }

    /// Whether the format can carry a soundtrack.
    public var supportsSoundtrack: Bool {
        switch self {
        case .mp4, .webm: true
        case .gif, .pngSequence: false
        }
    }

    /// The range of a `%d` / `%0Nd` pattern (N in 1…9) in a file name, the only `%`, or nil.
    static func framePattern(in name: String) -> Range<String.Index>? {
        guard let percent = name.firstIndex(of: "%") else { return nil }
        var i = name.index(after: percent)
        var digits = ""
        while i < name.endIndex, name[i].isASCII, name[i].isNumber {
            digits.append(name[i])
            i = name.index(after: i)
        }
        let width = digits.isEmpty || (digits.count == 2 && digits.first == "0" && digits.last != "0")
        guard i < name.endIndex, name[i] == "d", width else { return nil }
        let range = percent..<name.index(after: i)
        guard !name[range.upperBound...].contains("%") else { return nil }
        return range
    }
}

/// How hard a lossy video codec compresses: a named level or the codec's own CRF value.
/// GIF and PNG sequences ignore it (GIF is limited by its palette, PNG is lossless).
public enum VideoQuality: Sendable, Equatable {
    /// Visually near-lossless: x264 CRF 18, VP9 CRF 24.
    case high
    /// The codecs' usual defaults: x264 CRF 23, VP9 CRF 32.
    case medium
    /// Small files: x264 CRF 28, VP9 CRF 40.
    case low
    /// The encoder's CRF directly: 0…51 for x264 (0 is lossless), 0…63 for VP9.
    case crf(Int)

    /// The CRF for `format`, or an error naming the valid range.
    func crf(for format: VideoFormat, path: String) throws -> Int {
        switch (self, format) {
        case (.high, .mp4): return 18
        case (.medium, .mp4): return 23
        case (.low, .mp4): return 28
        case (.high, _): return 24
        case (.medium, _): return 32
        case (.low, _): return 40
        case let (.crf(value), _):
            let limit = format == .mp4 ? 51 : 63
            guard (0...limit).contains(value) else {
                throw MediaIOError(.invalidInput, "cannot write video", path: path,
                                   "CRF \(value) is outside 0…\(limit) for \(format)")
            }
            return value
        }
    }
}
