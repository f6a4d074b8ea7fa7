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

    @Test func gegluMatchesDiffusers() throws {
        let f = try Fixtures.load("activations")
        let projected = try f.tensor("geglu_in")                                   // [2, 4, 6]
        expectClose(projected.geglu(), try f.tensor("geglu_out"), "GEGLU")
        expectClose(projected.geglu(approximate: .tanh), try f.tensor("geglu_tanh_out"), "GEGLU tanh")
    }
}
