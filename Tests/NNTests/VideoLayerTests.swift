import Foundation
import NN
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_unet3d.py (diffusers 0.42.1 TemporalConvLayer and TransformerTemporalModel
// with random weights stored as float16 values; the state_dict under "weights.", the frame-major input
// [B·F, C, H, W] under "inputs.x", the output under "outputs.y", F under "inputs.num_frames"). The layer
// arguments below repeat the constructor calls there.

/// Builds a video layer from fixture `nn_<name>`, checks that it read every weight, and compares
/// `run(layer, x, frames)` with `outputs.y`.
private func check<Layer>(_ name: String, build: (WeightScope) throws -> Layer, run: (Layer, Tensor, Int) -> Tensor,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("nn_\(name).safetensors"))
    let layer = try build(store["weights"])
    try store.finish(allowingUnused: ["inputs", "outputs"])
    let frames = Int(try store.checkpoint.tensor("inputs.num_frames").scalars[0])
    let out = run(layer, try store.checkpoint.tensor("inputs.x"), frames)
    expectClose(out, try store.checkpoint.tensor("outputs.y"), abs: 1e-5, rel: 1e-5, name, sourceLocation: sourceLocation)
}

@Suite struct VideoLayerTests {
    /// `TemporalConvLayer(8, 8, norm_num_groups=4)` on 2 videos of 3 frames.
    @Test func temporalConvLayer() throws {
        try check("temporal_conv", build: { try TemporalConvLayer($0, inDim: 8, normNumGroups: 4) },
                  run: { $0($1, frames: $2) })
    }

    /// As `transformer_in`: 8 heads of width 2 on 8 channels (inner width 16 ≠ channels).
    @Test func transformerTemporalIn() throws {
        try check("transformer_temporal_in",
                  build: { try TransformerTemporalModel($0, heads: 8, headDim: 2, inChannels: 8, normNumGroups: 4) },
                  run: { $0($1, frames: $2) })
    }

    /// As the blocks' `temp_attentions`, with two layers and a `cross_attention_dim` that
    /// `double_self_attention` leaves unused.
    @Test func transformerTemporalBlock() throws {
        try check("transformer_temporal_block",
                  build: { try TransformerTemporalModel($0, heads: 4, headDim: 4, inChannels: 16, layers: 2, normNumGroups: 8,
                                                        crossAttentionDim: 12) },
                  run: { $0($1, frames: $2) })
    }

    /// A temporal convolution weight of the wrong shape names its key and both shapes.
    @Test func misshapenWeightNamesTheKey() throws {
        let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("nn_temporal_conv.safetensors"))
        let error = #expect(throws: SafeTensorsError.self) { try TemporalConvLayer(store["weights"], inDim: 8, outDim: 4, normNumGroups: 4) }
        #expect(error?.reason.contains("\"weights.conv1.2.weight\" has shape [8, 8, 3, 1, 1], expected [4, 8, 3, 1, 1]") == true,
                "\(error?.reason ?? "no error")")
    }
}
