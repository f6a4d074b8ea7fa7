import Foundation
import MediaIO

/// What the image judge measured (`Models/recipes/eval_image.py: analyze` and `classify_shape`).
public struct ImageAnalysis: Sendable {
    /// The object mask and background colour.
    public var mask: ObjectMask
    /// Object pixels.
    public var area: Int
    /// The per-channel median of the object's interior pixels (of all its pixels when the
    /// interior has fewer than 3), R, G, B; nil without an object (fewer than 4 pixels).
    public var objectColour: [Float]?
    /// The named colour nearest to `objectColour`, or "none".
    public var colour: String
    /// The mask's centroid (x, y), or the canvas centre without an object.
    public var centroid: (x: Double, y: Double)
    /// The shape classifier's input.
    public var features: [Float]
    /// The shape classifier's logits, one per class.
    public var logits: [Double]
    /// Softmax of `logits` (scikit-learn's `predict_proba`).
    public var probabilities: [Double]
    /// The predicted shape, or "none" without an object.
    public var shape: String
    /// The centroid's column third: "left", "center" or "right".
    public var column: String
    /// The centroid's row third: "top", "center" or "bottom".
    public var row: String
}

/// The prompt-adherence judge of Diffuse's default image model, a port of
/// `Models/recipes/eval_image.py` (same mask, thresholds and classifier):
/// colour = nearest named colour (`data_image.COLORS`) to the object's median interior pixel;
/// shape = the logistic-regression classifier on the mask's features
/// (`eval/shape_classifier.json`); position = the mask centroid's third of the canvas (±2 pixels
/// of slack at 64 px, scaled with the size), corners needing both. `mainPassed` is colour and
/// shape both right. eval_image.py only sees 64×64 images; other sizes are judged with the same
/// rules relative to the size. One deliberate change: an image with no object fails its position
/// (eval_image.py puts a missing object at the canvas centre, so "in the center" passed).
public enum ImageEvaluator {
    /// Judges `image` against `prompt` with the bundled `Models/diffuse-image-64` classifier.
    public static func judge(_ image: RGBImage, prompt: String) throws -> Adherence {
        try judge(image, prompt: prompt, modelFolder: EvaluatorFiles.bundledImageModel())
    }

    /// Judges with the classifier of `folder/eval/shape_classifier.json`.
    public static func judge(_ image: RGBImage, prompt: String, modelFolder folder: URL) throws -> Adherence {
        judge(image, prompt: prompt, classifier: try ShapeClassifier(modelFolder: folder))
    }

    /// Judges with a classifier already loaded (for many images).
    public static func judge(_ image: RGBImage, prompt: String, classifier: ShapeClassifier) -> Adherence {
        let asked = ImagePromptAttributes(prompt: prompt)
        let a = analyze(image, classifier: classifier)
        var judgements: [AttributeJudgement] = []
        if let colour = asked.colour {
            judgements.append(AttributeJudgement(attribute: "colour", expected: colour, observed: a.colour,
                                                 passed: a.colour == colour))
        }
        if let shape = asked.shape {
            judgements.append(AttributeJudgement(attribute: "shape", expected: shape, observed: a.shape,
                                                 passed: a.shape == shape))
        }
        if let position = asked.position {
            let observed = a.row == a.column ? "center" : [a.row, a.column].filter { $0 != "center" }.joined(separator: " ")
            judgements.append(AttributeJudgement(attribute: "position", expected: position,
                                                 observed: a.objectColour == nil ? "none" : observed,
                                                 passed: a.objectColour != nil && positionMatches(position, column: a.column, row: a.row)))
        }
        let main = judgements.filter { $0.attribute == "colour" || $0.attribute == "shape" }
        return Adherence(judgements: judgements, mainPassed: main.isEmpty ? nil : main.allSatisfy(\.passed))
    }

    /// eval_image.py's `analyze` and `classify_shape` of `image`.
    public static func analyze(_ image: RGBImage, classifier: ShapeClassifier) -> ImageAnalysis {
        let mask = ObjectMask(image, threshold: classifier.maskThreshold)
        let area = mask.area
        let features = classifier.maskFeatures(mask)
        let logits = classifier.logits(features)
        let probabilities = softmax(logits)
        let (w, h) = (Double(image.width), Double(image.height))
        guard area >= 4, let centroid = mask.centroid else {
            let (column, row) = thirds(x: w / 2, y: h / 2, width: w, height: h)
            return ImageAnalysis(mask: mask, area: area, objectColour: nil, colour: "none", centroid: (w / 2, h / 2),
                                 features: features, logits: logits, probabilities: probabilities, shape: "none",
                                 column: column, row: row)
        }
        let interior = mask.interior
        let pixels = interior.reduce(0) { $0 + ($1 ? 1 : 0) } >= 3 ? interior : mask.mask
        let median = ObjectMask.medianColour([image], [pixels])
        let best = logits.firstIndex(of: logits.max()!)!           // np.argmax: the first maximum
        let (column, row) = thirds(x: centroid.x, y: centroid.y, width: w, height: h)
        return ImageAnalysis(mask: mask, area: area, objectColour: median, colour: ObjectMask.nearestColour(median),
                             centroid: centroid, features: features, logits: logits, probabilities: probabilities,
                             shape: classifier.classes[best], column: column, row: row)
    }

    /// eval_image.py's `position_ok` thirds: left if x < W/3 + 2, right if x > 2W/3 − 2 (the 2
    /// pixels of a 64-pixel canvas scaled with the size), else center; rows likewise.
    static func thirds(x: Double, y: Double, width: Double, height: Double) -> (column: String, row: String) {
        let (sx, sy) = (2 * width / 64, 2 * height / 64)
        let column = x < width / 3 + sx ? "left" : x > 2 * width / 3 - sx ? "right" : "center"
        let row = y < height / 3 + sy ? "top" : y > 2 * height / 3 - sy ? "bottom" : "center"
        return (column, row)
    }

    /// eval_image.py's `position_ok`: "in the center" needs both centred; otherwise each of
    /// left/right/top/bottom the position names must match.
    static func positionMatches(_ position: String, column: String, row: String) -> Bool {
        if position == "in the center" { return column == "center" && row == "center" }
        let wantColumn = position.contains("left") ? "left" : position.contains("right") ? "right" : nil
        let wantRow = position.contains("top") ? "top" : position.contains("bottom") ? "bottom" : nil
        return (wantColumn == nil || column == wantColumn) && (wantRow == nil || row == wantRow)
    }

    static func softmax(_ z: [Double]) -> [Double] {
        guard let top = z.max() else { return [] }
        let e = z.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
