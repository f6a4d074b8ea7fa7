import Foundation

/// eval_image.py's shape classifier, read from the JSON that
/// `Models/recipes/export_eval_classifiers.py` writes (`<image model>/eval/shape_classifier.json`):
/// a multinomial logistic regression (scikit-learn `LogisticRegression`) over `maskFeatures`.
public struct ShapeClassifier: Sendable, Equatable {
    /// Shape names in class order.
    public let classes: [String]
    /// Side of the square the mask's bounding box is resized to (eval_image.py's `CROP`, 20).
    public let crop: Int
    /// The object mask's distance threshold (eval_image.py's `object_mask`, 55).
    public let maskThreshold: Float
    /// [classes, crop² + 3], row-major.
    public let coef: [Double]
    /// [classes].
    public let intercept: [Double]

    /// Features per mask: the crop's pixels, then fill, centre and aspect.
    public var featureCount: Int { crop * crop + 3 }

    /// Reads `url`; throws `EvaluatorError` naming the file and what is wrong (missing file or
    /// key, wrong shapes, non-finite numbers).
    public init(contentsOf url: URL) throws {
        let json = try EvaluatorJSON(contentsOf: url, hint: "run Models/recipes/export_eval_classifiers.py")
        classes = try json.strings("classes")
        let crop = try json.number("crop")
        guard crop >= 3, crop <= 256, crop == crop.rounded() else {
            throw EvaluatorError(path: url.path, "\"crop\" must be a whole number in 3...256, got \(crop)")
        }
        self.crop = Int(crop)
        let threshold = try json.number("mask_threshold")
        guard threshold > 0 else {
            throw EvaluatorError(path: url.path, "\"mask_threshold\" must be positive, got \(threshold)")
        }
        maskThreshold = Float(threshold)
        coef = try json.matrix("coef", rows: classes.count, columns: self.crop * self.crop + 3)
        intercept = try json.numbers("intercept", count: classes.count)
    }

    /// The classifier of `folder/eval/shape_classifier.json` (an image model folder).
    public init(modelFolder folder: URL) throws {
        try self.init(contentsOf: folder.appendingPathComponent("eval").appendingPathComponent("shape_classifier.json"))
    }

    /// `coef @ features + intercept` (float64, as scikit-learn's `decision_function`).
    public func logits(_ features: [Float]) -> [Double] {
        let n = featureCount
        return (0..<classes.count).map { k in
            var sum = intercept[k]
            for j in 0..<n { sum += coef[k * n + j] * Double(features[j]) }
            return sum
        }
    }

    /// `eval_image.mask_features`: zeros for fewer than 4 object pixels; else the mask's
    /// bounding box as a 0/255 grey image resized to `crop` × `crop` with Pillow's bilinear
    /// filter, divided by 255 (row-major), then the box's fill fraction, the mean of the crop's
    /// middle third, and the box's aspect (width / height), all float32.
    public func maskFeatures(_ mask: ObjectMask) -> [Float] {
        var features = [Float](repeating: 0, count: featureCount)
        let (w, h) = (mask.width, mask.height)
        var x0 = w, x1 = 0, y0 = h, y1 = 0, count = 0
        for y in 0..<h {
            for x in 0..<w where mask.mask[y * w + x] {
                x0 = min(x0, x); x1 = max(x1, x + 1); y0 = min(y0, y); y1 = max(y1, y + 1)
                count += 1
            }
        }
        guard count >= 4 else { return features }
        let (bw, bh) = (x1 - x0, y1 - y0)
        var box = [UInt8](repeating: 0, count: bw * bh)  // [bh, bw]
        var filled = 0
        for y in 0..<bh {
            for x in 0..<bw where mask.mask[(y + y0) * w + x + x0] {
                box[y * bw + x] = 255
                filled += 1
            }
        }
        let resized = pillowBilinearResize(box, width: bw, height: bh, outWidth: crop, outHeight: crop)
        for i in 0..<(crop * crop) { features[i] = Float(resized[i]) / 255 }
        var centre = 0.0
        let (lo, hi) = (crop / 3, 2 * crop / 3)
        for y in lo..<hi {
            for x in lo..<hi { centre += Double(features[y * crop + x]) }
        }
        let n = crop * crop
        features[n] = Float(Double(filled) / Double(bw * bh))
        features[n + 1] = Float(centre / Double((hi - lo) * (hi - lo)))
        features[n + 2] = Float(Double(bw) / Double(max(1, bh)))
        return features
    }
}
