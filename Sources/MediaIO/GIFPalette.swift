/// One 256-colour palette for a whole clip and the mapping of frames onto it, for GIF.
///
/// FFmpeg's own `palettegen`/`paletteuse` filters live in libavfilter, which Debian's
/// `libavfilter-dev` would add to the build; this is the same idea in a few lines. When
/// the clip has at most 256 distinct colours they are the palette (lossless). Otherwise
/// median cut (Heckbert 1982) on a 15-bit (5 bits per channel) histogram of every frame:
/// repeatedly split the box with the largest `pixels × longest side` along its longest
/// axis at the pixel-weighted median, until 256 boxes; each palette entry is the mean of
/// the pixels in its box. Pixels map to the nearest entry (squared RGB distance, exact,
/// cached per colour), optionally with Floyd–Steinberg error diffusion (7/16, 3/16, 5/16,
/// 1/16, left to right), which trades a little PSNR for no banding on smooth gradients.
struct GIFPalette {
    /// 256 entries `0xFFRRGGBB` (FFmpeg's `pal8` layout, native-endian `uint32_t`).
    let entries: [UInt32]
    /// The entries as (r, g, b).
    private let colors: [(Int32, Int32, Int32)]
    /// The entries as r, g, b, r, g, b, … for the nearest-colour search.
    private let packed: [Int32]
    /// Nearest entry + 1 per 24-bit colour, 0 when not yet computed.
    private var cache: [UInt16]

    /// The palette for `frames`.
    init(frames: [RGBImage]) {
        var distinct = Set<UInt32>()
        var exact = true
        outer: for frame in frames {
            for i in stride(from: 0, to: frame.pixels.count, by: 3) {
                distinct.insert(UInt32(frame.pixels[i]) << 16 | UInt32(frame.pixels[i + 1]) << 8 | UInt32(frame.pixels[i + 2]))
                if distinct.count > 256 {
                    exact = false
                    break outer
                }
            }
        }
        var colors: [(Int32, Int32, Int32)]
        if exact {
            colors = distinct.sorted().map { (Int32($0 >> 16), Int32($0 >> 8 & 0xFF), Int32($0 & 0xFF)) }
        } else {
            colors = GIFPalette.medianCut(frames)
        }
        while colors.count < 256 { colors.append(colors.last ?? (0, 0, 0)) }
        self.colors = colors
        packed = colors.flatMap { [$0.0, $0.1, $0.2] }
        entries = colors.map { 0xFF00_0000 | UInt32($0.0) << 16 | UInt32($0.1) << 8 | UInt32($0.2) }
        cache = [UInt16](repeating: 0, count: 1 << 24)
    }

    /// Palette indices of `image`, row-major, one byte per pixel.
    mutating func indices(of image: RGBImage, dither: Bool) -> [UInt8] {
        let width = image.width, height = image.height
        var out = [UInt8](repeating: 0, count: width * height)
        if !dither {
            for p in 0..<(width * height) {
                out[p] = nearest(Int32(image.pixels[3 * p]), Int32(image.pixels[3 * p + 1]), Int32(image.pixels[3 * p + 2]))
            }
            return out
        }
        // Error rows in 1/16 units, with one pixel of margin on each side.
        var current = [Int32](repeating: 0, count: (width + 2) * 3)
        var next = current
        for y in 0..<height {
            for x in 0..<width {
                let p = y * width + x
                let e0 = x &* 3 &+ 3
                let r = min(max(Int32(image.pixels[3 * p]) + (current[e0] + 8) >> 4, 0), 255)
                let g = min(max(Int32(image.pixels[3 * p + 1]) + (current[e0 + 1] + 8) >> 4, 0), 255)
                let b = min(max(Int32(image.pixels[3 * p + 2]) + (current[e0 + 2] + 8) >> 4, 0), 255)
                let index = nearest(r, g, b)
                out[p] = index
                let got = colors[Int(index)]
                Self.spread(r - got.0, at: e0, current: &current, next: &next)
                Self.spread(g - got.1, at: e0 + 1, current: &current, next: &next)
                Self.spread(b - got.2, at: e0 + 2, current: &current, next: &next)
            }
            swap(&current, &next)
            for i in next.indices { next[i] = 0 }
        }
        return out
    }

    /// Floyd–Steinberg: 7/16 of `error` to the right, 3/16, 5/16, 1/16 to the row below.
    @inline(__always)
    private static func spread(_ error: Int32, at i: Int, current: inout [Int32], next: inout [Int32]) {
        guard error != 0 else { return }
        current[i + 3] += error * 7
        next[i - 3] += error * 3
        next[i] += error * 5
        next[i + 3] += error
    }

    /// The index of the entry nearest to (r, g, b), each in 0…255.
    private mutating func nearest(_ r: Int32, _ g: Int32, _ b: Int32) -> UInt8 {
        let key = Int(r) << 16 | Int(g) << 8 | Int(b)
        let cached = cache[key]
        if cached != 0 { return UInt8(cached - 1) }
        var best = 0
        var bestDistance = Int32.max
        packed.withUnsafeBufferPointer { p in
            for i in 0..<256 {
                let dr = p[3 &* i] &- r, dg = p[3 &* i &+ 1] &- g, db = p[3 &* i &+ 2] &- b
                let d = dr &* dr &+ dg &* dg &+ db &* db
                if d < bestDistance {
                    bestDistance = d
                    best = i
                }
            }
        }
        cache[key] = UInt16(best + 1)
        return UInt8(best)
    }

    /// One histogram bin: pixel count and the sums of their channels.
    private struct Bin {
        var key: Int
        var count: Int
        var sum: (Int, Int, Int)
    }

    /// At most 256 colours by median cut over the 15-bit histogram of `frames`.
    private static func medianCut(_ frames: [RGBImage]) -> [(Int32, Int32, Int32)] {
        var counts = [Int](repeating: 0, count: 1 << 15)
        var sums = [Int](repeating: 0, count: 3 << 15)
        for frame in frames {
            frame.pixels.withUnsafeBufferPointer { px in
                for i in stride(from: 0, to: px.count, by: 3) {
                    let key = Int(px[i] >> 3) << 10 | Int(px[i + 1] >> 3) << 5 | Int(px[i + 2] >> 3)
                    counts[key] += 1
                    sums[3 * key] += Int(px[i])
                    sums[3 * key + 1] += Int(px[i + 1])
                    sums[3 * key + 2] += Int(px[i + 2])
                }
            }
        }
        var bins: [Bin] = []
        for key in counts.indices where counts[key] > 0 {
            bins.append(Bin(key: key, count: counts[key], sum: (sums[3 * key], sums[3 * key + 1], sums[3 * key + 2])))
        }
        func channel(_ key: Int, _ axis: Int) -> Int { key >> (10 - 5 * axis) & 31 }
        func extent(_ box: ArraySlice<Bin>) -> (axis: Int, side: Int) {
            var best = (axis: 0, side: -1)
            for axis in 0..<3 {
                var lo = 31, hi = 0
                for bin in box {
                    lo = min(lo, channel(bin.key, axis))
                    hi = max(hi, channel(bin.key, axis))
                }
                if hi - lo > best.side { best = (axis, hi - lo) }
            }
            return best
        }
        // Each box with its score (pixels × longest side; 0: cannot be split) and that side's axis.
        func scored(_ box: Range<Int>) -> (box: Range<Int>, score: Int, axis: Int) {
            let (axis, side) = extent(bins[box])
            return (box, box.count > 1 ? bins[box].reduce(0) { $0 + $1.count } * side : 0, axis)
        }
        var boxes = [scored(0..<bins.count)]
        while boxes.count < 256 {
            guard let chosen = boxes.indices.max(by: { boxes[$0].score < boxes[$1].score }), boxes[chosen].score > 0 else { break }
            let (box, _, axis) = boxes[chosen]
            bins[box].sort { channel($0.key, axis) < channel($1.key, axis) }
            let half = bins[box].reduce(0) { $0 + $1.count } / 2
            var running = 0
            var cut = box.lowerBound + 1
            for i in box {
                running += bins[i].count
                if running >= half {
                    cut = min(max(i + 1, box.lowerBound + 1), box.upperBound - 1)
                    break
                }
            }
            boxes[chosen] = scored(box.lowerBound..<cut)
            boxes.append(scored(cut..<box.upperBound))
        }
        return boxes.map { (box, _, _) in
            var n = 0, r = 0, g = 0, b = 0
            for bin in bins[box] {
                n += bin.count
                r += bin.sum.0
                g += bin.sum.1
                b += bin.sum.2
            }
            return (Int32((r + n / 2) / n), Int32((g + n / 2) / n), Int32((b + n / 2) / n))
        }
    }
}
