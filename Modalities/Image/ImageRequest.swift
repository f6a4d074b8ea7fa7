import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents

/// One text-to-image (or image-to-image) request: every knob of diffusers'
/// `StableDiffusionPipeline.__call__` / `StableDiffusionImg2ImgPipeline.__call__` that Diffuse
/// exposes, as plain fields.
///
/// `width`/`height` nil take the model's default (`unet.config.sample_size · vae_scale_factor`,
/// or the init image's size for img2img); `sampler` nil takes the folder's scheduler
/// (`SchedulerMapping.defaultSampler`); `karras` nil takes the scheduler config's
/// `use_karras_sigmas`.
public struct ImageRequest: Sendable, Equatable {
    /// The prompt (empty: unconditional).
    public var prompt: String
    /// The negative prompt; empty means diffusers' `negative_prompt=None` (the empty string).
    public var negativePrompt: String
    /// Image width in pixels, or nil for the model's default.
    public var width: Int?
    /// Image height in pixels, or nil for the model's default.
    public var height: Int?
    /// `num_inference_steps` (for img2img, before `strength` drops the first ones).
    public var steps: Int
    /// The sampler, or nil for the one the folder's scheduler config names.
    public var sampler: SamplerName?
    /// Karras σ (`use_karras_sigmas=True`); nil takes the scheduler config's value.
    public var karras: Bool?
    /// `guidance_scale` s (classifier-free guidance runs only when s > 1).
    public var guidanceScale: Double
    /// `guidance_rescale` φ (0: plain CFG).
    public var guidanceRescale: Double
    /// DDIM's `eta` η (0: deterministic; used by the DDIM sampler only, as in diffusers).
    public var eta: Double
    /// diffusers' `clip_skip`: the prompt's embeddings from that many layers before the last
    /// (nil: the last). As in diffusers, the negative prompt is encoded without it.
    public var clipSkip: Int?
    /// The seed of diffusers' `torch.Generator("cpu").manual_seed(seed)`.
    public var seed: TorchSeed
    /// `num_images_per_prompt`: images made in one batch from one noise draw.
    public var count: Int
    /// The img2img input, or nil for text-to-image.
    public var initImage: RGBImage?
    /// img2img `strength` in [0, 1] (ignored without `initImage`).
    public var strength: Double

    /// A request; the defaults are diffusers' (50 steps, guidance 7.5, strength 0.8, one image).
    public init(prompt: String, negativePrompt: String = "", width: Int? = nil, height: Int? = nil,
                steps: Int = 50, sampler: SamplerName? = nil, karras: Bool? = nil,
                guidanceScale: Double = 7.5, guidanceRescale: Double = 0, eta: Double = 0, clipSkip: Int? = nil,
                seed: TorchSeed = TorchSeed(0), count: Int = 1, initImage: RGBImage? = nil, strength: Double = 0.8) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.steps = steps
        self.sampler = sampler
        self.karras = karras
        self.guidanceScale = guidanceScale
        self.guidanceRescale = guidanceRescale
        self.eta = eta
        self.clipSkip = clipSkip
        self.seed = seed
        self.count = count
        self.initImage = initImage
        self.strength = strength
    }

    /// Checks the fields that do not depend on the model: steps ≥ 1, count ≥ 1, finite guidance,
    /// η in [0, 1], clip skip ≥ 0, strength in [0, 1]. Throws `ImageError` with one readable line.
    public func validate() throws {
        guard steps >= 1 else { throw ImageError.invalidValue("steps", "\(steps)", "it must be at least 1") }
        guard count >= 1 else { throw ImageError.invalidValue("count", "\(count)", "it must be at least 1") }
        guard guidanceScale.isFinite else {
            throw ImageError.invalidValue("guidance scale", "\(guidanceScale)", "it must be a finite number")
        }
        guard guidanceRescale.isFinite, guidanceRescale >= 0 else {
            throw ImageError.invalidValue("guidance rescale", "\(guidanceRescale)", "it must be a finite number ≥ 0")
        }
        guard eta.isFinite, (0...1).contains(eta) else {
            throw ImageError.invalidValue("eta", "\(eta)", "it must be between 0 and 1")
        }
        if let clipSkip, clipSkip < 0 {
            throw ImageError.invalidValue("clip skip", "\(clipSkip)", "it must be 0 or more")
        }
        guard strength.isFinite, (0...1).contains(strength) else {
            throw ImageError.invalidValue("strength", "\(strength)", "it must be between 0 and 1")
        }
    }

    /// The request as a JSON object (sorted keys), for the PNG `diffuse` chunk: every field, the
    /// resolved size, sampler and Karras choice given by the caller, and the init image's size
    /// (its pixels are not embedded). `extra` adds keys (e.g. the model's name).
    public func json(width: Int, height: Int, sampler: SamplerName, karras: Bool,
                     extra: [String: String] = [:]) -> String {
        var object: [String: Any] = [
            "prompt": prompt, "negative_prompt": negativePrompt, "width": width, "height": height,
            "steps": steps, "sampler": sampler.rawValue, "karras": karras, "guidance_scale": guidanceScale,
            "guidance_rescale": guidanceRescale, "seed": seed.value, "count": count,
        ]
        if sampler == .ddim { object["eta"] = eta }
        if let clipSkip { object["clip_skip"] = clipSkip }
        if let initImage {
            object["init_image"] = ["width": initImage.width, "height": initImage.height]
            object["strength"] = strength
        }
        for (key, value) in extra { object[key] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
