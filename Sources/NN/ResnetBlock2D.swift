import SafeTensors
import Tensors

// Reference: diffusers/models/resnet.py, `ResnetBlock2D` (diffusers 0.42), without `up`/`down`
// (the FIR/resample variants) and without dropout (inference).

/// diffusers' `ResnetBlock2D` (`diffusers/models/resnet.py`):
/// `h = conv1(act(norm1(x)))`, `h += time_emb_proj(act(temb))[:, :, None, None]`,
/// `h = conv2(act(norm2(h)))`, `out = (conv_shortcut(x) + h) / output_scale_factor`.
///
/// `time_embedding_norm` "default" adds the projected embedding before `norm2`; "scale_shift"
/// projects to `2·out` channels and applies `norm2(h)·(1 + scale) + shift`. Without
/// `temb_channels` (the VAE's ResNets) there is no `time_emb_proj`. `conv_shortcut` (1×1) is
/// read when the channel count changes or `use_in_shortcut` says so. `up`/`down` are not built.
public struct ResnetBlock2D: Sendable {
    /// `time_embedding_norm`.
    public enum TimeEmbeddingNorm: String, Sendable {
        /// "default": `h + temb` before `norm2`.
        case `default`
        /// "scale_shift": `norm2(h) · (1 + scale) + shift`.
        case scaleShift = "scale_shift"
    }

    let norm1: GroupNorm
    let conv1: Conv2d
    let timeEmbProj: Linear?
    let norm2: GroupNorm
    let conv2: Conv2d
    let convShortcut: Conv2d?
    let activation: Activation
    let timeEmbeddingNorm: TimeEmbeddingNorm
    let skipTimeAct: Bool
    let outputScaleFactor: Float

    /// Reads the block's weights from `w`, as `ResnetBlock2D(in_channels, out_channels,
    /// temb_channels, groups, groups_out, eps, non_linearity, skip_time_act, time_embedding_norm,
    /// output_scale_factor, use_in_shortcut, conv_shortcut_bias, conv_2d_out_channels)`.
    /// `tembChannels` nil means no time embedding (diffusers' `temb_channels=None`).
    public init(_ w: WeightScope, inChannels: Int, outChannels: Int? = nil, tembChannels: Int?, groups: Int = 32,
                groupsOut: Int? = nil, eps: Float = 1e-6, activation: Activation = .silu, skipTimeAct: Bool = false,
                timeEmbeddingNorm: TimeEmbeddingNorm = .default, outputScaleFactor: Float = 1,
                useInShortcut: Bool? = nil, convShortcutBias: Bool = true, conv2dOutChannels: Int? = nil) throws {
        let out = outChannels ?? inChannels
        let convOut = conv2dOutChannels ?? out
        norm1 = try GroupNorm(w["norm1"], groups: groups, channels: inChannels, eps: eps)
        conv1 = try Conv2d(w["conv1"], in: inChannels, out: out, kernel: 3, padding: 1)
        timeEmbProj = try tembChannels.map {
            try Linear(w["time_emb_proj"], in: $0, out: timeEmbeddingNorm == .scaleShift ? 2 * out : out)
        }
        norm2 = try GroupNorm(w["norm2"], groups: groupsOut ?? groups, channels: out, eps: eps)
        conv2 = try Conv2d(w["conv2"], in: out, out: convOut, kernel: 3, padding: 1)
        convShortcut = try useInShortcut ?? (inChannels != convOut)
            ? Conv2d(w["conv_shortcut"], in: inChannels, out: convOut, kernel: 1, bias: convShortcutBias) : nil
        self.activation = activation
        self.timeEmbeddingNorm = timeEmbeddingNorm
        self.skipTimeAct = skipTimeAct
        self.outputScaleFactor = outputScaleFactor
    }

    /// x [B, in, H, W], temb [B, temb_channels] (nil without `time_emb_proj`) → [B, out, H, W].
    public func callAsFunction(_ x: Tensor, temb: Tensor?) -> Tensor {
        var h = conv1(norm1(x, then: activation))                                   // [B, out, H, W]
        let (b, c) = (h.shape[0], h.shape[1])
        let projected = timeEmbProj.flatMap { proj in
            temb.map { proj(skipTimeAct ? $0 : activation($0)) }                    // [B, out or 2·out]
        }
        switch timeEmbeddingNorm {
        case .default:
            if let projected { h += projected.reshaped([b, c, 1, 1]) }
            h = norm2(h, then: activation)
        case .scaleShift:
            precondition(projected != nil, "ResnetBlock2D: time_embedding_norm \"scale_shift\" needs temb")
            let halves = projected!.reshaped([b, 2 * c, 1, 1]).chunked(2, axis: 1)  // 2 × [B, out, 1, 1]
            h = norm2(h)
            h *= halves[0] + 1
            h += halves[1]
            h = activation(h)
        }
        h = conv2(h)                                                                // [B, out, H, W]
        h += convShortcut.map { $0(x) } ?? x
        if outputScaleFactor != 1 { h /= outputScaleFactor }
        return h
    }
}
