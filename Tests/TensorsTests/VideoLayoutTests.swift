import Tensors
import Testing

// The video kernels against compositions of the general ones: `temporalConvolution` against `conv3d`
// (itself in parity with torch, ConvolutionTests), the temporal token moves against `permuted` and
// `groupNorm`. Inputs are deterministic pseudo-random values with an offset, so the group means are
// not zero.

/// Deterministic values in about [offset − 1, offset + 1].
private func values(_ shape: [Int], seed: Int, offset: Float = 0) -> Tensor {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Float(state % 20_001) / 10_000 - 1 + offset
    })
}

@Suite struct VideoLayoutTests {
    /// (3, 1, 1) and (2, 1, 1) kernels with and without padding and bias, one frame included.
    @Test(arguments: [(3, 1, 5), (3, 1, 1), (2, 0, 4), (3, 2, 2)])
    func temporalConvolutionMatchesConv3d(kernel: Int, padding: Int, frames: Int) {
        let x = values([2, 5, frames, 3, 4], seed: frames)                           // [B, C, F, H, W]
        let weight = values([6, 5, kernel, 1, 1], seed: kernel + 10)
        for bias in [values([6], seed: 3), nil] {
            let expected = conv3d(x, weight: weight, bias: bias, padding: [padding, 0, 0])
            expectClose(temporalConvolution(x, weight: weight, bias: bias, padding: padding), expected, abs: 1e-5,
                        "temporal conv k \(kernel) p \(padding) F \(frames) bias \(bias != nil)")
        }
    }

    /// Frame-major ⇄ channel-first equals the permute, and round-trips.
    @Test func frameLayoutsRoundTrip() {
        let x = values([6, 4, 3, 5], seed: 1)                                         // [B·F, C, H, W], F = 3
        let video = x.framesToChannelFirst(frames: 3)
        #expect(video == x.reshaped([2, 3, 4, 3, 5]).permuted([0, 2, 1, 3, 4]))
        #expect(video.channelFirstToFrames() == x)
    }

    /// GroupNorm over each video then per-pixel frame sequences, against permute + groupNorm + permute.
    @Test(arguments: [1, 4])
    func temporalTokensMatchPermutedGroupNorm(frames: Int) {
        let (b, c, h, w) = (2, 20, 3, 7)
        let x = values([b * frames, c, h, w], seed: frames, offset: 3)
        let weight = values([c], seed: 5), bias = values([c], seed: 6)
        let normed = groupNorm(x.framesToChannelFirst(frames: frames), groups: 4, weight: weight, bias: bias, eps: 1e-6)
        let expected = normed.permuted([0, 3, 4, 2, 1]).reshaped([b * h * w, frames, c])
        let tokens = temporalGroupNormTokens(x, frames: frames, groups: 4, weight: weight, bias: bias, eps: 1e-6)
        expectClose(tokens, expected, abs: 1e-5, "temporal tokens, \(frames) frames")

        let back = temporalTokensToFrames(tokens, adding: x)
        let reference = tokens.reshaped([b, h, w, frames, c]).permuted([0, 3, 4, 1, 2]).reshaped(x.shape) + x
        #expect(back == reference)
    }
}
