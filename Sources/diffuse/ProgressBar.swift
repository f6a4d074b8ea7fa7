import Foundation

/// A one-line progress bar on standard error, redrawn in place with `\r`: shown only when
/// standard error is a terminal (`isatty(2)`), silent otherwise so logs and pipes stay clean.
///
/// `[██████······]  6/12  1.9 it/s  eta 3 s`
final class ProgressBar {
    /// Whether anything is drawn.
    let isVisible: Bool
    private let width = 24
    private let started = Date()
    private var lastLength = 0

    /// A bar that draws when `enabled` (by default: when standard error is a terminal).
    init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        isVisible = enabled
    }

    /// Redraws the bar at `done` of `total` steps; `detail` follows the count, and
    /// `remainingSeconds`, when given, replaces the rate-based estimate (nil: "eta ?").
    func update(done: Int, total: Int, detail: String? = nil, remainingSeconds: Double?? = .none) {
        guard isVisible, total > 0 else { return }
        let done = min(max(done, 0), total)
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = Date().timeIntervalSince(started)
        var line = "[\(bar)] \(String(repeating: " ", count: String(total).count - String(done).count))\(done)/\(total)"
        if let detail { line += "  " + detail }
        switch remainingSeconds {
        case let .some(.some(seconds)): line += "  eta " + Self.duration(seconds)
        case .some(.none): line += "  eta ?"
        case .none:
            if done > 0, elapsed > 0 {
                let rate = Double(done) / elapsed
                line += rate >= 1 ? String(format: "  %.1f it/s", rate) : String(format: "  %.1f s/it", 1 / rate)
                line += "  eta \(Int((Double(total - done) / rate).rounded())) s"
            }
        }
        let padding = max(lastLength - line.count, 0)
        lastLength = line.count
        FileHandle.standardError.write(Data(("\r" + line + String(repeating: " ", count: padding)).utf8))
    }

    /// "42 s", "3 min 5 s", "1 h 12 min".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }

    /// Ends the bar's line (erasing it), so what follows starts on a clean line.
    func finish() {
        guard isVisible, lastLength > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: lastLength) + "\r").utf8))
        lastLength = 0
    }
}
