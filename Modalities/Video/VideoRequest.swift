import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents

/// One text-to-video (or video-to-video) request: every knob of diffusers'
/// `TextToVideoSDPipeline.__call__` / `VideoToVideoSDPipeline.__call__` that Diffuse exposes, as plain
/// fields, plus the frame rate the clip is shown at.
///
/// `width`/`height` nil take the model's default (`unet.config.sample_size · vae_scale_factor`, or the
/// init video's size for video-to-video); `sampler` nil takes the folder's scheduler
/// (`SchedulerMapping.defaultSampler`); `karras` nil takes the scheduler config's `use_karras_sigmas`.
/// One video per request (`num_images_per_prompt=1`).
public struct VideoRequest: Sendable, Equatable {
    /// The prompt (empty: unconditional).
    public var prompt: String
    /// The negative prompt; empty means diffusers' `negative_prompt=None` (the empty string).
    public var negativePrompt: String
    /// `num_frames` (video-to-video: ignored, the init video's frame count is used).
    public var frames: Int
    /// Frames per second of the clip (does not change the frames generated).
    public var fps: Double
    /// Frame width in pixels, or nil for the model's default.
    public var width: Int?
    /// Frame height in pixels, or nil for the model's default.
    public var height: Int?
    /// `num_inference_steps` (for video-to-video, before `strength` drops the first ones).
    public var steps: Int
    /// The sampler, or nil for the one the folder's scheduler config names.
    public var sampler: SamplerName?
    /// Karras σ (`use_karras_sigmas=True`); nil takes the scheduler config's value.
    public var karras: Bool?
    /// `guidance_scale` s (classifier-free guidance runs only when s > 1).
    public var guidanceScale: Double
    /// The seed of diffusers' `torch.Generator("cpu").manual_seed(seed)`.
    public var seed: TorchSeed
    /// The video-to-video input, or nil for text-to-video.
    public var initVideo: VideoClip?
    /// Video-to-video `strength` in [0, 1] (ignored without `initVideo`).
    public var strength: Double

    /// The most frames a request may ask for: the whole clip is denoised at once, so more is a
    /// mistake (seconds taken for frames), not a short generated video.
    public static let maximumFrames = 1000

    /// A request; the defaults are diffusers' (16 frames, 50 steps, guidance 9, strength 0.6) and
    /// text-to-video-ms's 8 fps.
    public init(prompt: String, negativePrompt: String = "", frames: Int = 16, fps: Double = 8,
                width: Int? = nil, height: Int? = nil, steps: Int = 50, sampler: SamplerName? = nil,
                karras: Bool? = nil, guidanceScale: Double = 9, seed: TorchSeed = TorchSeed(0),
                initVideo: VideoClip? = nil, strength: Double = 0.6) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frames = frames
        self.fps = fps
        self.width = width
        self.height = height
        self.steps = steps
        self.sampler = sampler
        self.karras = karras
        self.guidanceScale = guidanceScale
        self.seed = seed
        self.initVideo = initVideo
        self.strength = strength
    }

    /// The frames generated: the init video's count for video-to-video, else `frames`.
    public var frameCount: Int { initVideo?.frames.count ?? frames }

    /// Checks the fields that do not depend on the model: frames in 1…`maximumFrames`, a frame rate
    /// `VideoFrameRate(fps:)` accepts, steps ≥ 1, finite guidance, strength in [0, 1]. Returns the exact
    /// frame rate; throws `VideoError` with one readable line.
    @discardableResult
    public func validate() throws -> VideoFrameRate {
        guard (1...Self.maximumFrames).contains(frameCount) else {
            throw VideoError.invalidValue("frames", "\(frameCount)", "it must be between 1 and \(Self.maximumFrames)")
        }
        guard fps.isFinite, fps > 0, fps <= VideoFrameRate.maximumFramesPerSecond else {
            throw VideoError.invalidValue("fps", "\(fps)", "it must be a finite number above 0 and at most \(Int(VideoFrameRate.maximumFramesPerSecond))")
        }
        guard steps >= 1 else { throw VideoError.invalidValue("steps", "\(steps)", "it must be at least 1") }
        guard guidanceScale.isFinite else {
            throw VideoError.invalidValue("guidance scale", "\(guidanceScale)", "it must be a finite number")
        }
        guard strength.isFinite, (0...1).contains(strength) else {
            throw VideoError.invalidValue("strength", "\(strength)", "it must be between 0 and 1")
        }
        do { return try VideoFrameRate(fps: fps) } catch {
            throw VideoError.invalidValue("fps", "\(fps)", "\(error)")
        }
    }

    /// The request as a JSON object (sorted keys), for the container's comment: every field, the
    /// resolved size, sampler and Karras choice, and the init video's size (its pixels are not
    /// embedded). `extra` adds keys (e.g. the model's name).
    public func json(width: Int, height: Int, sampler: SamplerName, karras: Bool,
                     extra: [String: String] = [:]) -> String {
        var object: [String: Any] = [
            "prompt": prompt, "negative_prompt": negativePrompt, "frames": frameCount, "fps": fps,
            "width": width, "height": height, "steps": steps, "sampler": sampler.rawValue, "karras": karras,
            "guidance_scale": guidanceScale, "seed": seed.value,
        ]
        if let initVideo {
            object["init_video"] = ["width": initVideo.width, "height": initVideo.height, "frames": initVideo.frames.count]
            object["strength"] = strength
        }
        for (key, value) in extra { object[key] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
