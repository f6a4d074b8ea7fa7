import Foundation
import NN
import SafeTensors
import Tensors
import Testing

/// A Linear and a Conv2d read from an F16 checkpoint (fixture weights rounded to half) with the
/// store keeping half precision give exactly what the same layers widened on load give.
@Suite struct HalfPrecisionLayerTests {
    private func stores(_ fixture: String) throws -> (keep: WeightStore, widen: WeightStore, inputs: WeightStore, remove: () -> Void) {
        let source = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("nn_\(fixture).safetensors"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffuse-half-\(fixture)-\(UUID().uuidString).safetensors")
        let names = source.checkpoint.names.filter { $0.hasPrefix("weights.") }
        try SafeTensorsWriter.write(try names.map { ($0, try source.checkpoint.tensor($0)) }, dtype: .F16, to: url)
        return (try WeightStore(contentsOf: url, halfPrecision: .keep), try WeightStore(contentsOf: url, halfPrecision: .widen),
                source, { try? FileManager.default.removeItem(at: url) })
    }

    @Test func linear() throws {
        let s = try stores("linear")
        defer { s.remove() }
        let kept = try Linear(s.keep["weights"], in: 6, out: 5), widened = try Linear(s.widen["weights"], in: 6, out: 5)
        #expect(kept.storedWeight.isHalf && !widened.storedWeight.isHalf && kept.weight == widened.weight)
        let x = try s.inputs.checkpoint.tensor("inputs.x")
        expectClose(kept(x), widened(x), abs: 1e-6, rel: 1e-6, "kept vs widened on load")
    }

    @Test func conv2d() throws {
        let s = try stores("conv2d")
        defer { s.remove() }
        let shape = try #require(s.keep.checkpoint.entry("weights.weight")?.shape)
        let build = { (w: WeightScope) in
            try Conv2d(w, in: shape[1], out: shape[0], kernel: [shape[2], shape[3]], padding: [1, 1])
        }
        let kept = try build(s.keep["weights"]), widened = try build(s.widen["weights"])
        #expect(kept.storedWeight.isHalf && !widened.storedWeight.isHalf && kept.weight == widened.weight)
        let x = try s.inputs.checkpoint.tensor("inputs.x")
        expectClose(kept(x), widened(x), abs: 1e-6, rel: 1e-6, "kept vs widened on load")
    }
}
