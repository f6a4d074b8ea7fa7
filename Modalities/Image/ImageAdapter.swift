import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents
import Tensors

/// The image modality's adapter (the `ModalityAdapter` shape of ARCHITECTURE.md): what an image
/// latent looks like, and how latents become images and images latents, through a VAE.
///
/// Reference: diffusers `StableDiffusionPipeline.prepare_latents` (shape), `decode_latents` /
/// `VaeImageProcessor.postprocess` (decode), `StableDiffusionImg2ImgPipeline.prepare_latents`
/// (encode).
public struct ImageAdapter: Sendable {
    /// The VAE.
    public let vae: any LatentImageCodec
    /// The size used when a request gives none (`unet.config.sample_size · vae_scale_factor`).
    public let defaultSize: (width: Int, height: Int)
    /// The memory a size may need (bytes; default: the machine's physical memory).
    public let memoryLimit: UInt64

    /// An adapter over `vae`, with the default image size.
    public init(vae: any LatentImageCodec, defaultWidth: Int, defaultHeight: Int,
                memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) {
        self.vae = vae
        defaultSize = (defaultWidth, defaultHeight)
        self.memoryLimit = memoryLimit
    }

    /// What width and height must be multiples of: 8 (diffusers' `check_inputs`) and the
    /// VAE's downsampling factor f, i.e. lcm(8, f).
    public var sizeMultiple: Int {
        let f = max(vae.downsamplingFactor, 1)
        var a = 8, b = f
        while b != 0 { (a, b) = (b, a % b) }
        return 8 / a * f
    }

    /// The request's width and height: as given, else the init image's, else the default.
    /// Throws `ImageError.invalidSize` for a size that is not a positive multiple of
    /// `sizeMultiple`, `.invalidValue` for a size whose memory estimate exceeds `memoryLimit`,
    /// and `.invalidValue` when an img2img request asks for a size other than its init image's
    /// (resizing is not implemented).
    public func size(for request: ImageRequest) throws -> (width: Int, height: Int) {
        let width = request.width ?? request.initImage?.width ?? defaultSize.width
        let height = request.height ?? request.initImage?.height ?? defaultSize.height
        let f = vae.downsamplingFactor
        for (name, value) in [("width", width), ("height", height)] where value <= 0 || value % sizeMultiple != 0 {
            throw ImageError.invalidSize(dimension: name, value: value, multiple: sizeMultiple, vaeFactor: f)
        }
        let (_, overflow) = width.multipliedReportingOverflow(by: height)
        let needed = vae.estimatedBytes(width: width, height: height), available = Double(memoryLimit)
        guard !overflow, needed <= available else {
            throw ImageError.invalidValue("size", "\(width)x\(height)", String(
                format: "decoding it needs about %.1f GiB, more than the %.1f GiB of memory here", needed / 0x1p30, available / 0x1p30))
        }
        if let image = request.initImage, image.width != width || image.height != height {
            throw ImageError.invalidValue("size", "\(width)x\(height)",
                                          "the init image is \(image.width)x\(image.height); resizing is not implemented, so leave width and height out or make them match")
        }
        return (width, height)
    }

    /// The latent's shape for `request`: [count, latent_channels, height/f, width/f].
    public func latentShape(for request: ImageRequest) throws -> [Int] {
        let (width, height) = try size(for: request)
        let f = vae.downsamplingFactor
        return [request.count, vae.latentChannels, height / f, width / f]
    }

    /// Final latents [B, C, h, w] → the images in [0, 1] as diffusers' "np" output computes them
    /// (`(vae.decode(latents / scaling_factor) / 2 + 0.5).clamp(0, 1)`), [B, 3, H, W].
    /// Throws `ImageError.nonFiniteImage` when the decoder produced NaN or infinity.
    public func decodeToUnitRange(_ latents: Tensor) throws -> Tensor {
        let decoded = try vae.decodeImages(latents)                                // [B, 3, H, W]
        let perImage = decoded.count / max(decoded.shape[0], 1)
        if let bad = decoded.scalars.firstIndex(where: { !$0.isFinite }) {
            let plane = decoded.shape[2] * decoded.shape[3], index = bad / perImage, within = bad % perImage
            let value = decoded.scalars[bad].isNaN ? "NaN" : "infinite"
            throw ImageError.nonFiniteImage(index: index, detail: "the VAE decoder produced \(value) at channel \(within / plane), "
                                            + "row \(within % plane / decoded.shape[3]), column \(within % decoded.shape[3]); not writing a broken image")
        }
        return Tensor(shape: decoded.shape) { out in
            decoded.scalars.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = min(max(src[i] / 2 + 0.5, 0), 1) }
            }
        }
    }

    /// Final latents → one RGB image per batch item, quantised as diffusers' `numpy_to_pil`.
    public func decode(_ latents: Tensor, for request: ImageRequest) throws -> [RGBImage] {
        try images(fromUnitRange: try decodeToUnitRange(latents))
    }

    /// [B, 3, H, W] in [0, 1] → B RGB images.
    public func images(fromUnitRange pixels: Tensor) throws -> [RGBImage] {
        let (batch, height, width) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let per = 3 * height * width
        return try (0..<batch).map { b in
            try RGBImage(planes: Array(pixels.scalars[(b * per)..<((b + 1) * per)]), width: width, height: height,
                         range: .zeroToOne)
        }
    }

    /// img2img's start: `image` → VAE posterior sample (its noise drawn first from `noise`, as
    /// diffusers' `retrieve_latents(..., generator)`) · `scaling_factor`, encoded once and
    /// repeated `request.count` times: [count, C, h, w].
    public func encode(_ image: RGBImage, for request: ImageRequest, noise: inout some NoiseSource) throws -> Tensor {
        let pixels = Tensor(shape: [1, 3, image.height, image.width], scalars: image.floatPlanes(range: .minusOneToOne))
        let latent = try vae.encodeImages(pixels) { noise.randn($0) }             // [1, C, h, w]
        return concat(Array(repeating: latent, count: request.count), axis: 0)    // [count, C, h, w]
    }
}
