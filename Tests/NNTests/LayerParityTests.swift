import Foundation
import NN
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_nn.py (diffusers 0.42.1 / torch modules with random weights; the
// state_dict under "weights.", inputs under "inputs.", outputs under "outputs."). The layer
// arguments below repeat the constructor calls there.

/// One `nn_<name>` fixture: its weights as a scope, and its recorded tensors.
private struct LayerFixture {
    let store: WeightStore

    init(_ name: String) throws {
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("nn_\(name).safetensors"))
    }

    var weights: WeightScope { store["weights"] }
    func input(_ name: String = "x") throws -> Tensor { try store.checkpoint.tensor("inputs.\(name)") }
    func output(_ name: String = "y") throws -> Tensor { try store.checkpoint.tensor("outputs.\(name)") }

    /// Every weight was read by the layer.
    func finish() throws { try store.finish(allowingUnused: ["inputs", "outputs"]) }
}

/// Builds a layer from fixture `name`, checks that it read every weight, and compares
/// `run(layer, fixture)` with `outputs.y`.
private func check<Layer>(_ name: String, abs: Float = 1e-5, rel: Float = 1e-5,
                          build: (WeightScope) throws -> Layer, run: (Layer, LayerFixture) throws -> Tensor,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let f = try LayerFixture(name)
    let layer = try build(f.weights)
    try f.finish()
    expectClose(try run(layer, f), try f.output(), abs: abs, rel: rel, name, sourceLocation: sourceLocation)
}

@Suite struct LayerParityTests {
    @Test func linear() throws {
        try check("linear", build: { try Linear($0, in: 6, out: 5) }, run: { $0(try $1.input()) })
        try check("linear_nobias", build: { try Linear($0, in: 6, out: 5, bias: false) }, run: { $0(try $1.input()) })
    }

    @Test func convolutions() throws {
        try check("conv1d", build: { try Conv1d($0, in: 3, out: 4, kernel: 3, stride: 2, padding: 1) },
                  run: { $0(try $1.input()) })
        try check("conv2d", build: { try Conv2d($0, in: 3, out: 4, kernel: 3, stride: 2, padding: 1) },
                  run: { $0(try $1.input()) })
        try check("conv3d", build: { try Conv3d($0, in: 2, out: 3, kernel: [1, 3, 3], padding: [0, 1, 1]) },
                  run: { $0(try $1.input()) })
    }

    @Test func norms() throws {
        try check("group_norm", build: { try GroupNorm($0, groups: 2, channels: 6, eps: 1e-6) }, run: { $0(try $1.input()) })
        try check("layer_norm", build: { try LayerNorm($0, dim: 8) }, run: { $0(try $1.input()) })
    }

    @Test func attention() throws {
        try check("attention_self", build: { try Attention($0, queryDim: 8, heads: 2, dimHead: 4) },
                  run: { $0(try $1.input()) })
        try check("attention_cross", build: { try Attention($0, queryDim: 8, crossAttentionDim: 6, heads: 2, dimHead: 3, bias: true) },
                  run: { $0(try $1.input(), encoderHiddenStates: try $1.input("context")) })
        try check("attention_spatial",
                  build: { try Attention($0, queryDim: 8, heads: 2, dimHead: 4, bias: true, normNumGroups: 2, eps: 1e-6,
                                         residualConnection: true, rescaleOutputFactor: 2) },
                  run: { $0(try $1.input()) })
    }

    @Test(arguments: [("geglu", FeedForward.ActivationFunction.geglu), ("gelu", .gelu),
                      ("gelu_approximate", .geluApproximate), ("geglu_approximate", .gegluApproximate)])
    func feedForward(_ name: String, _ activation: FeedForward.ActivationFunction) throws {
        try check("feed_forward_\(name)", build: { try FeedForward($0, dim: 8, activation: activation) },
                  run: { $0(try $1.input()) })
    }

    @Test func feedForwardWithInnerAndOutputWidths() throws {
        try check("feed_forward_inner", build: { try FeedForward($0, dim: 8, dimOut: 5, innerDim: 6) }, run: { $0(try $1.input()) })
        #expect(try FeedForward.ActivationFunction(diffusersName: "gelu-approximate") == .geluApproximate)
        #expect(throws: LayerError.self) { try FeedForward.ActivationFunction(diffusersName: "swiglu") }
    }

    @Test func timesteps() throws {
        let f = try LayerFixture("timesteps")
        let embed = Timesteps(numChannels: 8, flipSinToCos: true, downscaleFreqShift: 0)
        // t up to 999: the reference's own Float32 rounding of t·f (see `timestepEmbedding`).
        expectClose(embed(try f.input("t")), try f.output(), abs: 1e-4, "timesteps")
        try check("timestep_embedding", build: { try TimestepEmbedding($0, inChannels: 8, timeEmbedDim: 16) },
                  run: { $0(try $1.input()) })
        try check("timestep_embedding_cond",
                  build: { try TimestepEmbedding($0, inChannels: 8, timeEmbedDim: 16, activation: .mish, outDim: 12,
                                                 postActivation: .silu, condProjDim: 5) },
                  run: { $0(try $1.input(), condition: try $1.input("condition")) })
    }

    @Test func resnetBlocks() throws {
        try check("resnet_shortcut", build: { try ResnetBlock2D($0, inChannels: 4, outChannels: 8, tembChannels: 6, groups: 2, eps: 1e-5) },
                  run: { $0(try $1.input(), temb: try $1.input("temb")) })
        try check("resnet_scale_shift",
                  build: { try ResnetBlock2D($0, inChannels: 8, tembChannels: 6, groups: 4, activation: .mish, skipTimeAct: true,
                                             timeEmbeddingNorm: .scaleShift, outputScaleFactor: 2) },
                  run: { $0(try $1.input(), temb: try $1.input("temb")) })
        try check("resnet_no_temb",
                  build: { try ResnetBlock2D($0, inChannels: 4, outChannels: 4, tembChannels: nil, groups: 2,
                                             useInShortcut: true, convShortcutBias: false) },
                  run: { $0(try $1.input(), temb: nil) })
    }

    @Test func resampling() throws {
        try check("downsample_conv", build: { try Downsample2D($0, channels: 4, useConv: true, outChannels: 6, padding: 1) },
                  run: { $0(try $1.input()) })
        try check("downsample_pad0", build: { try Downsample2D($0, channels: 4, useConv: true, padding: 0) },
                  run: { $0(try $1.input()) })
        try check("downsample_pool", build: { try Downsample2D($0, channels: 4, useConv: false) }, run: { $0(try $1.input()) })
        try check("upsample_conv", build: { try Upsample2D($0, channels: 4, useConv: true, outChannels: 3) },
                  run: { $0(try $1.input()) })
        try check("upsample_size", build: { try Upsample2D($0, channels: 4, useConv: true) },
                  run: { $0(try $1.input(), outputSize: [5, 7]) })
    }

    @Test func basicTransformerBlocks() throws {
        try check("transformer_block_cross", build: { try BasicTransformerBlock($0, dim: 8, heads: 2, headDim: 4, crossAttentionDim: 6) },
                  run: { $0(try $1.input(), encoderHiddenStates: try $1.input("context")) })
        try check("transformer_block_only_cross",
                  build: { try BasicTransformerBlock($0, dim: 8, heads: 2, headDim: 4, crossAttentionDim: 6, attentionBias: true,
                                                     onlyCrossAttention: true) },
                  run: { $0(try $1.input(), encoderHiddenStates: try $1.input("context")) })
        try check("transformer_block_self", build: { try BasicTransformerBlock($0, dim: 8, heads: 2, headDim: 4, activation: .gelu) },
                  run: { $0(try $1.input()) })
        try check("transformer_block_no_context",
                  build: { try BasicTransformerBlock($0, dim: 8, heads: 2, headDim: 4, crossAttentionDim: 8) },
                  run: { $0(try $1.input()) })
    }

    @Test func transformer2DModels() throws {
        try check("transformer2d_conv",
                  build: { try Transformer2DModel($0, heads: 2, headDim: 4, inChannels: 8, layers: 2, crossAttentionDim: 6, normNumGroups: 4) },
                  run: { $0(try $1.input(), encoderHiddenStates: try $1.input("context")) })
        try check("transformer2d_linear",
                  build: { try Transformer2DModel($0, heads: 2, headDim: 4, inChannels: 8, crossAttentionDim: 6, normNumGroups: 2,
                                                  useLinearProjection: true) },
                  run: { $0(try $1.input(), encoderHiddenStates: try $1.input("context")) })
    }
}

@Suite struct LayerLoadingTests {
    /// A weight of the wrong shape is an error naming the full key and both shapes.
    @Test func wrongShapeNamesTheKey() throws {
        let f = try LayerFixture("linear")
        let error = #expect(throws: SafeTensorsError.self) { try Linear(f.weights, in: 5, out: 5) }
        #expect(error?.reason.contains("\"weights.weight\" has shape [5, 6], expected [5, 5]") == true)
    }

    /// A layer whose weights are absent is an error naming the missing key.
    @Test func missingWeightNamesTheKey() throws {
        let f = try LayerFixture("linear_nobias")
        let error = #expect(throws: SafeTensorsError.self) { try Linear(f.weights, in: 6, out: 5, bias: true) }
        #expect(error?.reason.contains("missing weight \"weights.bias\"") == true)
    }

    /// A weight the layer does not read is left over for `finish` (a bias-free layer built
    /// over a biased checkpoint).
    @Test func unreadWeightIsReported() throws {
        let f = try LayerFixture("linear")
        _ = try Linear(f.weights, in: 6, out: 5, bias: false)
        let error = #expect(throws: SafeTensorsError.self) { try f.finish() }
        #expect(error?.reason.contains("\"weights.bias\"") == true)
    }

    /// Invalid layer arguments throw one line naming the layer.
    @Test func badArgumentsThrow() throws {
        let f = try LayerFixture("group_norm")
        #expect(throws: LayerError("GroupNorm", "num_channels 6 must be divisible by num_groups 4")) {
            try GroupNorm(f.weights, groups: 4, channels: 6)
        }
        #expect(throws: LayerError.self) { try Activation(diffusersName: "tanhshrink") }
        #expect(try Activation(diffusersName: "swish") == .silu)
    }
}
