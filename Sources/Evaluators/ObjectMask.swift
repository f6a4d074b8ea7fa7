import MediaIO

/// The object of a one-object scene, found as `Models/recipes/eval_image.py: object_mask` finds it:
/// the background colour is the per-channel median of the border pixels (top row, bottom row,
/// left column, right column, corners counted twice); the object is every pixel whose RGB
/// distance from it exceeds a threshold (55).
public struct ObjectMask: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height` flags, row-major: true where the pixel is the object's.
    public let mask: [Bool]
    /// The background colour (median border pixel), R, G, B in 0…255.
    public let background: [Float]

    /// The object mask of `image` with `threshold` (`dist > threshold`, float32 as numpy).
    public init(_ image: RGBImage, threshold: Float = 55) {
        let (w, h) = (image.width, image.height)
        let p = image.pixels
        var border: [[Float]] = [[], [], []]
        func add(_ x: Int, _ y: Int) {
            for c in 0..<3 { border[c].append(Float(p[(y * w + x) * 3 + c])) }
        }
        for x in 0..<w { add(x, 0) }
        for x in 0..<w { add(x, h - 1) }
        for y in 0..<h { add(0, y) }
        for y in 0..<h { add(w - 1, y) }
        let bg = border.map(ObjectMask.median)
        var mask = [Bool](repeating: false, count: w * h)
        p.withUnsafeBufferPointer { px in
            for i in 0..<(w * h) {
                let d0 = Float(px[i &* 3]) - bg[0], d1 = Float(px[i &* 3 &+ 1]) - bg[1], d2 = Float(px[i &* 3 &+ 2]) - bg[2]
                mask[i] = (d0 * d0 + d1 * d1 + d2 * d2).squareRoot() > threshold
            }
        }
        width = w
        height = h
        self.mask = mask
        background = bg
    }

    /// Object pixels.
    public var area: Int { mask.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// The mean (x, y) of the object's pixels (numpy `xs.mean(), ys.mean()`), nil for no pixel.
    public var centroid: (x: Double, y: Double)? {
        var sx = 0.0, sy = 0.0, n = 0
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                sx += Double(x)
                sy += Double(y)
                n += 1
            }
        }
        return n == 0 ? nil : (sx / Double(n), sy / Double(n))
    }

    /// The mask eroded by one pixel against its four neighbours (those inside the image), as
    /// eval_image.py's `analyze` does to take the colour away from anti-aliased edges.
    public var interior: [Bool] {
        var inner = mask
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                let i = y * width + x
                if (y > 0 && !mask[i - width]) || (y < height - 1 && !mask[i + width])
                    || (x > 0 && !mask[i - 1]) || (x < width - 1 && !mask[i + 1]) {
                    inner[i] = false
                }
            }
        }
        return inner
    }

    /// `np.median` of float32 values: the middle value, or the mean of the two middle values.
    static func median(_ values: [Float]) -> Float {
        precondition(!values.isEmpty, "median of no values")
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// The per-channel median of the pixels of `image` where `selected` is true, R, G, B.
    static func medianColour(_ images: [RGBImage], _ selected: [[Bool]]) -> [Float] {
        var channels: [[Float]] = [[], [], []]
        for (image, flags) in zip(images, selected) {
            for (i, on) in flags.enumerated() where on {
                for c in 0..<3 { channels[c].append(Float(image.pixels[i * 3 + c])) }
            }
        }
        return channels.map(median)
    }

    /// `eval_image.nearest_color`: the named colour nearest (squared RGB distance) to `rgb`; the
    /// first in `ImageVocabulary.colours` order on a tie.
    public static func nearestColour(_ rgb: [Float]) -> String {
        var best = 0
        var bestDistance = Double.infinity
        for (k, colour) in ImageVocabulary.colours.enumerated() {
            let d0 = Double(colour.rgb.0) - Double(rgb[0])
            let d1 = Double(colour.rgb.1) - Double(rgb[1])
            let d2 = Double(colour.rgb.2) - Double(rgb[2])
            let d = d0 * d0 + d1 * d1 + d2 * d2
            if d < bestDistance { best = k; bestDistance = d }
        }
        return ImageVocabulary.colours[best].name
    }
}
