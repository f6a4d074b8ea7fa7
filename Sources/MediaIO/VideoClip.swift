/// A short video in memory: frames of one size shown at an exact frame rate, frame `i`
/// from `i / fps` to `(i + 1) / fps` seconds (so the clip lasts `frames / fps` seconds).
/// `VideoWriter` encodes it; `ModalityAdapter.decode` for video produces it.
public struct VideoClip: Sendable, Equatable {
    /// The frames in display order; at least one, all `width × height`.
    public let frames: [RGBImage]
    /// The exact frame rate.
    public let frameRate: VideoFrameRate

    /// The most frames a clip may have (about 28 minutes at 60 fps): more is a mistake
    /// (e.g. seconds taken for frames), not a short generated video.
    public static let maximumFrames = 100_000

    /// A clip of `frames` at `frameRate`; throws for no frames, more than `maximumFrames`,
    /// or frames of different sizes (naming the first one that differs).
    public init(frames: [RGBImage], frameRate: VideoFrameRate) throws {
        let operation = "cannot make a video clip"
        guard !frames.isEmpty else {
            throw MediaIOError(.invalidInput, operation, path: "", "it has 0 frames: a clip needs at least 1")
        }
        guard frames.count <= Self.maximumFrames else {
            throw MediaIOError(.invalidInput, operation, path: "",
                               "it has \(frames.count) frames: at most \(Self.maximumFrames) are allowed")
        }
        let first = frames[0]
        if let bad = frames.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
            throw MediaIOError(.invalidInput, operation, path: "",
                               "frame \(bad) is \(frames[bad].width)x\(frames[bad].height) but frame 0 is \(first.width)x\(first.height)")
        }
        self.frames = frames
        self.frameRate = frameRate
    }

    /// A clip at `fps` frames per second (see `VideoFrameRate.init(fps:)`); throws for
    /// 0, negative, NaN or infinite rates as well as for bad frames.
    public init(frames: [RGBImage], fps: Double) throws {
        try self.init(frames: frames, frameRate: VideoFrameRate(fps: fps))
    }

    /// Pixels per row of every frame.
    public var width: Int { frames[0].width }
    /// Rows of every frame.
    public var height: Int { frames[0].height }
    /// Length in seconds: `frames.count · denominator / numerator`.
    public var duration: Double {
        Double(frames.count) * Double(frameRate.denominator) / Double(frameRate.numerator)
    }
}
