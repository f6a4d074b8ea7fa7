import Testing
import Tensors

@Suite struct ElementwiseTests {
    @Test func broadcastingArithmeticMatchesTorch() throws {
        let f = try Fixtures.load("elementwise")
        let a = try f.tensor("a"), b = try f.tensor("b"), away = try f.tensor("away"), bias = try f.tensor("bias")
        let seq = try f.tensor("seq"), channel = try f.tensor("channel"), row = try f.tensor("row")
        let col = try f.tensor("col"), vec = try f.tensor("vec"), left = try f.tensor("left"), right = try f.tensor("right")
        expectClose(a + b, try f.tensor("a+b"), "a+b")
        expectClose(a - b, try f.tensor("a-b"), "a-b")
        expectClose(a * b, try f.tensor("a*b"), "a*b")
        expectClose(a / away, try f.tensor("a/away"), "a/away")
        expectClose(a + bias, try f.tensor("a+bias"), "a+bias [1,C,1,1]")
        expectClose(a * bias, try f.tensor("a*bias"), "a*bias")
        expectClose(bias - a, try f.tensor("bias-a"), "bias-a (broadcast on the left)")
        expectClose(a / bias, try f.tensor("a/bias"), abs: 1e-5, rel: 1e-6, "a/bias")
        expectClose(seq + channel, try f.tensor("seq+channel"), "[B,L,C]+[C]")
        expectClose(seq - row, try f.tensor("seq-row"), "[B,L,C]-[B,1,C]")
        expectClose(channel * seq, try f.tensor("channel*seq"), "[C]*[B,L,C]")
        expectClose(col + vec, try f.tensor("col+vec"), "[4,1]+[3]")
        expectClose(left * right, try f.tensor("left*right"), "[1,4,1]*[2,1,5]")
        expectClose(right / left, try f.tensor("right/left"), abs: 1e-5, rel: 1e-6, "[2,1,5]/[1,4,1]")
    }

    @Test func scalarOperandsMatchTorch() throws {
        let f = try Fixtures.load("elementwise")
        let a = try f.tensor("a"), away = try f.tensor("away")
        expectClose(a * 2.5, try f.tensor("a*2.5"), "a*2.5")
        expectClose(2.5 - a, try f.tensor("2.5-a"), "2.5-a")
        expectClose(1.5 / away, try f.tensor("1.5/away"), "1.5/away")
        expectClose(a / 3, try f.tensor("a/3"), "a/3")
        expectClose(a + 0.25, try f.tensor("a+0.25"), "a+0.25")
        expectClose(0.25 + a, try f.tensor("a+0.25"), "0.25+a")
        expectClose(2.5 * a, try f.tensor("a*2.5"), "2.5*a")
    }

    @Test func inPlaceOperatorsMatchOutOfPlace() throws {
        let f = try Fixtures.load("elementwise")
        let a = try f.tensor("a"), b = try f.tensor("b"), bias = try f.tensor("bias")
        var x = a
        x += bias
        expectClose(x, try f.tensor("a+bias"), "a += bias")
        x = a
        x *= b
        expectClose(x, try f.tensor("a*b"), "a *= b")
        x = a
        x -= b
        expectClose(x, try f.tensor("a-b"), "a -= b")
        x = a
        x /= 3
        expectClose(x, try f.tensor("a/3"), "a /= 3")
        x = a
        x += x
        expectClose(x, a * 2, "x += x")
    }

    @Test func unaryMapsMatchTorch() throws {
        let f = try Fixtures.load("elementwise")
        let a = try f.tensor("a"), pos = a.abs() + 0.1
        expectClose(-a, try f.tensor("neg"), "neg")
        expectClose(a.exp(), try f.tensor("exp"), abs: 1e-5, rel: 1e-6, "exp")
        expectClose(pos.log(), try f.tensor("log"), "log")
        expectClose((a.abs() + 0.1).sqrt(), try f.tensor("sqrt"), "sqrt")
        expectClose(pos.rsqrt(), try f.tensor("rsqrt"), abs: 1e-5, rel: 1e-6, "rsqrt")
        expectClose(a.abs(), try f.tensor("abs"), "abs")
        expectClose(a.square(), try f.tensor("square"), "square")
        expectClose(a.clamp(min: -0.5, max: 0.7), try f.tensor("clamp"), "clamp")
        expectClose(a.clamp(min: 0.2), try f.tensor("clamp_min"), "clamp min")
        expectClose(a.tanh(), try f.tensor("tanh"), "tanh")
        expectClose((3 * a).sin(), try f.tensor("sin"), "sin")
        expectClose((3 * a).cos(), try f.tensor("cos"), "cos")
        expectClose(pos.pow(1.7), try f.tensor("pow1.7"), abs: 1e-5, rel: 1e-6, "pow 1.7")
        expectClose(a.pow(2), try f.tensor("pow2"), "pow 2")
        expectClose(a.pow(3), try f.tensor("pow3"), abs: 1e-5, rel: 1e-6, "pow 3")
        expectClose(pos.pow(-0.5), try f.tensor("pow-0.5"), abs: 1e-5, rel: 1e-6, "pow -0.5")
    }

    @Test func lerpAndExpandMatchTorch() throws {
        let f = try Fixtures.load("elementwise")
        let a = try f.tensor("a"), b = try f.tensor("b"), bias = try f.tensor("bias")
        expectClose(lerp(a, b, weight: 0.3), try f.tensor("lerp0.3"), "lerp 0.3")
        expectClose(lerp(a, b, weight: 0.8), try f.tensor("lerp0.8"), "lerp 0.8")
        expectClose(lerp(a, bias, weight: 0.6), try f.tensor("lerp_bias0.6"), "lerp broadcast")
        expectClose(bias.expanded(to: [2, 3, 4, 5]), try f.tensor("bias_expanded"), "expand")
    }

    @Test func broadcastShapeRules() {
        #expect(Tensor.broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(Tensor.broadcastShape([], [5]) == [5])
        #expect(Tensor.broadcastShape([0, 1], [1, 3]) == [0, 3])
        let scalar = Tensor(2) + Tensor(shape: [2], scalars: [1, 3])
        #expect(scalar.scalars == [3, 5])
    }

    @Test func largeTensorsTakeTheParallelPaths() {
        // Large enough for several chunks per thread in every broadcast pattern.
        let n = 4, c = 8, hw = 4096
        let x = Tensor(shape: [n, c, hw]) { out in for i in 0..<out.count { out[i] = Float(i % 97) - 48 } }
        let bias = Tensor(shape: [1, c, 1]) { out in for i in 0..<c { out[i] = Float(i) } }
        let y = x + bias
        var worst: Float = 0
        for i in 0..<x.count { worst = Swift.max(worst, Swift.abs(y.scalars[i] - (x.scalars[i] + Float((i / hw) % c)))) }
        #expect(worst == 0)
        let z = x * x - x.square()
        #expect(z.scalars.allSatisfy { $0 == 0 })
    }

    @Test func fewLongRowsAreSplitIntoColumnBlocks() {
        // Three rows of 50 001: fewer rows than tasks, so each row is cut into column blocks.
        let n = 50_001
        let x = Tensor(shape: [3, n]) { out in for i in 0..<out.count { out[i] = Float(i % 1013) } }
        let v = Tensor(shape: [n]) { out in for i in 0..<n { out[i] = Float(i % 7) } }
        let r = Tensor(shape: [3, 1], scalars: [10, 20, 30])
        let sum = x + v, difference = x - r, shifted = x + Tensor(0.5)
        var bad = 0
        for i in 0..<x.count {
            if sum.scalars[i] != x.scalars[i] + Float((i % n) % 7) { bad += 1 }
            if difference.scalars[i] != x.scalars[i] - Float(10 * (i / n + 1)) { bad += 1 }
            if shifted.scalars[i] != x.scalars[i] + 0.5 { bad += 1 }
        }
        #expect(bad == 0)
    }
}
