import Testing
import Tensors

@Suite struct GroupNormTests {
    static let cases = ["g32", "few_channels", "one_group", "rank2", "rank5", "offset", "long_rows"]

    @Test(arguments: cases) func groupNormMatchesTorch(_ name: String) throws {
        let f = try Fixtures.load("group_norm")
        let x = try f.tensor("\(name).x")
        let groups = Int(try f.tensor("\(name).groups").scalars[0])
        let eps = try f.tensor("\(name).eps").scalars[0]
        let weight = f.entry("\(name).weight") == nil ? nil : try f.tensor("\(name).weight")
        let bias = f.entry("\(name).bias") == nil ? nil : try f.tensor("\(name).bias")
        // Outputs are normalised (|y| ≲ 4·|weight| + |bias|), so an absolute tolerance suffices.
        expectClose(groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps), try f.tensor("\(name).out"),
                    abs: 1e-5, "group_norm \(name)")
        expectClose(groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, applyingSiLU: true),
                    try f.tensor("\(name).out_silu"), abs: 1e-5, "silu(group_norm) \(name)")
    }
}
