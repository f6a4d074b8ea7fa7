/// A frame rate as an exact fraction `numerator / denominator` frames per second, like
/// FFmpeg's `AVRational` (`30000/1001` is NTSC's 29.97). Frame `i` starts at
/// `i · denominator / numerator` seconds; writers use `denominator / numerator` as the
/// encoder's time base, so every timestamp is exact.
public struct VideoFrameRate: Sendable, Equatable, CustomStringConvertible {
    /// Frames per `denominator` seconds; in 1…1_000_000.
    public let numerator: Int32
    /// Seconds (as a divisor); in 1…1_000_000.
    public let denominator: Int32

    /// The largest rate accepted, in frames per second.
    public static let maximumFramesPerSecond: Double = 1000

    /// `numerator / denominator` frames per second, both positive, at most 1000 fps.
    public init(_ numerator: Int, _ denominator: Int = 1) throws {
        guard numerator > 0, denominator > 0, numerator <= 1_000_000, denominator <= 1_000_000 else {
            throw MediaIOError(.invalidInput, "cannot make a frame rate", path: "",
                               "\(numerator)/\(denominator) fps is invalid: both parts must be between 1 and 1000000")
        }
        guard Double(numerator) / Double(denominator) <= Self.maximumFramesPerSecond else {
            throw MediaIOError(.invalidInput, "cannot make a frame rate", path: "",
                               "\(numerator)/\(denominator) fps is above \(Int(Self.maximumFramesPerSecond)) fps")
        }
        let g = Self.gcd(numerator, denominator)
        self.numerator = Int32(numerator / g)
        self.denominator = Int32(denominator / g)
    }

    /// The fraction closest to `fps` with a denominator of at most 1001 (so 8 → 8/1,
    /// 29.97002997 → 30000/1001, 12.5 → 25/2); throws for 0, negative, NaN, infinite or
    /// more than 1000 fps.
    public init(fps: Double) throws {
        guard fps.isFinite, fps > 0, fps <= Self.maximumFramesPerSecond else {
            throw MediaIOError(.invalidInput, "cannot make a frame rate", path: "",
                               "\(fps) fps is invalid: it must be finite, above 0 and at most \(Int(Self.maximumFramesPerSecond))")
        }
        var best = (num: max(1, Int(fps.rounded())), den: 1)
        var bestError = abs(Double(best.num) - fps)
        for den in 1...1001 where bestError > 1e-9 {
            let num = Int((fps * Double(den)).rounded())
            guard num >= 1 else { continue }
            let error = abs(Double(num) / Double(den) - fps)
            if error < bestError - 1e-12 {
                best = (num, den)
                bestError = error
            }
        }
        try self.init(best.num, best.den)
    }

    /// Frames per second as a `Double`.
    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }

    /// `numerator/denominator`, or just the numerator when the denominator is 1.
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
