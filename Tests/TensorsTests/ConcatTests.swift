import Testing
import Tensors

@Suite struct ConcatTests {
    @Test func concatMatchesTorch() throws {
        let f = try Fixtures.load("shapeops")
        let x3 = try f.tensor("x3"), c1 = try f.tensor("c1"), c2 = try f.tensor("c2")
        expectClose(concat([c2, c1, c2], axis: 1), try f.tensor("cat1"), abs: 0, "cat dim 1")
        expectClose(concat([x3, x3.narrowed(axis: 2, start: 0, length: 2)], axis: -1), try f.tensor("cat-1"), abs: 0, "cat dim -1")
        expectClose(concat([c1, c1], axis: 0), try f.tensor("cat0"), abs: 0, "cat dim 0")
    }

    @Test func splitChunkNarrowMatchTorch() throws {
        let f = try Fixtures.load("shapeops")
        let x3 = try f.tensor("x3")                                                  // [2, 7, 6]
        let pieces = x3.split(sizes: [1, 2, 3], axis: -1)
        #expect(pieces.map(\.shape) == [[2, 7, 1], [2, 7, 2], [2, 7, 3]])
        expectClose(Tensor(shape: [x3.count], scalars: pieces.flatMap(\.scalars)), try f.tensor("split_1_2_3"), abs: 0, "split")
        let chunks = x3.chunked(3, axis: 1)
        #expect(chunks.map(\.shape) == [[2, 3, 6], [2, 3, 6], [2, 1, 6]])
        expectClose(Tensor(shape: [x3.count], scalars: chunks.flatMap(\.scalars)), try f.tensor("chunk3_dim1"), abs: 0, "chunk")
        #expect(Tensor(zeros: [6]).chunked(4, axis: 0).map(\.shape) == [[2], [2], [2]])   // as torch: 3 pieces
        expectClose(x3.narrowed(axis: 2, start: 1, length: 3), try f.tensor("narrow2_1_3"), abs: 0, "narrow")
        expectClose(x3.narrowed(axis: 1, start: -3, length: 2), try f.tensor("narrow1_-3_2"), abs: 0, "narrow negative start")
        #expect(concat(x3.chunked(2, axis: -1), axis: -1) == x3)
    }
}
