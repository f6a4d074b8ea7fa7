import DiffusionCore
import Foundation
import SafeTensors
import Testing
import Tensors

/// Replays noise tensors recorded from diffusers (`noise.0`, `noise.1`, … of a fixture case) in
/// order; a draw of the wrong shape or past the end is a test failure.
struct RecordedNoise: NoiseSource {
    var draws: [Tensor]
    var next = 0

    init(_ draws: [Tensor]) { self.draws = draws }

    /// `<case>.noise.0`, `<case>.noise.1`, … from `file`, until the first missing index.
    init(fixture file: SafeTensorsFileLike, case name: String) throws {
        var draws: [Tensor] = []
        while file.has("\(name).noise.\(draws.count)") { draws.append(try file.tensor("\(name).noise.\(draws.count)")) }
        self.init(draws)
    }

    mutating func randn(_ shape: [Int]) -> Tensor {
        guard next < draws.count else {
            Issue.record("noise draw \(next) of shape \(shape) beyond the \(draws.count) recorded")
            return Tensor(zeros: shape)
        }
        defer { next += 1 }
        guard draws[next].count == Tensor.elementCount(shape) else {
            Issue.record("noise draw \(next): shape \(shape), recorded \(draws[next].shape)")
            return Tensor(zeros: shape)
        }
        return draws[next].reshaped(shape)
    }
}

/// The part of `SafeTensorsFile` the noise replay needs.
protocol SafeTensorsFileLike {
    func has(_ name: String) -> Bool
    func tensor(_ name: String) throws -> Tensor
}

extension SafeTensorsFile: SafeTensorsFileLike {
    func has(_ name: String) -> Bool { entry(name) != nil }
}

/// The dummy network of tools/fixtures/fx_samplers.py:
/// out = 0.5·tanh(x) + float32(0.01·t/1000)·pattern (+ 0.1·mean(emb row) when conditioned),
/// pattern[i] = ((i mod 7) − 3)/3 over one [4, 4, 4] sample.
func dummyNetwork(_ x: Tensor, _ t: Double, _ conditioning: Conditioning) throws -> Tensor {
    let c = Float(0.01 * t / 1000)
    let batch = x.shape[0], per = x.count / batch
    var rowTerm = [Float](repeating: 0, count: batch)
    if let emb = conditioning["emb"] {
        let width = emb.count / emb.shape[0]
        for b in 0..<batch {
            var sum: Float = 0
            for j in 0..<width { sum += emb.scalars[b * width + j] }
            rowTerm[b] = 0.1 * (sum / Float(width))
        }
    }
    return Tensor(shape: x.shape) { out in
        for i in 0..<x.count {
            let pattern = Float(i % per % 7 - 3) / 3
            out[i] = (0.5 * tanhf(x.scalars[i]) + c * pattern) + rowTerm[i / per]
        }
    }
}
