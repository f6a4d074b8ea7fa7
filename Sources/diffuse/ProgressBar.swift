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

    /// Redraws the bar at `done` of `total` steps.
    func update(done: Int, total: Int) {
        guard isVisible, total > 0 else { return }
        let done = min(max(done, 0), total)
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = Date().timeIntervalSince(started)
        var line = "[\(bar)] \(String(repeating: " ", count: String(total).count - String(done).count))\(done)/\(total)"
        if done > 0, elapsed > 0 {
            let rate = Double(done) / elapsed
            line += rate >= 1 ? String(format: "  %.1f it/s", rate) : String(format: "  %.1f s/it", 1 / rate)
            line += "  eta \(Int((Double(total - done) / rate).rounded())) s"
        }
        let padding = max(lastLength - line.count, 0)
        lastLength = line.count
        FileHandle.standardError.write(Data(("\r" + line + String(repeating: " ", count: padding)).utf8))
    }

    /// Ends the bar's line (erasing it), so what follows starts on a clean line.
    func finish() {
        guard isVisible, lastLength > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: lastLength) + "\r").utf8))
        lastLength = 0
    }
}
