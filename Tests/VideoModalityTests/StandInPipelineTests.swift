import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents
import Testing
import Tensors
import VideoModality

/// A stand-in denoiser: ε̂ = 0.1·x + mean(encoder_hidden_states) per batch row (or NaN), recording the
/// shapes it is called with.
final class StandInUNet: NoisePredicting, @unchecked Sendable {
    private let lock = NSLock()
    private var shapes: [([Int], [Int])] = []
    let producesNaN: Bool

    init(producesNaN: Bool = false) { self.producesNaN = producesNaN }

    var calls: [([Int], [Int])] { lock.lock(); defer { lock.unlock() }; return shapes }

    func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor {
        lock.lock(); shapes.append((sample.shape, encoderHiddenStates.shape)); lock.unlock()
        let batch = sample.shape[0], per = sample.count / batch, perContext = encoderHiddenStates.count / batch
        return Tensor(shape: sample.shape) { out in
            for b in 0..<batch {
                let context = encoderHiddenStates.scalars[(b * perContext)..<((b + 1) * perContext)]
                let shift = producesNaN ? Float.nan : context.reduce(0, +) / Float(perContext)
                for i in (b * per)..<((b + 1) * per) { out[i] = 0.1 * sample.scalars[i] + shift }
            }
        }
    }
}

/// The pipeline's plumbing with the tiny folder's VAE and text encoder and a stand-in network: shapes,
/// guidance batching, steps, determinism, video-to-video's steps and NaN handling.
@Suite struct StandInPipelineTests {
    func pipeline(_ unet: StandInUNet) throws -> TextToVideoSDPipeline {
        TextToVideoSDPipeline(textEncoder: try TinyText2Video.textEncoder(), unet: unet,
                              adapter: VideoAdapter(vae: try TinyText2Video.vae(), defaultWidth: 32, defaultHeight: 32),
                              scheduler: try TinyText2Video.scheduler())
    }

    @Test func textToVideoShapesAndGuidanceBatch() throws {
        let unet = StandInUNet()
        let request = VideoRequest(prompt: "a cat", negativePrompt: "the dog", frames: 3, fps: 12.5, width: 16, height: 24,
                                   steps: 3, guidanceScale: 7.5, seed: TorchSeed(4))
        var observed = 0
        let result = try pipeline(unet).generate(request) { _ in observed += 1 }
        #expect(observed == 3)
        #expect(unet.calls.count == 3)
        #expect(unet.calls.allSatisfy { $0.0 == [2, 4, 3, 12, 8] && $0.1 == [2, 77, 16] }, "\(unet.calls)")
        #expect(result.latents.shape == [1, 4, 3, 12, 8])
        #expect(result.pixels.shape == [1, 3, 3, 24, 16])
        #expect(result.clip.frames.count == 3 && result.clip.width == 16 && result.clip.height == 24)
        #expect(result.clip.frameRate == (try VideoFrameRate(25, 2)))
        #expect(result.settings == ResolvedVideoSettings(width: 16, height: 24, frames: 3, frameRate: try VideoFrameRate(25, 2),
                                                         sampler: .ddim, karras: false, stepsRun: 3))
        let again = try pipeline(StandInUNet()).generate(request)
        #expect(again.clip == result.clip, "the same seed gave another clip")
        var other = request
        other.seed = TorchSeed(5)
        #expect(try pipeline(StandInUNet()).generate(other).clip != result.clip)
    }

    @Test func noGuidanceRunsOneBatch() throws {
        let unet = StandInUNet()
        _ = try pipeline(unet).generate(VideoRequest(prompt: "a cat", frames: 2, width: 16, height: 16, steps: 2,
                                                     sampler: .eulerAncestral, guidanceScale: 1))
        #expect(unet.calls.map(\.0) == [[1, 4, 2, 8, 8], [1, 4, 2, 8, 8]])
    }

    @Test func videoToVideoRunsTheStrengthsSteps() throws {
        let unet = StandInUNet()
        let frames = try (0..<2).map { f in
            try RGBImage(width: 16, height: 16, pixels: (0..<(16 * 16 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ f * 50) })
        }
        let video = try VideoClip(frames: frames, fps: 8)
        let request = VideoRequest(prompt: "a dog", frames: 99, steps: 5, guidanceScale: 3, seed: TorchSeed(1),
                                   initVideo: video, strength: 0.6)
        let result = try pipeline(unet).generate(request)
        #expect(unet.calls.count == 3)
        #expect(result.settings.stepsRun == 3 && result.settings.frames == 2)
        #expect(result.clip.frames.count == 2 && result.clip.width == 16)
        #expect(throws: VideoError.self) {
            var bad = request
            bad.width = 32
            _ = try pipeline(unet).generate(bad)
        }
    }

    @Test func nanFromTheNetworkIsAnErrorNotABlackVideo() throws {
        #expect(throws: VideoError.self) {
            _ = try pipeline(StandInUNet(producesNaN: true)).generate(VideoRequest(prompt: "a cat", frames: 2, width: 16,
                                                                                   height: 16, steps: 1))
        }
    }

    @Test func badRequestsFailBeforeTheNetworkRuns() throws {
        let unet = StandInUNet()
        for request in [VideoRequest(prompt: "", frames: 0), VideoRequest(prompt: "", fps: .nan),
                        VideoRequest(prompt: "", width: 20), VideoRequest(prompt: "", steps: 0),
                        VideoRequest(prompt: "", guidanceScale: .infinity)] {
            #expect(throws: VideoError.self) { _ = try pipeline(unet).generate(request) }
        }
        #expect(unet.calls.isEmpty)
    }
}
