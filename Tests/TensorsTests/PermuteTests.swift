import Testing
import Tensors

@Suite struct PermuteTests {
    @Test func permuteAndTransposeMatchTorch() throws {
        let f = try Fixtures.load("shapeops")
        let x5 = try f.tensor("x5"), big = try f.tensor("big")
        expectClose(x5.permuted([0, 2, 1, 3, 4]), try f.tensor("perm02134"), abs: 0, "[B,C,F,H,W]→[B,F,C,H,W]")
        expectClose(x5.permuted([0, 4, 1, 2, 3]), try f.tensor("perm04123"), abs: 0, "channels-first move")
        expectClose(x5.permuted([4, 3, 2, 1, 0]), try f.tensor("perm43210"), abs: 0, "reversed")
        expectClose(x5.permuted([0, 1, 2, 4, 3]), try f.tensor("perm01243"), abs: 0, "last two swapped")
        expectClose(x5.permuted([0, 1, 2, -1, -2]), try f.tensor("perm01243"), abs: 0, "negative dims")
        expectClose(big.transposed(1, 2), try f.tensor("big_t12"), abs: 0, "blocked transpose, odd sizes")
        expectClose(big.transposed(-1, -2), try f.tensor("big_t12"), abs: 0, "negative axes")
        expectClose(big.permuted([2, 0, 1]), try f.tensor("big_perm201"), abs: 0, "[A,B,C]→[C,A,B]")
        expectClose(x5.transposed(1, 3), try f.tensor("x5_t13"), abs: 0, "transpose 1,3")
    }

    @Test func squeezeAndUnsqueeze() {
        let x = Tensor(zeros: [2, 1, 3, 1])
        #expect(x.squeezed().shape == [2, 3])
        #expect(x.squeezed(axis: 1).shape == [2, 3, 1])
        #expect(x.squeezed(axis: 0).shape == [2, 1, 3, 1])
        #expect(x.squeezed(axis: -1).shape == [2, 1, 3])
        #expect(x.unsqueezed(axis: 0).shape == [1, 2, 1, 3, 1])
        #expect(x.unsqueezed(axis: -1).shape == [2, 1, 3, 1, 1])
        #expect(x.unsqueezed(axis: 4).shape == [2, 1, 3, 1, 1])
    }

    @Test func largePermutesTakeTheParallelPaths() {
        let x = Tensor(shape: [3, 130, 300]) { out in for i in 0..<out.count { out[i] = Float(i) } }
        let t = x.transposed(1, 2)                                                 // [3, 300, 130]
        var mismatches = 0
        for b in 0..<3 { for i in 0..<300 { for j in 0..<130
            where t.scalars[(b * 300 + i) * 130 + j] != x.scalars[(b * 130 + j) * 300 + i] { mismatches += 1 } } }
        #expect(mismatches == 0)
        #expect(t.transposed(1, 2) == x)
        let y = x.reshaped([3, 2, 65, 300]).permuted([0, 2, 1, 3]).permuted([0, 2, 1, 3]).reshaped([3, 130, 300])
        #expect(y == x)
    }
}
