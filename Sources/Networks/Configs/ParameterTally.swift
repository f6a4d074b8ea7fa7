/// Counts the weights of a network described by a config, one layer at a time, with
/// overflow-checked arithmetic: sizes come from files and may be absurd. The layer shapes
/// follow diffusers' modules (`ResnetBlock2D`, `Attention`, `BasicTransformerBlock`,
/// `Transformer2DModel`, `TimestepEmbedding`), so counts are exact for the supported blocks.
struct ParameterTally {
    private var sum = 0
    private var overflowed = false

    /// Adds the product of `factors`.
    mutating func add(_ factors: Int...) {
        var product = 1
        for factor in factors {
            let (p, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow { overflowed = true; return }
            product = p
        }
        let (s, overflow) = sum.addingReportingOverflow(product)
        if overflow { overflowed = true } else { sum = s }
    }

    /// Adds `times` copies of what `body` counts, without looping `times` times (layer counts
    /// come from files too).
    mutating func repeated(_ times: Int, _ body: (inout ParameterTally) -> Void) {
        guard times > 0 else { return }
        var one = ParameterTally()
        body(&one)
        if one.overflowed { overflowed = true } else { add(times, one.sum) }
    }

    /// `a · b`, or 0 (and the tally fails) when it overflows.
    mutating func product(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { overflowed = true; return 0 }
        return p
    }

    /// `a + b`, or 0 (and the tally fails) when it overflows.
    mutating func sum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        if overflow { overflowed = true; return 0 }
        return s
    }

    /// The total; throws when any step overflowed.
    func total() throws -> Int {
        guard !overflowed else {
            throw ConfigError(field: "model size", "the sizes overflow 64-bit arithmetic when counting parameters")
        }
        return sum
    }

    /// `nn.Linear(input, output, bias)`.
    mutating func linear(_ input: Int, _ output: Int, bias: Bool = true) {
        add(input, output)
        if bias { add(output) }
    }

    /// `nn.Conv2d(input, output, kernel)` (or Conv3d when `depth` > 1), with bias.
    mutating func conv(_ input: Int, _ output: Int, kernel: Int, depth: Int = 1) {
        add(input, output, kernel, kernel, depth)
        add(output)
    }

    /// `nn.GroupNorm` or `nn.LayerNorm` over `channels` (weight and bias).
    mutating func norm(_ channels: Int) { add(2, channels) }

    /// `ResnetBlock2D(in_channels, out_channels, temb_channels)`: two norms and 3×3 convs, the
    /// time-embedding projection (doubled for `"scale_shift"`), and a 1×1 shortcut when the
    /// channel counts differ.
    mutating func resnet(_ input: Int, _ output: Int, timeEmbedding: Int?, scaleShift: Bool = false) {
        norm(input)
        conv(input, output, kernel: 3)
        if let timeEmbedding {
            linear(timeEmbedding, output)
            if scaleShift { linear(timeEmbedding, output) }   // Linear(temb, 2·out): scale and shift
        }
        norm(output)
        conv(output, output, kernel: 3)
        if input != output { conv(input, output, kernel: 1) }
    }

    /// `Attention(query_dim, cross_attention_dim, heads, dim_head)` without q/k/v bias
    /// (as in transformer blocks): to_q, to_k, to_v and to_out[0] with bias.
    mutating func attention(query: Int, keyValue: Int, inner: Int) {
        linear(query, inner, bias: false)
        linear(keyValue, inner, bias: false)
        linear(keyValue, inner, bias: false)
        linear(inner, query)
    }

    /// `BasicTransformerBlock(dim, …, activation_fn="geglu")`: self-attention (or cross-attention
    /// when `onlyCrossAttention`), cross-attention when `crossAttention` is set, a GEGLU
    /// feed-forward of 4·dim, and three LayerNorms.
    mutating func basicTransformerBlock(_ dim: Int, crossAttention: Int?, onlyCrossAttention: Bool = false) {
        norm(dim)
        attention(query: dim, keyValue: onlyCrossAttention ? (crossAttention ?? dim) : dim, inner: dim)
        if let crossAttention {
            norm(dim)
            attention(query: dim, keyValue: crossAttention, inner: dim)
        }
        norm(dim)
        add(dim, 8, dim); add(8, dim)           // GEGLU proj: Linear(dim, 2·4·dim)
        add(4, dim, dim); add(dim)              // Linear(4·dim, dim)
    }

    /// `TransformerTemporalModel(heads, head_dim, in_channels)` with one layer (diffusers
    /// `models/transformers/transformer_temporal.py`): GroupNorm, proj_in to `inner`, a block
    /// whose attn2 is a second self-attention (`double_self_attention=True`), proj_out.
    mutating func transformerTemporal(_ channels: Int, inner: Int) {
        norm(channels)
        linear(channels, inner)
        basicTransformerBlock(inner, crossAttention: inner)
        linear(inner, channels)
    }

    /// `AnimateDiffTransformer3D(heads, channels // heads, in_channels=channels, num_layers)` (diffusers
    /// `models/unets/unet_motion_model.py`), a motion module: as `transformerTemporal` with `layers`
    /// blocks of width `channels`; its sinusoidal positions are a buffer, not parameters.
    mutating func motionModule(_ channels: Int, layers: Int) {
        norm(channels)
        linear(channels, channels)
        repeated(layers) { $0.basicTransformerBlock(channels, crossAttention: channels) }
        linear(channels, channels)
    }

    /// `TemporalConvLayer(in_dim, out_dim)` (diffusers `models/resnet.py`): four GroupNorm +
    /// (3, 1, 1) Conv3d stages, in → out → in → in → in.
    mutating func temporalConv(_ input: Int, _ output: Int) {
        norm(input)
        conv(input, output, kernel: 1, depth: 3)
        for _ in 0..<3 {
            norm(output)
            conv(output, input, kernel: 1, depth: 3)
        }
    }

    /// `Transformer2DModel(heads, head_dim, in_channels, num_layers, cross_attention_dim)` for
    /// continuous inputs: GroupNorm, proj_in and proj_out (1×1 conv or linear: same count),
    /// and `layers` transformer blocks of width `channels`.
    mutating func transformer2D(_ channels: Int, layers: Int, crossAttention: Int?, onlyCrossAttention: Bool = false) {
        norm(channels)
        linear(channels, channels)
        repeated(layers) { $0.basicTransformerBlock(channels, crossAttention: crossAttention, onlyCrossAttention: onlyCrossAttention) }
        linear(channels, channels)
    }

    /// `TimestepEmbedding(in_channels, time_embed_dim, cond_proj_dim)`: two linears and an
    /// optional bias-free condition projection.
    mutating func timestepEmbedding(_ input: Int, _ dim: Int, conditionProjection: Int? = nil) {
        linear(input, dim)
        if let conditionProjection { linear(conditionProjection, input, bias: false) }
        linear(dim, dim)
    }
}
