import Testing
import Tensors

@Suite struct TimestepEmbeddingTests {
    /// Timesteps 0, 1, 500, 999. Rows 0 and 1 must match to 1e-5. Rows 500 and 999 get
    /// `abs 1e-5 + t · 2⁻²⁴`: PyTorch's vectorised exp differs from the C library's by one ulp
    /// on ~1% of the frequencies, and `t · f` turns that ulp into up to t · 2⁻²⁴ of argument
    /// (6e-5 at t = 999, which is also the Float32 spacing near 999, i.e. the reference's own
    /// rounding error there).
    @Test(arguments: [320, 7, 8])
    func embeddingsMatchDiffusers(dimension: Int) throws {
        let f = try Fixtures.load("timestep")
        let t = try f.tensor("t")
        for flip in [false, true] {
            for shift in [0, 1] {
                let name = "d\(dimension)_flip\(flip ? 1 : 0)_shift\(shift)"
                let e = timestepEmbedding(t, embeddingDim: dimension, flipSinToCos: flip, downscaleFreqShift: Double(shift))
                let expected = try f.tensor(name)
                #expect(e.shape == expected.shape, "\(name) shape")
                for (row, step) in t.scalars.enumerated() {
                    expectClose(e.narrowed(axis: 0, start: row, length: 1), expected.narrowed(axis: 0, start: row, length: 1),
                                abs: 1e-5 + step * 0x1p-24, "\(name) t=\(step)")
                }
            }
        }
    }

    @Test func fractionalTimestepsScaleAndPeriod() throws {
        let f = try Fixtures.load("timestep")
        let e = timestepEmbedding(try f.tensor("frac"), embeddingDim: 16, flipSinToCos: true, downscaleFreqShift: 0,
                                  scale: 2, maxPeriod: 1000)
        expectClose(e, try f.tensor("frac_d16_flip1_shift0_scale2_period1000"), "fractional t, scale 2, period 1000")
    }
}
