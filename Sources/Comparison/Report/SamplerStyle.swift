/// The colour, dash and marker of a sampler label, the same in every chart and legend of a
/// report: the colour follows the sampler (in order of first appearance in the matrix), Karras
/// sigmas draw a dashed line with square markers, the other schedules a solid line with round
/// markers — so "euler" and "euler karras" are one hue told apart without colour vision.
struct SamplerStyle: Equatable, Sendable {
    /// CSS colour, "#0072B2".
    var colour: String
    var karras: Bool

    /// SVG `stroke-dasharray`, nil for a solid line.
    var dash: String? { karras ? "6 3" : nil }

    /// Okabe–Ito's colour-blind-safe palette, then four more distinct darker hues; repeats
    /// after twelve samplers (the dash and marker still tell Karras apart).
    static let palette = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
        "#000000", "#8C564B", "#9467BD", "#7F7F7F", "#17BECF", "#A89000",
    ]

    /// The style of each label of `cells`' samplers (`CellResult.samplerLabel`).
    static func styles(for cells: [CellResult]) -> [String: SamplerStyle] {
        var samplers: [String] = []
        var styles: [String: SamplerStyle] = [:]
        for cell in cells where styles[cell.samplerLabel] == nil {
            if !samplers.contains(cell.sampler) { samplers.append(cell.sampler) }
            let index = samplers.firstIndex(of: cell.sampler)!
            styles[cell.samplerLabel] = SamplerStyle(colour: palette[index % palette.count], karras: cell.karras)
        }
        return styles
    }

    /// The marker at (`x`, `y`) with a tooltip, as SVG.
    func marker(x: Double, y: Double, tooltip: String) -> String {
        let title = "<title>\(HTMLText.escape(tooltip))</title>"
        if karras {
            return "<rect x=\"\(SVG.n(x - 3.5))\" y=\"\(SVG.n(y - 3.5))\" width=\"7\" height=\"7\" "
                + "fill=\"\(colour)\">\(title)</rect>"
        }
        return "<circle cx=\"\(SVG.n(x))\" cy=\"\(SVG.n(y))\" r=\"3.8\" fill=\"\(colour)\">\(title)</circle>"
    }

    /// A legend entry in HTML: a short line sample in the style, then the label.
    func legendEntry(_ label: String) -> String {
        let line = "border-top:3px \(karras ? "dashed" : "solid") \(colour)"
        let dot = "background:\(colour);border-radius:\(karras ? "0" : "50%")"
        return "<li><span class=\"swatch\" style=\"\(line)\"><span style=\"\(dot)\"></span></span>"
            + "\(HTMLText.escape(label))</li>"
    }
}

/// SVG number formatting: coordinates to 0.1 px.
enum SVG {
    static func n(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
