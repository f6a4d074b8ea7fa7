/// The directions of motion of Diffuse's default video model (`Models/recipes/data_video.py`:
/// `DIRECTIONS`, `DIRECTION_PHRASES`).
public enum MotionVocabulary {
    /// `data_video.DIRECTIONS`: name → unit direction (dx, dy) in image coordinates (y grows
    /// downwards), in dictionary order (the order breaks ties of the direction judge, as
    /// eval_video.py's `max` over the dictionary does).
    public static let directions: [(name: String, dx: Float, dy: Float)] = [
        ("left to right", 1, 0), ("right to left", -1, 0), ("up", 0, -1), ("down", 0, 1),
        ("top left to bottom right", 1, 1), ("bottom right to top left", -1, -1),
        ("top right to bottom left", -1, 1), ("bottom left to top right", 1, -1),
    ]
    /// Direction phrases (with "the" removed from the prompt) → direction, most specific first:
    /// every phrase of `DIRECTION_PHRASES` ("moving from left to right", "moving to the right",
    /// "rising from the bottom to the top", "moving diagonally from the top left to the bottom
    /// right", …) and plain verbs ("upwards", "falling").
    static let phrases: [(String, String)] = [
        ("top left to bottom right", "top left to bottom right"), ("bottom right to top left", "bottom right to top left"),
        ("top right to bottom left", "top right to bottom left"), ("bottom left to top right", "bottom left to top right"),
        ("left to right", "left to right"), ("right to left", "right to left"),
        ("bottom to top", "up"), ("top to bottom", "down"),
        ("to right", "left to right"), ("to left", "right to left"),
        ("rightwards", "left to right"), ("leftwards", "right to left"),
        ("up", "up"), ("upwards", "up"), ("upward", "up"), ("rising", "up"), ("ascending", "up"),
        ("down", "down"), ("downwards", "down"), ("downward", "down"), ("falling", "down"),
        ("descending", "down"), ("sinking", "down"),
    ]
    /// `data_video.OTHER_MOTIONS` words: the object does not travel in one direction.
    static let otherMotions: Set<String> = ["bouncing", "bounces", "growing", "shrinking", "rotating", "spinning",
                                            "bigger", "smaller"]
}

/// What a video prompt asks for (`data_video.py: caption`): the object's colour and shape, and
/// its direction of motion. A word outside the vocabulary leaves its attribute nil; a prompt
/// naming a motion that is not a direction (bouncing, growing, shrinking, rotating) has none.
public struct VideoPromptAttributes: Sendable, Equatable {
    /// One of `ImageVocabulary.colours`' names.
    public var colour: String?
    /// One of `ImageVocabulary.shapes` (not judged: eval_video.py has no shape judge).
    public var shape: String?
    /// One of `MotionVocabulary.directions`' names.
    public var direction: String?

    /// Reads `prompt`.
    public init(prompt: String) {
        let words = PromptWords(prompt)
        (colour, shape) = ImagePromptAttributes.objectColourAndShape(words)
        if words.words.contains(where: { MotionVocabulary.otherMotions.contains($0) }) {
            direction = nil
        } else {
            direction = words.removing(["the"]).firstMatch(MotionVocabulary.phrases)
        }
    }
}
