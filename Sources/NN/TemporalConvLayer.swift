import SafeTensors
import Tensors

// Reference: diffusers/models/resnet.py, `TemporalConvLayer` (diffusers 0.42), the temporal
// convolutions of ModelScope's text-to-video UNet (dropout is inference-off).

/// diffusers' `TemporalConvLayer` (`diffusers/models/resnet.py`): four stages of GroupNorm, SiLU and
/// a (3, 1, 1) `Conv3d` over the frames of each video, plus the input as residual.
///
/// Keys: `conv1.0` (GroupNorm over `in_dim`), `conv1.2` (Conv3d `in_dim → out_dim`), then for
/// `conv2`, `conv3`, `conv4`: `.0` (GroupNorm over `out_dim`) and `.3` (Conv3d `out_dim → in_dim`);
/// the `Dropout` at `.2` has no weights.
///
/// The layer takes and returns frame-major activations `[B·F, C, H, W]`, as the UNet passes them.
/// It moves to channel-first `[B, C, F, H, W]` once, runs the four stages there (GroupNorm
/// statistics span all frames of a video; each temporal convolution is three matrix products
/// over shifted frames, `temporalConvolution`), and moves back once, adding the residual.
public struct TemporalConvLayer: Sendable {
    /// `conv1.0`, `conv2.0`, `conv3.0`, `conv4.0`.
    let norms: [GroupNorm]
    /// `conv1.2`, `conv2.3`, `conv3.3`, `conv4.3`: weights `[O, I, 3, 1, 1]`.
    let convs: [Conv3d]

    /// Reads the four stages from `w`, as `TemporalConvLayer(in_dim, out_dim, dropout, norm_num_groups)`.
    public init(_ w: WeightScope, inDim: Int, outDim: Int? = nil, normNumGroups: Int = 32) throws {
        let out = outDim ?? inDim
        let stages = [("conv1", 2, inDim, out), ("conv2", 3, out, inDim), ("conv3", 3, out, inDim), ("conv4", 3, out, inDim)]
        var norms: [GroupNorm] = [], convs: [Conv3d] = []
        for (name, index, input, output) in stages {                   // in state_dict order
            norms.append(try GroupNorm(w[name][0], groups: normNumGroups, channels: input))
            convs.append(try Conv3d(w[name][index], in: input, out: output, kernel: [3, 1, 1], padding: [1, 0, 0]))
        }
        self.norms = norms
        self.convs = convs
    }

    /// hidden states `[B·F, C, H, W]` with `frames` frames per video → `[B·F, C, H, W]`.
    public func callAsFunction(_ x: Tensor, frames: Int) -> Tensor {
        var h = x.framesToChannelFirst(frames: frames)                                  // [B, C, F, H, W]
        for (norm, conv) in zip(norms, convs) {
            h = temporalConvolution(norm(h, applyingSiLU: true), weight: conv.weight, bias: conv.bias, padding: 1)
        }
        var out = h.channelFirstToFrames()                                              // [B·F, C, H, W]
        out += x
        return out
    }
}
