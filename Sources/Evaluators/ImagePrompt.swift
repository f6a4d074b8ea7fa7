/// The vocabulary of Diffuse's default image and video models (`Models/recipes/data_image.py`:
/// `COLORS`, `SHAPES`, `POSITIONS`; `data_video.py`: `NOUNS`).
public enum ImageVocabulary {
    /// `data_image.COLORS`: the ten named colours and their RGB, in `COLOR_NAMES` order (the
    /// order breaks ties of the nearest-colour judge, as `np.argmin` does).
    public static let colours: [(name: String, rgb: (Float, Float, Float))] = [
        ("red", (220, 30, 35)), ("green", (35, 165, 60)), ("blue", (35, 75, 225)), ("yellow", (240, 220, 40)),
        ("orange", (245, 140, 25)), ("purple", (135, 50, 190)), ("pink", (245, 135, 195)), ("cyan", (45, 210, 225)),
        ("white", (245, 245, 245)), ("black", (20, 20, 20)),
    ]
    /// `data_image.SHAPES`.
    public static let shapes = ["circle", "square", "triangle", "star", "ring"]
    /// Shape words → shape (`data_video.NOUNS`: "ball" is a circle, "box" a square; plurals too).
    static let shapeWords: [String: String] = [
        "circle": "circle", "circles": "circle", "ball": "circle", "balls": "circle",
        "square": "square", "squares": "square", "box": "square", "boxes": "square",
        "triangle": "triangle", "triangles": "triangle", "star": "star", "stars": "star",
        "ring": "ring", "rings": "ring",
    ]
    /// Position phrases → `data_image.POSITIONS` name, longest phrases first.
    static let positionPhrases: [(String, String)] = [
        ("in the top left corner", "in the top left corner"), ("in the top right corner", "in the top right corner"),
        ("in the bottom left corner", "in the bottom left corner"),
        ("in the bottom right corner", "in the bottom right corner"),
        ("top left corner", "in the top left corner"), ("top right corner", "in the top right corner"),
        ("bottom left corner", "in the bottom left corner"), ("bottom right corner", "in the bottom right corner"),
        ("in the top left", "in the top left corner"), ("in the top right", "in the top right corner"),
        ("in the bottom left", "in the bottom left corner"), ("in the bottom right", "in the bottom right corner"),
        ("on the left", "on the left"), ("on the right", "on the right"),
        ("at the top", "at the top"), ("at the bottom", "at the bottom"),
        ("in the center", "in the center"), ("in the centre", "in the center"), ("in the middle", "in the center"),
    ]
    static let colourNames = Set(colours.map(\.name))
}

/// What an image prompt asks for, read with the training captions' vocabulary
/// (`data_image.py: caption`): the object's colour, its shape and its position. A word outside
/// the vocabulary leaves its attribute nil (not judged).
public struct ImagePromptAttributes: Sendable, Equatable {
    /// One of `ImageVocabulary.colours`' names: the object's colour, not the background's.
    public var colour: String?
    /// One of `ImageVocabulary.shapes`.
    public var shape: String?
    /// One of `data_image.POSITIONS`' names ("in the top left corner", "on the left", …).
    public var position: String?

    /// Attributes given directly.
    public init(colour: String?, shape: String?, position: String?) {
        self.colour = colour
        self.shape = shape
        self.position = position
    }

    /// Reads `prompt`.
    public init(prompt: String) {
        let words = PromptWords(prompt)
        let (colour, shape) = ImagePromptAttributes.objectColourAndShape(words)
        self.colour = colour
        self.shape = shape
        position = words.firstMatch(ImageVocabulary.positionPhrases)
    }

    /// The shape named first, and the object's colour: the last colour word before that shape
    /// word that is not a background's ("a blue background with a red circle" → red), else (no
    /// shape word) the first colour word that is not a background's.
    static func objectColourAndShape(_ words: PromptWords) -> (colour: String?, shape: String?) {
        let w = words.words
        let isObjectColour = { (i: Int) in ImageVocabulary.colourNames.contains(w[i]) && !isBackground(w, i) }
        guard let s = w.firstIndex(where: { ImageVocabulary.shapeWords[$0] != nil }) else {
            return (w.indices.first(where: isObjectColour).map { w[$0] }, nil)
        }
        let colour = w.indices[..<s].last(where: isObjectColour) ?? w.indices.first(where: isObjectColour)
        return (colour.map { w[$0] }, ImageVocabulary.shapeWords[w[s]])
    }

    /// Whether the colour word at `i` names a background (`data_image.bg_phrase`): followed by
    /// "background", "striped", "dotted" or "dots", or after "on"/"against" (with or without an
    /// article) or "striped"/"dotted".
    static func isBackground(_ w: [String], _ i: Int) -> Bool {
        let next = i + 1 < w.count ? w[i + 1] : ""
        if ["background", "striped", "dotted", "dots"].contains(next) { return true }
        let before = i >= 1 ? w[i - 1] : ""
        let twoBefore = i >= 2 ? w[i - 2] : ""
        if before == "on" || before == "against" { return true }
        if ["a", "an"].contains(before), ["on", "against"].contains(twoBefore) { return true }
        if ["striped", "dotted"].contains(before) { return true }
        return false
    }
}
