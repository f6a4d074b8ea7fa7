import Foundation
import MediaIO

/// What the video judge measured (`Models/recipes/eval_video.py: track`).
public struct VideoTrack: Sendable {
    /// Per frame: the object's centroid (x, y), nil where its mask has fewer than 4 pixels.
    public var centroids: [(x: Double, y: Double)?]
    /// The line fit's displacement from the first to the last frame (dx, dy), pixels; (0, 0)
    /// when the object is lost.
    public var displacement: (dx: Double, dy: Double)
    /// One of `MotionVocabulary.directions`' names, "static" (under 6 pixels at 64 px) or "lost"
    /// (the object found in fewer than half the frames).
    public var direction: String
    /// Per-channel median of the object's pixels over all frames, R, G, B; nil when lost.
    public var objectColour: [Float]?
    /// The named colour nearest to `objectColour`, or "none".
    public var colour: String
}

/// The prompt-adherence judge of Diffuse's default video model, a port of
/// `Models/recipes/eval_video.py`: each frame's object mask as in eval_image.py (threshold 55);
/// the centroid track is fitted with a line (least squares over the frames where the object is
/// found); the fitted displacement from the first to the last frame is one of the eight
/// directions (the nearest unit vector) or "static" under 6 pixels; colour = nearest named
/// colour to the median object pixel over all frames. `mainPassed` is the direction. The clip's
/// shape is not judged (eval_video.py has no shape judge). eval_video.py sees 64×64 frames;
/// other sizes scale the 6-pixel threshold with the smaller side.
public enum VideoEvaluator {
    /// The mask threshold of eval_image.py's `object_mask`.
    public static let maskThreshold: Float = 55

    /// Judges `clip` against `prompt` (needs no evaluator file).
    public static func judge(_ clip: VideoClip, prompt: String) throws -> Adherence {
        let asked = VideoPromptAttributes(prompt: prompt)
        let t = track(clip)
        var judgements: [AttributeJudgement] = []
        if let direction = asked.direction {
            judgements.append(AttributeJudgement(attribute: "direction", expected: direction, observed: t.direction,
                                                 passed: t.direction == direction))
        }
        if let colour = asked.colour {
            judgements.append(AttributeJudgement(attribute: "colour", expected: colour, observed: t.colour,
                                                 passed: t.colour == colour))
        }
        return Adherence(judgements: judgements, mainPassed: judgements.first { $0.attribute == "direction" }?.passed)
    }

    /// eval_video.py's `track` of `clip`.
    public static func track(_ clip: VideoClip) -> VideoTrack {
        var centroids: [(x: Double, y: Double)?] = []
        var masks: [[Bool]] = []
        for frame in clip.frames {
            let mask = ObjectMask(frame, threshold: maskThreshold)
            if mask.area >= 4, let c = mask.centroid {
                centroids.append(c)
                masks.append(mask.mask)
            } else {
                centroids.append(nil)
                masks.append([Bool](repeating: false, count: mask.mask.count))
            }
        }
        let found = centroids.enumerated().compactMap { f, c in c.map { (t: Double(f), x: $0.x, y: $0.y) } }
        let frames = clip.frames.count
        guard found.count >= frames / 2, !found.isEmpty else {
            return VideoTrack(centroids: centroids, displacement: (0, 0), direction: "lost", objectColour: nil, colour: "none")
        }
        // np.linalg.lstsq of [t, 1] against x and y: the slopes of the least-squares lines
        let n = Double(found.count)
        let tMean = found.reduce(0) { $0 + $1.t } / n
        let xMean = found.reduce(0) { $0 + $1.x } / n
        let yMean = found.reduce(0) { $0 + $1.y } / n
        let tt = found.reduce(0) { $0 + ($1.t - tMean) * ($1.t - tMean) }
        let sx = tt > 0 ? found.reduce(0) { $0 + ($1.t - tMean) * ($1.x - xMean) } / tt : 0
        let sy = tt > 0 ? found.reduce(0) { $0 + ($1.t - tMean) * ($1.y - yMean) } / tt : 0
        let d = (dx: sx * Double(frames - 1), dy: sy * Double(frames - 1))
        let median = ObjectMask.medianColour(clip.frames, masks)
        let colour = ObjectMask.nearestColour(median)
        let length = (d.dx * d.dx + d.dy * d.dy).squareRoot()
        let staticLimit = 6 * Double(min(clip.width, clip.height)) / 64
        guard length >= staticLimit, length > 0 else {
            return VideoTrack(centroids: centroids, displacement: d, direction: "static", objectColour: median, colour: colour)
        }
        var best = MotionVocabulary.directions[0].name
        var bestDot = -Double.infinity
        for direction in MotionVocabulary.directions {
            let norm = Float((direction.dx * direction.dx + direction.dy * direction.dy).squareRoot())
            let (ux, uy) = (Double(direction.dx / norm), Double(direction.dy / norm))   // float32 unit vectors, as DIRS
            let dot = ux * d.dx / length + uy * d.dy / length
            if dot > bestDot { best = direction.name; bestDot = dot }
        }
        return VideoTrack(centroids: centroids, displacement: d, direction: best, objectColour: median, colour: colour)
    }
}
