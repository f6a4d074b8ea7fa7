import SafeTensors
import Testing
@testable import Tensors

/// One case of tools/fixtures/fx_conv.py: `<name>.x`, `.weight`, `.bias`?, `.out` and its parameters.
private struct ConvCase {
    let x, weight, out: Tensor
    let bias: Tensor?
    let stride, padding, dilation, outputPadding: [Int]
    let groups: Int

    init(_ f: SafeTensorsFile, _ name: String) throws {
        func ints(_ key: String) throws -> [Int] { try f.tensor("\(name).\(key)").scalars.map { Int($0) } }
        x = try f.tensor("\(name).x")
        weight = try f.tensor("\(name).weight")
        out = try f.tensor("\(name).out")
        bias = f.entry("\(name).bias") == nil ? nil : try f.tensor("\(name).bias")
        stride = try ints("stride")
        padding = try ints("padding")
        dilation = try ints("dilation")
        outputPadding = f.entry("\(name).output_padding") == nil ? [] : try ints("output_padding")
        groups = try ints("groups")[0]
    }
}

@Suite struct ConvolutionTests {
    static let convolutions = [
        "conv2d_pad1", "conv2d_nobias", "conv2d_stride2", "conv2d_mixed", "conv2d_groups", "conv2d_depthwise",
        "conv2d_1x1", "conv2d_1x1_groups", "conv2d_1x1_stride2", "conv2d_big_padding",
        "conv1d_k7", "conv1d_dilated", "conv1d_groups", "conv3d_133", "conv3d_311", "conv3d_mixed", "conv3d_1x1x1",
    ]
    static let transposed = ["convT1d_hifigan", "convT1d_misc", "convT1d_nobias", "convT2d", "convT2d_groups", "convT2d_1x1"]

    // Outputs reach |y| ≈ 10 (sums of up to 54 products); abs 1e-5 plus rel 1e-6 allows for the
    // different summation order of OpenBLAS and oneDNN at that magnitude.
    @Test(arguments: convolutions) func convolutionMatchesTorch(_ name: String) throws {
        let c = try ConvCase(try Fixtures.load("conv"), name)
        let y = convolution(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                            dilation: c.dilation, groups: c.groups)
        expectClose(y, c.out, abs: 1e-5, rel: 1e-6, name)
        let wrapped: Tensor
        switch c.x.rank {
        case 3:
            wrapped = conv1d(c.x, weight: c.weight, bias: c.bias, stride: c.stride[0], padding: c.padding[0],
                             dilation: c.dilation[0], groups: c.groups)
        case 4:
            wrapped = conv2d(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                             dilation: c.dilation, groups: c.groups)
        default:
            wrapped = conv3d(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                             dilation: c.dilation, groups: c.groups)
        }
        #expect(wrapped == y, "\(name): rank wrapper differs from convolution")
    }

    /// Tiles of 1, 7 and 64 output positions split images and span two images of the batch.
    @Test(arguments: convolutions) func smallTilesGiveTheSameResult(_ name: String) throws {
        let c = try ConvCase(try Fixtures.load("conv"), name)
        for tile in [1, 7, 64] {
            let y = convolution(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                                dilation: c.dilation, groups: c.groups, tileColumns: tile)
            expectClose(y, c.out, abs: 1e-5, rel: 1e-6, "\(name), tile \(tile)")
        }
    }

    @Test(arguments: transposed) func transposedConvolutionMatchesTorch(_ name: String) throws {
        let c = try ConvCase(try Fixtures.load("conv_transpose"), name)
        let y = convolutionTranspose(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                                     outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups)
        expectClose(y, c.out, abs: 1e-5, rel: 1e-6, name)
        let wrapped = c.x.rank == 3
            ? convTranspose1d(c.x, weight: c.weight, bias: c.bias, stride: c.stride[0], padding: c.padding[0],
                              outputPadding: c.outputPadding[0], dilation: c.dilation[0], groups: c.groups)
            : convTranspose2d(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                              outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups)
        #expect(wrapped == y, "\(name): rank wrapper differs from convolutionTranspose")
        for tile in [1, 5] {
            let tiled = convolutionTranspose(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding,
                                             outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups,
                                             tileColumns: tile)
            expectClose(tiled, c.out, abs: 1e-5, rel: 1e-6, "\(name), tile \(tile)")
        }
    }

    @Test func outputSizesFollowTorch() {
        let x = Tensor(zeros: [1, 2, 10, 7])
        let w = Tensor(zeros: [3, 2, 3, 2])
        #expect(conv2d(x, weight: w, stride: [3, 2], padding: [1, 0], dilation: [2, 1]).shape == [1, 3, 3, 3])
        let t = Tensor(zeros: [1, 2, 5])
        #expect(convTranspose1d(t, weight: Tensor(zeros: [2, 4, 16]), stride: 8, padding: 4).shape == [1, 4, 40])
        #expect(convTranspose1d(t, weight: Tensor(zeros: [2, 4, 3]), stride: 2, padding: 1, outputPadding: 1).shape
                == [1, 4, 10])
    }
}
