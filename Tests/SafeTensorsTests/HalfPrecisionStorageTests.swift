import Foundation
import SafeTensors
import Tensors
import Testing

/// Values that are exact in F16 and BF16 (small integers and halves), and one that is not.
private func values(_ n: Int, offset: Float = 0) -> [Float] { (0..<n).map { Float($0 % 61) * 0.5 - 7 + offset } }

private func writeStore(_ folder: TemporaryFolder, dtype: DType, halfPrecision: HalfPrecisionStorage) throws -> WeightStore {
    try SafeTensorsWriter.write([
        ("a.weight", Tensor(shape: [6, 4, 3, 3], scalars: values(216))),
        ("b.weight", Tensor(shape: [6, 4, 3, 3], scalars: values(216, offset: 0.25))),
        ("a.bias", Tensor(shape: [6], scalars: [1, 2, 3, 4, 5, 0.1])),
    ], dtype: dtype, to: folder.url.appendingPathComponent("model.safetensors"))
    return try WeightStore(contentsOf: folder.url, halfPrecision: halfPrecision)
}

@Suite struct HalfPrecisionStorageTests {
    /// `keep` hands out F16 and BF16 layer weights unwidened, with exactly the values `tensor`
    /// widens on load; `widen` and Float32 files hand out Float32.
    @Test(arguments: [DType.F16, .BF16]) func keptWeightsWidenToTheSameValues(dtype: DType) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let kept = try writeStore(folder, dtype: dtype, halfPrecision: .keep)
        #expect(kept.halfPrecision == .keep)
        let w = try kept["a"].weight("weight", shape: [6, 4, 3, 3])
        #expect(w.isHalf && w.storedByteCount == 216 * 2 && w.shape == [6, 4, 3, 3])
        let widened = try kept["a"].tensor("weight", shape: [6, 4, 3, 3])
        #expect(w.tensor() == widened)
        w.withTensor { #expect($0 == widened) }
        #expect(w.reshaped([6, 36]).tensor() == widened.reshaped([6, 36]))
        #expect(kept.usedKeys == ["a.weight"])
        expectSafeTensorsError(["weight \"a.weight\"", "has shape [6, 4, 3, 3]", "expected [6, 4, 1, 1]"]) {
            _ = try kept["a"].weight("weight", shape: [6, 4, 1, 1])
        }

        let other = try TemporaryFolder()
        defer { other.remove() }
        let wide = try writeStore(other, dtype: dtype, halfPrecision: .widen)
        let v = try wide["a"].weight("weight", shape: [6, 4, 3, 3])
        #expect(!v.isHalf && v.tensor() == widened)
    }

    @Test func float32FilesStayFloat32UnderKeep() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try writeStore(folder, dtype: .F32, halfPrecision: .keep)["a"].weight("weight", shape: [6, 4, 3, 3])
        #expect(!w.isHalf && w.storedByteCount == 216 * 4 && w.tensor().scalars == values(216))
    }

    /// A kept weight of at least 1 MiB gives its mapped pages back once widened (the process
    /// holds only the layer that runs), and widens to the same values again on the next use.
    @Test func largeKeptWeightsReleaseTheirPages() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("model.safetensors")
        try SafeTensorsWriter.write([("big.weight", Tensor(shape: [1024, 768], scalars: values(1024 * 768)))], dtype: .F16, to: file)
        let store = try WeightStore(contentsOf: folder.url, halfPrecision: .keep)
        let w = try store["big"].weight("weight", shape: [1024, 768])
        _ = w.tensor()                                                 // reads every page of the mapping
        #expect(try residentKiB(of: file) >= 1024, "the weight's pages were read")
        for _ in 0..<2 {
            w.withTensor { #expect($0.scalars == values(1024 * 768)) }
            let resident = try residentKiB(of: file)
            #expect(resident <= 8, "\(resident) KiB of the 1536 KiB weight still resident after widening")
        }
    }

    /// `Rss` of this process's mappings of `file` (/proc/self/smaps), in KiB.
    private func residentKiB(of file: URL) throws -> Int {
        // Read to the end: a procfs file reports size 0, and a sized read stops after one page.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inFile = false, total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), first.first?.isHexDigit == true {
                inFile = line.hasSuffix(file.path)
            } else if inFile, fields.first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
                total += kib
            }
        }
        return total
    }

    /// Nested `withTensor` calls on weights of the same size get distinct scratch tensors.
    @Test func nestedUsesDoNotShareScratch() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try writeStore(folder, dtype: .F16, halfPrecision: .keep)
        let a = try store["a"].weight("weight", shape: [6, 4, 3, 3]), b = try store["b"].weight("weight", shape: [6, 4, 3, 3])
        for _ in 0..<3 {
            a.withTensor { ta in
                b.withTensor { tb in
                    #expect(ta.scalars == values(216) && tb.scalars == values(216, offset: 0.25))
                }
                #expect(ta.scalars == values(216))
            }
        }
    }

    /// `automatic` widens while the Float32 copy fits in a quarter of physical memory.
    @Test func automaticResolvesByMemory() {
        let gib: UInt64 = 1 << 30
        #expect(HalfPrecisionStorage.automatic.resolved(halfBytes: 1_720_000_000, physicalMemory: 24 * gib) == .widen)
        #expect(HalfPrecisionStorage.automatic.resolved(halfBytes: 1_720_000_000, physicalMemory: 8 * gib) == .keep)
        #expect(HalfPrecisionStorage.keep.resolved(halfBytes: 1, physicalMemory: 24 * gib) == .keep)
        #expect(HalfPrecisionStorage.widen.resolved(halfBytes: 1 << 40, physicalMemory: gib) == .widen)
        #expect(HalfPrecisionStorage.automatic.resolved(halfBytes: 0, physicalMemory: gib) == .widen)
    }
}
