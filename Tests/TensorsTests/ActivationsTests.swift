import Testing
import Tensors

@Suite struct ActivationsTests {
    @Test func activationsMatchTorch() throws {
        let f = try Fixtures.load("activations")
        let x = try f.tensor("x")
        expectClose(x.silu(), try f.tensor("silu"), abs: 1e-5, rel: 1e-6, "silu")
        expectClose(x.gelu(), try f.tensor("gelu"), abs: 1e-5, rel: 1e-6, "gelu")
        expectClose(x.gelu(approximate: .tanh), try f.tensor("gelu_tanh"), abs: 1e-5, rel: 1e-6, "gelu tanh")
        expectClose(x.sigmoid(), try f.tensor("sigmoid"), "sigmoid")
        expectClose(x.relu(), try f.tensor("relu"), "relu")
        expectClose(x.leakyRelu(negativeSlope: 0.1), try f.tensor("leaky_relu0.1"), "leaky_relu 0.1")
        expectClose(x.leakyRelu(), try f.tensor("leaky_relu"), "leaky_relu default")
        expectClose(x.mish(), try f.tensor("mish"), abs: 1e-5, rel: 1e-6, "mish")
        expectClose(x.quickGelu(), try f.tensor("quick_gelu"), abs: 1e-5, rel: 1e-6, "quick_gelu")
    }

    /// Beyond the clamp of their exponential (|x| > 87) the logistic family saturates: results
    /// stay within 1e-33 of PyTorch's (which keeps falling to 0) and nothing overflows.
    @Test func sigmoidFamilySaturatesBeyondTheClamp() {
        let x = Tensor(shape: [7], scalars: [-1e4, -200, -88, 88, 200, 1e4, .nan])
        let sigmoid = x.sigmoid().scalars, silu = x.silu().scalars, quick = x.quickGelu().scalars
        for i in 0..<3 {
            #expect(sigmoid[i] >= 0 && sigmoid[i] < 1e-37, "sigmoid(\(x.scalars[i])) = \(sigmoid[i])")
            #expect(silu[i] <= 0 && silu[i] > -1e-33, "silu(\(x.scalars[i])) = \(silu[i])")
            #expect(quick[i] <= 0 && quick[i] > -1e-33, "quick_gelu(\(x.scalars[i])) = \(quick[i])")
        }
        for i in 3..<6 {
            #expect(sigmoid[i] == 1, "sigmoid(\(x.scalars[i])) = \(sigmoid[i])")
            #expect(silu[i] == x.scalars[i] && quick[i] == x.scalars[i], "silu/quick_gelu(\(x.scalars[i]))")
        }
        #expect(sigmoid[6].isNaN && silu[6].isNaN && quick[6].isNaN, "NaN must propagate")
    }

    @Test func gegluMatchesDiffusers() throws {
        let f = try Fixtures.load("activations")
        let projected = try f.tensor("geglu_in")                                   // [2, 4, 6]
        expectClose(projected.geglu(), try f.tensor("geglu_out"), "GEGLU")
        expectClose(projected.geglu(approximate: .tanh), try f.tensor("geglu_tanh_out"), "GEGLU tanh")
    }
}
