import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

// Fixtures: tools/fixtures/fx_vae.py (diffusers 0.42.1 AutoencoderKL with random weights; weights
// under "weights.", inputs under "inputs.", outputs under "outputs.").

/// A VAE fixture: its config (vae_<name>.json), its weights and recorded tensors.
private struct VAEFixture {
    let config: AutoencoderKLConfig
    let store: WeightStore

    init(_ name: String) throws {
        config = try AutoencoderKLConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("vae_\(name).json"))
        store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("vae_\(name).safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor { try store.checkpoint.tensor(name) }

    func model() throws -> AutoencoderKL { try AutoencoderKL(config: config, weights: store["weights"]) }
}

/// Compares every recorded output of a fixture with `vae`'s.
private func expectMatches(_ vae: AutoencoderKL, _ tensor: (String) throws -> Tensor, _ name: String) throws {
    let images = try tensor("inputs.images"), latents = try tensor("inputs.latents"), noise = try tensor("inputs.noise")
    let posterior = try vae.encode(images)
    expectClose(posterior.parameters, try tensor("outputs.moments"), abs: 1e-4, rel: 1e-4, "\(name) moments")
    expectClose(posterior.mean, try tensor("outputs.mean"), abs: 1e-4, rel: 1e-4, "\(name) mean")
    expectClose(posterior.logvar, try tensor("outputs.logvar"), abs: 1e-4, rel: 1e-4, "\(name) logvar")
    expectClose(posterior.sample(noise: noise), try tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "\(name) sample")
    let scaled = try vae.encodeLatents(images) { shape in
        #expect(shape == noise.shape)
        return noise
    }
    expectClose(scaled, try tensor("outputs.scaled"), abs: 1e-4, rel: 1e-4, "\(name) encodeLatents")
    expectClose(try vae.decode(latents), try tensor("outputs.decoded"), abs: 1e-4, rel: 1e-4, "\(name) decoded")
    expectClose(try vae.decodeLatents(latents), try tensor("outputs.decoded_scaled"), abs: 1e-4, rel: 1e-4,
                "\(name) decodeLatents")
}

@Suite struct AutoencoderKLTests {
    /// Each fixture's posterior, sample, scaled latents and decoded images; no weight left unread.
    @Test(arguments: ["two_blocks", "three_blocks", "mish_no_attention"])
    func matchesDiffusers(_ name: String) throws {
        let f = try VAEFixture(name)
        let vae = try f.model()
        try f.store.finish(allowingUnused: ["inputs", "outputs"])
        try expectMatches(vae, f.tensor, name)
    }

    /// The fixtures cover quant convs on and off, 2 and 3 levels, attention on and off, a shift.
    @Test func fixturesCoverTheConfigFlags() throws {
        let two = try VAEFixture("two_blocks").config, three = try VAEFixture("three_blocks").config
        let mish = try VAEFixture("mish_no_attention").config
        #expect(two.useQuantConv && two.usePostQuantConv && !three.useQuantConv && !three.usePostQuantConv)
        #expect(two.blockOutChannels == [8, 16] && three.blockOutChannels == [8, 16, 16])
        #expect(three.shiftFactor == 0.1 && three.inChannels == 1 && three.layersPerBlock == 2)
        #expect(!mish.midBlockAddAttention && mish.actFn == "mish")
    }

    /// Slicing the batch gives the same result as the whole batch.
    @Test func batchedDecodeAndEncodeMatchWholeBatch() throws {
        let f = try VAEFixture("two_blocks")
        let vae = try f.model()
        let latents = try f.tensor("inputs.latents"), images = try f.tensor("inputs.images")
        let decoded = try f.tensor("outputs.decoded")
        for batch in [1, 2, 5] {
            expectClose(try vae.decode(latents, batchSize: batch), decoded, abs: 1e-4, rel: 1e-4, "decode batch \(batch)")
        }
        expectClose(try vae.encode(images, batchSize: 1).parameters, try f.tensor("outputs.moments"), abs: 1e-4,
                    rel: 1e-4, "encode batch 1")
        #expect(throws: ModelInputError.self) { try vae.decode(latents, batchSize: 0) }
    }

    /// scaleLatents and unscaleLatents invert each other, with latents_mean / latents_std too.
    @Test func latentScalingRoundTrips() throws {
        var config = try VAEFixture("two_blocks").config
        let f = try VAEFixture("two_blocks")
        let z = try f.tensor("inputs.latents")
        config.latentsMean = [0.1, -0.2, 0.3, 0]
        config.latentsStd = [1, 2, 0.5, 4]
        let vae = try AutoencoderKL(config: config, weights: f.store["weights"])
        let scaled = vae.scaleLatents(z)
        // channel 1, element 0: (z + 0.2) · 0.18215 / 2
        let i = 64
        #expect(Swift.abs(scaled.scalars[i] - (z.scalars[i] + 0.2) * 0.18215 / 2) < 1e-6)
        expectClose(vae.unscaleLatents(scaled), z, abs: 1e-5, "round trip")
    }

    /// tiny-sd/vae loads from its folder (strictly) and matches diffusers.
    @Test func tinySDVAE() throws {
        let vae = try AutoencoderKL(folder: tinySD.appendingPathComponent("vae"))
        let reference = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("vae_tiny_sd.safetensors"))
        try expectMatches(vae, reference.checkpoint.tensor, "tiny-sd")
    }

    /// A folder whose mid-block attention uses the names before diffusers 0.14 (query, key, value,
    /// proj_attn) loads strictly and decodes the same.
    @Test func deprecatedAttentionNamesLoad() throws {
        let f = try VAEFixture("two_blocks")
        let renames = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"]
        var tensors: [(String, Tensor)] = []
        for name in f.store.checkpoint.names where name.hasPrefix("weights.") {
            var key = String(name.dropFirst("weights.".count))
            for (new, old) in renames where key.contains(".attentions.0.\(new).") {
                key = key.replacingOccurrences(of: ".attentions.0.\(new).", with: ".attentions.0.\(old).")
            }
            tensors.append((key, try f.tensor(name)))
        }
        #expect(tensors.filter { $0.0.contains("proj_attn") }.count == 4)
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try folder.write(String(decoding: try Data(contentsOf: Fixtures.folder.appendingPathComponent("vae_two_blocks.json")),
                                as: UTF8.self), to: "config.json")
        try SafeTensorsWriter.write(tensors, to: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let vae = try AutoencoderKL(folder: folder.url)
        expectClose(try vae.decode(f.tensor("inputs.latents")), try f.tensor("outputs.decoded"), abs: 1e-4, rel: 1e-4,
                    "deprecated names decoded")
    }

    @Test func missingWeightNamesTheKey() throws {
        let f = try VAEFixture("three_blocks")
        var config = f.config
        config.useQuantConv = true        // the checkpoint has no quant_conv
        let error = try #require(throws: SafeTensorsError.self) { try AutoencoderKL(config: config, weights: f.store["weights"]) }
        #expect(error.reason.contains("missing weight \"weights.quant_conv.weight\""), "\(error)")
    }

    @Test func unusedWeightIsAnError() throws {
        let f = try VAEFixture("two_blocks")
        var config = f.config
        config.midBlockAddAttention = false   // leaves the attention weights unread
        _ = try AutoencoderKL(config: config, weights: f.store["weights"])
        let error = try #require(throws: SafeTensorsError.self) { try f.store.finish(allowingUnused: ["inputs", "outputs"]) }
        #expect(error.reason.hasPrefix("20 unused weights") && error.reason.contains("weights.decoder.mid_block.attentions.0.group_norm.bias"), "\(error)")
    }

    @Test func badInputIsAnError() throws {
        let vae = try VAEFixture("two_blocks").model()
        let cases: [(Tensor, String)] = [
            (Tensor(zeros: [1, 1, 16, 16]), "expected [N ≥ 1, 3, H ≥ 1, W ≥ 1]"),
            (Tensor(zeros: [3, 16, 16]), "expected [N ≥ 1, 3"),
            (Tensor(zeros: [1, 3, 15, 16]), "15×16 is not a multiple of the downsampling factor 2"),
        ]
        for (images, message) in cases {
            let error = try #require(throws: ModelInputError.self) { try vae.encode(images) }
            #expect(error.description.hasPrefix("AutoencoderKL: ") && error.reason.contains(message), "\(error)")
        }
        #expect(throws: ModelInputError.self) { try vae.decode(Tensor(zeros: [1, 3, 4, 4])) }
    }
}
