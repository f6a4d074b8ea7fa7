import Testing
import Tensors

@Suite struct LinearTests {
    @Test func linearMatchesTorch() throws {
        let f = try Fixtures.load("linear")
        let x = try f.tensor("x"), w = try f.tensor("w"), b = try f.tensor("b")
        expectClose(linear(x, weight: w, bias: b), try f.tensor("y"), "linear [2,3,5]·[4,5]ᵀ+b")
        expectClose(linear(x, weight: w), try f.tensor("y_nobias"), "linear without bias")
        expectClose(linear(try f.tensor("v"), weight: w, bias: b), try f.tensor("yv"), "linear on a vector")
    }
}
