import Testing
import Tensors

@Suite struct PadTests {
    @Test func padMatchesTorch() throws {
        let f = try Fixtures.load("shapeops")
        let p = try f.tensor("p"), p1 = try f.tensor("p1"), p3 = try f.tensor("p3")
        expectClose(pad(p, [1, 2]), try f.tensor("pad_const_1_2"), abs: 0, "constant")
        expectClose(pad(p, [1, 2, 3, 0], mode: .constant(0.5)), try f.tensor("pad_const_1_2_3_0_v0.5"), abs: 0, "constant 0.5")
        expectClose(pad(p, [-1, 2, 0, -2]), try f.tensor("pad_const_crop"), abs: 0, "negative padding crops")
        expectClose(pad(p, [2, 1, 1, 2], mode: .reflect), try f.tensor("pad_reflect_2_1_1_2"), abs: 0, "reflect 2-d")
        expectClose(pad(p, [1, 2, 2, 1], mode: .replicate), try f.tensor("pad_replicate_1_2_2_1"), abs: 0, "replicate 2-d")
        expectClose(pad(p1, [3, 3], mode: .reflect), try f.tensor("pad1_reflect_3_3"), abs: 0, "reflect 1-d")
        expectClose(pad(p, [2, 1, 1, 1], mode: .circular), try f.tensor("pad_circular_2_1_1_1"), abs: 0, "circular")
        expectClose(pad(p3, [1, 1, 2, 0, 1, 2], mode: .replicate), try f.tensor("pad3_replicate"), abs: 0, "replicate 3-d")
        expectClose(pad(p3, [1, 2, 1, 1, 2, 1], mode: .reflect), try f.tensor("pad3_reflect"), abs: 0, "reflect 3-d")
    }

    @Test func repeatAndFlipMatchTorch() throws {
        let f = try Fixtures.load("shapeops")
        let small = try f.tensor("small"), x3 = try f.tensor("x3")
        expectClose(small.repeated([2, 1, 3]), try f.tensor("repeat_2_1_3"), abs: 0, "repeat")
        expectClose(x3.flipped(axes: [0, 2]), try f.tensor("flip02"), abs: 0, "flip 0, 2")
        expectClose(small.flipped(axes: [-1]), try f.tensor("flip-1"), abs: 0, "flip -1")
    }
}
