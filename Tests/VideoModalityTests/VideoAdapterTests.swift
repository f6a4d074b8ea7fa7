import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import Testing
import Tensors
import VideoModality

/// Tests/Fixtures/tiny-text2video (tools/fixtures/make_tiny_text2video.py): 32×32 frames by default,
/// VAE factor 2.
enum TinyText2Video {
    static let folder = Fixtures.folder.appendingPathComponent("tiny-text2video")
    static func vae() throws -> AutoencoderKL { try AutoencoderKL(folder: folder.appendingPathComponent("vae")) }
    static func textEncoder() throws -> CLIPPromptEncoder {
        try CLIPPromptEncoder(tokenizerFolder: folder.appendingPathComponent("tokenizer"),
                              textEncoderFolder: folder.appendingPathComponent("text_encoder"))
    }
    static func scheduler() throws -> SchedulerMapping {
        try SchedulerMapping(SchedulerConfig.load(contentsOf: folder.appendingPathComponent("scheduler/scheduler_config.json")))
    }
}

/// [B, F, 3, H, W] → [B, F, H, W, 3], diffusers' "np" video layout.
func channelsLast(_ x: Tensor) -> Tensor { x.permuted([0, 1, 3, 4, 2]) }

/// The fixture's init video (`init_video`, [4, 32, 32, 3] bytes) as a clip at 8 fps.
func initVideo(_ tensor: Tensor) throws -> VideoClip {
    let bytes = tensor.scalars.map { UInt8($0) }
    let per = 32 * 32 * 3
    return try VideoClip(frames: try (0..<4).map { f in
        try RGBImage(width: 32, height: 32, pixels: Array(bytes[(f * per)..<((f + 1) * per)]))
    }, fps: 8)
}

@Suite struct VideoAdapterTests {
    let file = try! Fixtures.load("text2video_pipeline")
    let adapter = VideoAdapter(vae: try! TinyText2Video.vae(), defaultWidth: 32, defaultHeight: 32, decodeBatchSize: 3)

    @Test func latentShapeIsChannelsThenFrames() throws {
        #expect(try adapter.latentShape(for: VideoRequest(prompt: "", frames: 5)) == [1, 4, 5, 16, 16])
        #expect(try adapter.latentShape(for: VideoRequest(prompt: "", frames: 2, width: 24, height: 16)) == [1, 4, 2, 8, 12])
        #expect(adapter.sizeMultiple == 8)
    }

    @Test func refusesSizesFramesAndRates() throws {
        #expect(throws: VideoError.invalidSize(dimension: "width", value: 33, multiple: 8, vaeFactor: 2)) {
            try adapter.size(for: VideoRequest(prompt: "", width: 33, height: 32))
        }
        #expect(throws: VideoError.invalidSize(dimension: "height", value: 0, multiple: 8, vaeFactor: 2)) {
            try adapter.size(for: VideoRequest(prompt: "", width: 32, height: 0))
        }
        for frames in [0, -1, VideoRequest.maximumFrames + 1] {
            #expect(throws: VideoError.invalidValue("frames", "\(frames)", "it must be between 1 and \(VideoRequest.maximumFrames)")) {
                try VideoRequest(prompt: "", frames: frames).validate()
            }
        }
        for fps in [0, -8, Double.nan, .infinity, 1001] {
            #expect(throws: VideoError.self) { try VideoRequest(prompt: "", fps: fps).validate() }
        }
        #expect(try VideoRequest(prompt: "", fps: 29.97002997).validate() == VideoFrameRate(30000, 1001))
        let small = VideoAdapter(vae: try TinyText2Video.vae(), defaultWidth: 32, defaultHeight: 32, memoryLimit: 1 << 20)
        #expect(throws: VideoError.self) { try small.size(for: VideoRequest(prompt: "", frames: 100, width: 256, height: 256)) }
    }

    @Test func decodeMatchesDecodeLatentsAndPostprocess() throws {
        for name in ["ddim", "euler", "euler_a", "vid2vid_ddim"] {
            let pixels = try adapter.decodeToUnitRange(try file.tensor("\(name).latents"))    // [1, F, 3, H, W]
            expectClose(channelsLast(pixels), try file.tensor("\(name).frames"), abs: 1e-4, "\(name) decode")
        }
    }

    @Test func framesAreQuantisedAsNumpyToPIL() throws {
        let pixels = try adapter.decodeToUnitRange(try file.tensor("euler.latents"))          // [1, 3, 3, 16, 24]
        let frames = try adapter.frames(fromUnitRange: pixels)
        #expect(frames.count == 3 && frames[0].width == 24 && frames[0].height == 16)
        let expected = try file.tensor("euler.frames")                                       // [1, 3, 16, 24, 3]
        for (f, frame) in frames.enumerated() {
            for i in stride(from: 0, to: frame.pixels.count, by: 37) {
                let value = expected.scalars[f * frame.pixels.count + i]
                #expect(abs(Int(frame.pixels[i]) - Int((value * 255).rounded())) <= 1, "frame \(f) byte \(i)")
            }
        }
    }

    @Test func encodeMatchesVideoToVideoPrepareLatents() throws {
        let video = try initVideo(try file.tensor("init_video"))
        var noise = FrameMajorNoise(TorchGenerator(seed: 11), channelMajorDraws: 0)
        let latents = try adapter.encode(video, for: VideoRequest(prompt: "", initVideo: video), noise: &noise)
        expectClose(latents, try file.tensor("init_latents"), abs: 1e-4, rel: 1e-4, "init latents")
    }

    @Test func nonFiniteDecodeIsAnErrorNamingTheFrame() throws {
        var latents = try file.tensor("euler.latents")                                       // [1, 4, 3, 8, 12]
        latents.scalars[2 * 8 * 12 + 5] = .nan                                               // channel 0, frame 2
        #expect(throws: VideoError.self) { try adapter.decodeToUnitRange(latents) }
        do {
            _ = try adapter.decodeToUnitRange(latents)
        } catch let error as VideoError {
            #expect(error.description.hasPrefix("frame 3: the VAE decoder produced NaN"), "\(error)")
        }
    }

    @Test func frameMajorNoiseDrawsAsDiffusersSchedulerStep() {
        var reference = TorchGenerator(seed: 5)
        let first = reference.randn([1, 2, 3, 2, 2])                                         // x_T, channel-major
        let second = reference.randn([3, 2, 2, 2])                                           // [B·F, C, h, w]
        var noise = FrameMajorNoise(TorchGenerator(seed: 5), channelMajorDraws: 1)
        #expect(noise.randn([1, 2, 3, 2, 2]) == first)
        let drawn = noise.randn([1, 2, 3, 2, 2])                                             // [1, C, F, h, w]
        #expect(drawn == second.reshaped([1, 3, 2, 2, 2]).permuted([0, 2, 1, 3, 4]))
        #expect(drawn.scalars[0] == second.scalars[0] && drawn.scalars[4] == second.scalars[8], "frame 1 of channel 0")
    }

    @Test func promptEmbeddingsMatchEncodePrompt() throws {
        let encoder = try TinyText2Video.textEncoder()
        let cond = try encoder.encode("a cat on the dog").hiddenStates                        // [1, 77, 16]
        let uncond = try encoder.encode("the dog").hiddenStates                               // [1, 77, 16]
        expectClose(concat([uncond, cond], axis: 0), try file.tensor("ddim.prompt_embeds"), abs: 1e-4, rel: 1e-4, "prompt_embeds")
    }
}
