import SafeTensors
import Testing
@testable import Tensors

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) (WinogradConvolution.swift, WinogradConvolution+F4.swift) against
/// torch's conv2d / conv3d.
@Suite struct WinogradConvolutionTests {
    static let cases = ["odd_pad1", "pad0_nobias", "pad2", "mixed_pad", "planes_3d", "chosen"]

    /// Forced onto each Winograd path with chunks of 1, 5 and all tiles (heights and widths that are
    /// not multiples of the tile drop the outputs past the edge; chunks split images and span them).
    @Test(arguments: cases, [WinogradTile.two, .four]) func winogradMatchesTorch(_ name: String, _ tile: WinogradTile) throws {
        let f = try Fixtures.load("conv_winograd")
        let x = try f.tensor("\(name).x"), weight = try f.tensor("\(name).weight")
        let bias = f.entry("\(name).bias") == nil ? nil : try f.tensor("\(name).bias")
        let padding = try f.tensor("\(name).padding").scalars.map { Int($0) }
        let rank = x.rank - 2
        let g = ConvGeometry(input: x.shape, weight: weight.shape, bias: bias?.shape, stride: [1], padding: padding,
                             dilation: [1], groups: 1, transposed: false, outputPadding: [0])
        #expect(WinogradConvolution.applies(g), "\(name): Winograd must apply")
        let expected = try f.tensor("\(name).out")
        for chunk in [1, 5, 100_000] {
            let y = convolution(x, weight: weight, bias: bias, stride: [Int](repeating: 1, count: rank), padding: padding,
                                dilation: [Int](repeating: 1, count: rank), groups: 1, tileColumns: nil,
                                winograd: (tile, chunk))
            // Transformed sums of up to 297 products of unit-sized values: a few ulps more than direct
            // (F(4×4)'s worst: 2.0e-5 at a value of 1.45, F(2×2)'s within 1e-5).
            expectClose(y, expected, abs: 2e-5, rel: 1e-5, "\(name), \(tile) chunk \(chunk)")
        }
    }

    /// The public entry point picks F(2×2) for 32 channels at 32×32 and 1280 at 16×16, F(4×4) for
    /// Stable Diffusion's 64×64 and 32×32 levels, and neither for small channel counts, too few
    /// tiles, strides, dilations or groups.
    @Test func choiceFollowsShapes() throws {
        let f = try Fixtures.load("conv_winograd")
        let x = try f.tensor("chosen.x"), weight = try f.tensor("chosen.weight"), bias = try f.tensor("chosen.bias")
        func geometry(_ input: [Int], _ w: [Int], stride: Int = 1, dilation: Int = 1, groups: Int = 1) -> ConvGeometry {
            ConvGeometry(input: input, weight: w, bias: nil, stride: [stride], padding: [1], dilation: [dilation],
                         groups: groups, transposed: false, outputPadding: [0])
        }
        #expect(WinogradConvolution.choice(geometry(x.shape, weight.shape)) == .two)
        #expect(WinogradConvolution.choice(geometry([2, 320, 64, 64], [320, 320, 3, 3])) == .four)
        #expect(WinogradConvolution.choice(geometry([2, 640, 32, 32], [640, 640, 3, 3])) == .four)
        #expect(WinogradConvolution.choice(geometry([2, 1280, 16, 16], [1280, 1280, 3, 3])) == .two)
        #expect(WinogradConvolution.choice(geometry([2, 64, 64, 64], [64, 64, 3, 3])) == .two)     // narrow: F(2×2) only
        #expect(!WinogradConvolution.pays(geometry([2, 64, 16, 16], [64, 64, 3, 3])))           // 128 tiles, narrow
        #expect(!WinogradConvolution.pays(geometry([1, 4, 32, 32], [32, 4, 3, 3])))
        #expect(!WinogradConvolution.pays(geometry(x.shape, weight.shape, stride: 2)))
        #expect(!WinogradConvolution.pays(geometry(x.shape, weight.shape, dilation: 2)))
        #expect(!WinogradConvolution.pays(geometry(x.shape, [32, 16, 3, 3], groups: 2)))
        #expect(!WinogradConvolution.pays(geometry([2, 1280, 8, 8], [1280, 1280, 3, 3])))
        expectClose(conv2d(x, weight: weight, bias: bias, padding: [1, 1]), try f.tensor("chosen.out"),
                    abs: 2e-5, rel: 1e-5, "conv2d 32 channels at 32×32")
    }
}
