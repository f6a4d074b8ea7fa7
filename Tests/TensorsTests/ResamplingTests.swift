import Testing
import Tensors

@Suite struct ResamplingTests {
    @Test func nearestMatchesTorch() throws {
        let f = try Fixtures.load("resampling")
        let x1 = try f.tensor("x1"), x2 = try f.tensor("x2"), x3 = try f.tensor("x3")
        expectClose(interpolate(x1, size: [8]), try f.tensor("x1_nearest_size8"), abs: 0, "1-d size 8")
        expectClose(interpolate(x1, scaleFactor: 2), try f.tensor("x1_nearest_scale2"), abs: 0, "1-d ×2")
        expectClose(interpolate(x1, scaleFactor: 1.5), try f.tensor("x1_nearest_scale1.5"), abs: 0, "1-d ×1.5")
        expectClose(interpolate(x1, size: [3]), try f.tensor("x1_nearest_size3"), abs: 0, "1-d down")
        expectClose(interpolate(x1, size: [8], mode: .nearestExact), try f.tensor("x1_exact_size8"), abs: 0, "nearest-exact")
        expectClose(interpolate(x2, scaleFactor: 2), try f.tensor("x2_nearest_scale2"), abs: 0, "2-d ×2 fast path")
        expectClose(interpolate(x2, size: [7, 3]), try f.tensor("x2_nearest_size7_3"), abs: 0, "2-d size")
        expectClose(interpolate(x2, scaleFactors: [1.5, 2.3]), try f.tensor("x2_nearest_scale1.5_2.3"), abs: 0, "2-d ×(1.5, 2.3)")
        expectClose(interpolate(x2, scaleFactor: 1.5, mode: .nearestExact), try f.tensor("x2_exact_scale1.5"), abs: 0, "2-d exact")
        expectClose(interpolate(x3, scaleFactors: [1, 2, 2]), try f.tensor("x3_nearest_scale1_2_2"), abs: 0, "3-d ×(1,2,2) fast path")
        expectClose(interpolate(x3, size: [5, 3, 7]), try f.tensor("x3_nearest_size5_3_7"), abs: 0, "3-d size")
    }

    @Test(arguments: [false, true])
    func linearModesMatchTorch(alignCorners ac: Bool) throws {
        let f = try Fixtures.load("resampling")
        let x1 = try f.tensor("x1"), x2 = try f.tensor("x2"), x3 = try f.tensor("x3")
        let t = ac ? "T" : "F"
        expectClose(interpolate(x1, size: [9], mode: .linear, alignCorners: ac), try f.tensor("x1_linear_size9_ac\(t)"), "linear 9")
        expectClose(interpolate(x1, size: [3], mode: .linear, alignCorners: ac), try f.tensor("x1_linear_size3_ac\(t)"), "linear 3")
        expectClose(interpolate(x1, size: [1], mode: .linear, alignCorners: ac), try f.tensor("x1_linear_size1_ac\(t)"), "linear 1")
        expectClose(interpolate(x1, scaleFactor: 1.7, mode: .linear, alignCorners: ac),
                    try f.tensor("x1_linear_scale1.7_ac\(t)"), "linear ×1.7")
        expectClose(interpolate(x2, size: [7, 9], mode: .bilinear, alignCorners: ac),
                    try f.tensor("x2_bilinear_size7_9_ac\(t)"), "bilinear 7×9")
        expectClose(interpolate(x2, size: [3, 2], mode: .bilinear, alignCorners: ac),
                    try f.tensor("x2_bilinear_size3_2_ac\(t)"), "bilinear down")
        expectClose(interpolate(x2, scaleFactor: 1.5, mode: .bilinear, alignCorners: ac),
                    try f.tensor("x2_bilinear_scale1.5_ac\(t)"), "bilinear ×1.5")
        expectClose(interpolate(x2, scaleFactors: [0.6, 2], mode: .bilinear, alignCorners: ac),
                    try f.tensor("x2_bilinear_scale0.6_2.0_ac\(t)"), "bilinear ×(0.6, 2)")
        expectClose(interpolate(x3, size: [5, 6, 7], mode: .trilinear, alignCorners: ac),
                    try f.tensor("x3_trilinear_size5_6_7_ac\(t)"), "trilinear size")
        expectClose(interpolate(x3, scaleFactors: [2, 1.5, 0.5], mode: .trilinear, alignCorners: ac),
                    try f.tensor("x3_trilinear_scale2_1.5_0.5_ac\(t)"), "trilinear ×(2, 1.5, 0.5)")
    }

    @Test func averagePoolingMatchesTorch() throws {
        let f = try Fixtures.load("resampling")
        let q1 = try f.tensor("q1"), q2 = try f.tensor("q2"), q3 = try f.tensor("q3")
        expectClose(avgPool1d(q1, kernelSize: 2), try f.tensor("q1_avg_pool1d_k2"), "avg_pool1d k2")
        expectClose(avgPool1d(q1, kernelSize: 3, stride: 2), try f.tensor("q1_avg_pool1d_k3_s2"), "avg_pool1d k3 s2")
        expectClose(avgPool2d(q2, kernelSize: [2, 2]), try f.tensor("q2_avg_pool2d_k2"), "avg_pool2d k2")
        expectClose(avgPool2d(q3, kernelSize: [3, 3], stride: [2, 2]), try f.tensor("q3_avg_pool2d_k3_s2"), "avg_pool2d k3 s2, [C,H,W]")
        expectClose(avgPool2d(q2, kernelSize: [2, 3]), try f.tensor("q2_avg_pool2d_k2_3"), "avg_pool2d k(2,3)")
    }
}
