import Foundation
import SafeTensors
import Testing
import Tensors

/// Fixtures written by `tools/fixtures/` (see its README) into `Tests/Fixtures/`.
public enum Fixtures {
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Opens `Tests/Fixtures/<name>.safetensors`; a missing fixture fails the test (never skips it).
    public static func load(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: folder.appendingPathComponent("\(name).safetensors"))
    }
}

/// Expects `actual` to equal `expected` element-wise within `abs + rel·|expected|`;
/// on failure reports the worst element, its index and both values.
public func expectClose(_ actual: Tensor, _ expected: Tensor, abs: Float = 1e-5, rel: Float = 0,
                 _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(what()): shape \(actual.shape) ≠ expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var worst = -1
    var worstExcess: Float = 0
    var worstDiff: Float = 0
    for i in 0..<actual.count {
        let a = actual.scalars[i], e = expected.scalars[i]
        let diff = Swift.abs(a - e)
        let excess = diff - (abs + rel * Swift.abs(e))
        if !(excess <= 0) || a.isNaN != e.isNaN {       // NaN-aware: a NaN difference fails
            if worst < 0 || excess > worstExcess || excess.isNaN { worst = i; worstExcess = excess; worstDiff = diff }
        }
    }
    if worst >= 0 {
        let index = unravel(worst, actual.shape)
        Issue.record("""
            \(what()): max-abs \(worstDiff) at \(index) (actual \(actual.scalars[worst]), expected \(expected.scalars[worst])), \
            tolerance abs \(abs) rel \(rel); shape \(actual.shape)
            """, sourceLocation: sourceLocation)
    }
}

/// The multi-index of flat position `i` in a row-major tensor of `shape`.
public func unravel(_ i: Int, _ shape: [Int]) -> [Int] {
    var rest = i
    var index = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
        index[d] = rest % shape[d]
        rest /= shape[d]
    }
    return index
}
