/// A clip of audio: `channels` interleaved Float samples per frame at `sampleRate` frames per
/// second; full scale is [-1, 1] (libsndfile's normalised float convention).
public struct PCMAudio: Sendable, Equatable {
    /// Frames per second (e.g. 16000 for AudioLDM).
    public let sampleRate: Int
    /// Samples per frame (1 = mono, 2 = stereo: L, R).
    public let channels: Int
    /// `frameCount * channels` samples, interleaved: frame 0 channel 0, frame 0 channel 1, …
    public let samples: [Float]

    /// A clip from interleaved samples; throws for a non-positive rate or channel count, or
    /// a sample count that is not a whole number of frames.
    public init(sampleRate: Int, channels: Int, samples: [Float]) throws {
        guard sampleRate > 0, sampleRate <= 1_000_000 else {
            throw MediaIOError(.invalidInput, "cannot make an audio clip", path: "",
                               "sample rate \(sampleRate) Hz is invalid: it must be between 1 and 1000000")
        }
        guard channels > 0, channels <= 64 else {
            throw MediaIOError(.invalidInput, "cannot make an audio clip", path: "",
                               "channel count \(channels) is invalid: it must be between 1 and 64")
        }
        guard samples.count % channels == 0 else {
            throw MediaIOError(.invalidInput, "cannot make an audio clip", path: "",
                               "\(samples.count) samples are not a whole number of \(channels)-channel frames")
        }
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// A mono clip (e.g. a vocoder's waveform).
    public init(sampleRate: Int, mono samples: [Float]) throws {
        try self.init(sampleRate: sampleRate, channels: 1, samples: samples)
    }

    /// Frames (samples per channel).
    public var frameCount: Int { samples.count / channels }

    /// Length in seconds: `frameCount / sampleRate`.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The largest `|sample|` (NaN if any sample is NaN); 0 for a silent clip.
    public var peak: Float {
        var peak: Float = 0
        for s in samples {
            if s.isNaN { return .nan }
            peak = Swift.max(peak, Swift.abs(s))
        }
        return peak
    }

    /// The position of the first NaN or infinite sample as (frame, channel), or nil.
    public var firstNonFinite: (frame: Int, channel: Int)? {
        guard let i = samples.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (i / channels, i % channels)
    }
}
