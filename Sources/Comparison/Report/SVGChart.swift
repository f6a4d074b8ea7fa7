import Foundation

/// One axis of a chart: a title, a linear or logarithmic scale over `lower…upper`, and the
/// ticks to label. Panels that share an axis are given the same `ChartAxis` value.
struct ChartAxis: Sendable {
    enum Scale: Sendable { case linear, log }
    enum TickFormat: Sendable { case number, percent }

    var title: String
    var scale: Scale
    var lower: Double
    var upper: Double
    var ticks: [Double]
    var format: TickFormat = .number

    /// Where `value` falls between `lower` (0) and `upper` (1).
    func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: (value - lower) / (upper - lower)
        case .log: (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// Whether `value` can be drawn (positive on a log scale).
    func canDraw(_ value: Double) -> Bool { value.isFinite && (scale == .linear || value > 0) }

    func label(_ value: Double) -> String {
        switch format {
        case .number: ReportFormat.setting(value)
        case .percent: "\(ReportFormat.number(value * 100))%"
        }
    }

    /// An axis whose ticks are exactly `values` (step counts, guidance scales), logarithmic
    /// when they are positive and span a factor of 8 or more. A single value gets a range
    /// around it.
    static func ticksAt(_ values: [Double], title: String) -> ChartAxis {
        let values = values.sorted()
        guard let first = values.first, let last = values.last, first < last else {
            let v = values.first ?? 0
            return ChartAxis(title: title, scale: .linear, lower: v - 1, upper: v + 1, ticks: values)
        }
        let log = first > 0 && last / first >= 8
        return ChartAxis(title: title, scale: log ? .log : .linear, lower: first, upper: last, ticks: values)
    }

    /// An axis for positive measurements up to `maximum`: linear from 0 with 1-2-5 ticks, or
    /// logarithmic over whole decades when the smallest positive value is more than 20 times
    /// smaller than the largest (so fast and slow convergence both stay readable).
    static func measurement(_ values: [Double], title: String) -> ChartAxis {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        guard let low = positive.min(), let high = positive.max() else {
            return ChartAxis(title: title, scale: .linear, lower: 0, upper: 1, ticks: [0, 0.5, 1])
        }
        if high / low > 20 {
            let first = Int(floor(log10(low)))
            var last = Int(ceil(log10(high)))
            if last == first { last += 1 }
            let stride = last - first > 6 ? 2 : 1
            var ticks = Swift.stride(from: first, through: last, by: stride).map { pow(10, Double($0)) }
            if last - first == 1 { ticks = [1.0, 2, 5, 10].map { $0 * pow(10, Double(first)) } }
            return ChartAxis(title: title + " (log scale)", scale: .log, lower: pow(10, Double(first)),
                             upper: pow(10, Double(last)), ticks: ticks)
        }
        let step = niceStep(high / 4)
        let upper = (high / step).rounded(.up) * step
        let ticks = Swift.stride(from: 0.0, through: upper + step / 2, by: step).map { $0 }
        return ChartAxis(title: title, scale: .linear, lower: 0, upper: upper, ticks: ticks)
    }

    /// The fraction axis 0…100 %.
    static func rate(title: String) -> ChartAxis {
        ChartAxis(title: title, scale: .linear, lower: 0, upper: 1, ticks: [0, 0.25, 0.5, 0.75, 1], format: .percent)
    }

    /// The 1-2-5 × 10ᵏ step at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= raw * (1 - 1e-9) { return factor * magnitude }
        return 10 * magnitude
    }
}

/// A point of a series; `y == nil` is a gap (nothing measured there).
struct ChartPoint: Sendable {
    var x: Double
    var y: Double?
    /// Tooltip text.
    var note: String
}

/// One line of a chart: a sampler label's points, left to right.
struct ChartSeries: Sendable {
    var label: String
    var style: SamplerStyle
    var points: [ChartPoint]
}

/// A line chart panel as inline SVG: title, gridlines, ticks and axis titles, one polyline
/// with markers (tooltips in `<title>`) per series. Series are shifted sideways by up to ±8 px
/// (`dodge`), so samplers with equal values draw side by side instead of hiding one another.
/// The legend is HTML, shared by the panels. Sized by `viewBox` (360 × 250) so CSS can scale it.
struct LineChartPanel: Sendable {
    var title: String
    var x: ChartAxis
    var y: ChartAxis
    var series: [ChartSeries]
    /// A line under the plot ("0 at 50 steps is not drawn on the log scale").
    var footnote: String?
    /// Shown in the plot when no series has a drawable point.
    var emptyMessage = "nothing measured"

    static let width = 360.0
    static let height = 250.0
    private static let left = 62.0, right = 344.0, top = 30.0, bottom = 196.0
    /// Inset of the first and last x positions from the plot edges, so markers clear the axes.
    private static let inset = 10.0

    func svg(id: String) -> String {
        let l = Self.left, r = Self.right, t = Self.top, b = Self.bottom
        var out = "<svg class=\"chart\" id=\"\(HTMLText.escape(id))\" xmlns=\"http://www.w3.org/2000/svg\" "
            + "viewBox=\"0 0 \(SVG.n(Self.width)) \(SVG.n(Self.height))\" width=\"\(SVG.n(Self.width))\" "
            + "height=\"\(SVG.n(Self.height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        out += "<title>\(HTMLText.escape(title))</title>"
        out += Self.text(title, x: (l + r) / 2, y: 18, className: "panel-title")
        for tick in y.ticks where tick >= y.lower && tick <= y.upper {
            let py = yPosition(tick)
            out += Self.line(x1: l, y1: py, x2: r, y2: py, className: "grid")
            out += Self.text(y.label(tick), x: l - 6, y: py + 4, className: "tick", anchor: "end")
        }
        var lastLabelEnd = -Double.infinity
        for tick in x.ticks {
            let px = xPosition(tick)
            let label = x.label(tick)
            let halfWidth = Double(label.count) * 3.4 + 3
            out += Self.line(x1: px, y1: b, x2: px, y2: b + 4, className: "axis")
            guard px - halfWidth >= lastLabelEnd else { continue }
            lastLabelEnd = px + halfWidth
            out += Self.text(label, x: px, y: b + 17, className: "tick")
        }
        out += "<path class=\"axis\" d=\"M\(SVG.n(l)) \(SVG.n(t))V\(SVG.n(b))H\(SVG.n(r))\"/>"
        out += Self.text(x.title, x: (l + r) / 2, y: b + 36, className: "axis-title")
        out += "<text class=\"axis-title\" transform=\"translate(14 \(SVG.n((t + b) / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(HTMLText.escape(y.title))</text>"
        var drawn = 0
        for (index, line) in series.enumerated() {
            let points = line.points.filter { $0.y.map(y.canDraw) ?? false }
            guard !points.isEmpty else { continue }
            drawn += points.count
            let shift = dodge(index)
            out += "<g class=\"series\" data-label=\"\(HTMLText.escape(line.label))\">"
            out += "<path d=\"\(path(line.points, shift: shift))\" fill=\"none\" stroke=\"\(line.style.colour)\" "
                + "stroke-width=\"2\"" + (line.style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
            for point in points {
                out += line.style.marker(x: xPosition(point.x) + shift, y: yPosition(point.y!), tooltip: point.note)
            }
            out += "</g>"
        }
        if drawn == 0 { out += Self.text(emptyMessage, x: (l + r) / 2, y: (t + b) / 2, className: "empty") }
        if let footnote { out += Self.text(footnote, x: l, y: Self.height - 4, className: "footnote", anchor: "start") }
        return out + "</svg>"
    }

    /// `<text>` with escaped content.
    private static func text(_ content: String, x: Double, y: Double, className: String, anchor: String = "middle") -> String {
        "<text class=\"\(className)\" x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" text-anchor=\"\(anchor)\">"
            + "\(HTMLText.escape(content))</text>"
    }

    private static func line(x1: Double, y1: Double, x2: Double, y2: Double, className: String) -> String {
        "<line class=\"\(className)\" x1=\"\(SVG.n(x1))\" y1=\"\(SVG.n(y1))\" x2=\"\(SVG.n(x2))\" y2=\"\(SVG.n(y2))\"/>"
    }

    private func xPosition(_ value: Double) -> Double {
        let f = x.fraction(value)
        return Self.left + Self.inset + (f.isFinite ? f : 0.5) * (Self.right - Self.left - 2 * Self.inset)
    }

    private func yPosition(_ value: Double) -> Double {
        let f = min(max(y.fraction(value), 0), 1)
        return Self.bottom - (f.isFinite ? f : 0) * (Self.bottom - Self.top)
    }

    /// The sideways shift of series `index`, px: 2.5 px apart, ±8 px at most, centred.
    private func dodge(_ index: Int) -> Double {
        guard series.count > 1 else { return 0 }
        let step = min(2.5, 16 / Double(series.count - 1))
        return (Double(index) - Double(series.count - 1) / 2) * step
    }

    /// The series' line: a run of drawable points is one `M … L …` stretch; a gap starts a new one.
    private func path(_ points: [ChartPoint], shift: Double) -> String {
        var d = ""
        var pen = false
        for point in points {
            guard let value = point.y, y.canDraw(value) else {
                pen = false
                continue
            }
            d += "\(pen ? "L" : "M")\(SVG.n(xPosition(point.x) + shift)) \(SVG.n(yPosition(value)))"
            pen = true
        }
        return d
    }
}
