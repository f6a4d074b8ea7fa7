import Testing
import Tensors

@Suite struct ReductionsTests {
    @Test func axisReductionsMatchTorch() throws {
        let f = try Fixtures.load("reductions")
        let x = try f.tensor("x")
        expectClose(x.sum(axis: 0), try f.tensor("sum0"), "sum 0")
        expectClose(x.sum(axis: 1, keepingDimension: true), try f.tensor("sum1_keep"), "sum 1 keepdim")
        expectClose(x.sum(axis: -1), try f.tensor("sum-1"), "sum -1")
        expectClose(x.mean(axis: 1), try f.tensor("mean1"), "mean 1")
        expectClose(x.mean(axis: -1, keepingDimension: true), try f.tensor("mean-1_keep"), "mean -1 keepdim")
        expectClose(x.max(axis: -1), try f.tensor("amax-1"), "amax -1")
        expectClose(x.max(axis: 0, keepingDimension: true), try f.tensor("amax0_keep"), "amax 0 keepdim")
        expectClose(x.min(axis: 0), try f.tensor("amin0"), "amin 0")
        expectClose(x.min(axis: 2), try f.tensor("amin2"), "amin 2")
        expectClose(x.variance(axis: 1), try f.tensor("var1"), "var 1")
        expectClose(x.variance(axis: 1, unbiased: false, keepingDimension: true), try f.tensor("var1_biased_keep"), "var biased")
        expectClose(x.variance(axis: -1), try f.tensor("var-1"), "var -1")
        expectClose(x.argmax(axis: 1), try f.tensor("argmax1"), abs: 0, "argmax 1")
        expectClose(x.argmax(axis: -1, keepingDimension: true), try f.tensor("argmax-1_keep"), abs: 0, "argmax -1 keepdim")
        expectClose(try f.tensor("ties").argmax(axis: 1), try f.tensor("argmax_ties1"), abs: 0, "argmax first of ties")
    }

    @Test func fullReductionsMatchTorch() throws {
        let f = try Fixtures.load("reductions")
        let x = try f.tensor("x"), long = try f.tensor("long")
        func close(_ a: Float, _ name: String, _ tolerance: Float = 1e-5) throws {
            let e = try f.tensor(name).scalars[0]
            #expect(Swift.abs(a - e) <= tolerance, "\(name): \(a) vs torch \(e)")
        }
        try close(x.sum(), "sum")
        try close(x.mean(), "mean")
        try close(x.max(), "max", 0)
        try close(x.min(), "min", 0)
        try close(x.variance(), "var")
        try close(x.variance(unbiased: false), "var_biased")
        try close(Float(x.argmax()), "argmax", 0)
        try close(long.sum(), "long_sum", 1e-3)       // |sum| ≈ 2500: 1e-3 is ~4 Float32 ulps
        try close(long.mean(), "long_mean")
        try close(long.variance(), "long_var")
    }

    @Test func nanPropagatesThroughMaxAndArgmax() {
        let x = Tensor(shape: [2, 3], scalars: [1, .nan, 3, 4, 5, 6])
        #expect(x.max().isNaN)
        #expect(x.argmax() == 1)
        #expect(x.max(axis: 1).scalars[0].isNaN && x.max(axis: 1).scalars[1] == 6)
        #expect(x.argmax(axis: 1).scalars == [1, 2])
    }
}
