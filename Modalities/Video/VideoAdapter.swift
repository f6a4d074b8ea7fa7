import DiffusionCore
import Foundation
import MediaIO
import PipelineComponents
import Tensors

/// The video modality's adapter (the `ModalityAdapter` shape of ARCHITECTURE.md): a video latent is
/// [B, C, F, h, w] (channels before frames, as diffusers' UNet3DConditionModel takes it), and frames
/// become latents and latents frames through an image VAE applied to one frame at a time.
///
/// Reference: diffusers `TextToVideoSDPipeline.prepare_latents` (shape), `decode_latents` +
/// `VideoProcessor.postprocess_video` (the old `tensor2vid`) for decode, and
/// `VideoToVideoSDPipeline.prepare_latents` for encode. diffusers decodes all B·F frames in one VAE
/// batch; here they go through in batches of `decodeBatchSize` frames (the VAE itself runs one frame at
/// a time), which gives the same numbers with memory bounded by one batch, not the clip.
public struct VideoAdapter: Sendable {
    /// The VAE.
    public let vae: any LatentImageCodec
    /// The size used when a request gives none (`unet.config.sample_size · vae_scale_factor`).
    public let defaultSize: (width: Int, height: Int)
    /// The memory a request may need (bytes; default: the machine's physical memory).
    public let memoryLimit: UInt64
    /// Frames handed to the VAE per call when decoding or encoding.
    public let decodeBatchSize: Int

    /// An adapter over `vae`, with the default frame size.
    public init(vae: any LatentImageCodec, defaultWidth: Int, defaultHeight: Int,
                memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory, decodeBatchSize: Int = 4) {
        self.vae = vae
        defaultSize = (defaultWidth, defaultHeight)
        self.memoryLimit = memoryLimit
        self.decodeBatchSize = max(decodeBatchSize, 1)
    }

    /// What width and height must be multiples of: 8 (diffusers' `check_inputs`) and the VAE's
    /// downsampling factor f, i.e. lcm(8, f). Always even, so every size accepted suits `yuv420p`.
    public var sizeMultiple: Int {
        let f = max(vae.downsamplingFactor, 1)
        var a = 8, b = f
        while b != 0 { (a, b) = (b, a % b) }
        return 8 / a * f
    }

    /// The request's frame width and height: as given, else the init video's, else the default.
    /// Throws `VideoError.invalidSize` for a size that is not a positive multiple of `sizeMultiple`,
    /// `.invalidValue` for a request whose memory estimate exceeds `memoryLimit`, and `.invalidValue`
    /// when a video-to-video request asks for a size other than its init video's (resizing is not
    /// implemented).
    public func size(for request: VideoRequest) throws -> (width: Int, height: Int) {
        let width = request.width ?? request.initVideo?.width ?? defaultSize.width
        let height = request.height ?? request.initVideo?.height ?? defaultSize.height
        let f = vae.downsamplingFactor
        for (name, value) in [("width", width), ("height", height)] where value <= 0 || value % sizeMultiple != 0 {
            throw VideoError.invalidSize(dimension: name, value: value, multiple: sizeMultiple, vaeFactor: f)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let frames = max(request.frameCount, 1)
        // One VAE batch, plus the clip held three times over (float frames, RGB8 frames, the encoder's copy).
        let needed = vae.estimatedBytes(width: width, height: height) * Double(min(decodeBatchSize, frames))
            + 3 * 4 * 3 * Double(pixels) * Double(frames)
        let available = Double(memoryLimit)
        guard !overflow, needed <= available else {
            throw VideoError.invalidValue("size", "\(width)x\(height) with \(frames) frames", String(
                format: "decoding it needs about %.1f GiB, more than the %.1f GiB of memory here", needed / 0x1p30, available / 0x1p30))
        }
        if let video = request.initVideo, video.width != width || video.height != height {
            throw VideoError.invalidValue("size", "\(width)x\(height)",
                                          "the init video is \(video.width)x\(video.height); resizing is not implemented, so leave width and height out or make them match")
        }
        return (width, height)
    }

    /// The latent's shape for `request`: [1, latent_channels, frames, height/f, width/f].
    public func latentShape(for request: VideoRequest) throws -> [Int] {
        let (width, height) = try size(for: request)
        let f = vae.downsamplingFactor
        return [1, vae.latentChannels, request.frameCount, height / f, width / f]
    }

    /// Final latents [B, C, F, h, w] → frames in [0, 1] as diffusers' "np" output computes them
    /// (`decode_latents`: [B·F, C, h, w] through the VAE; `postprocess_video`: `(x / 2 + 0.5).clamp(0, 1)`),
    /// frame-major and channel-first: [B, F, 3, H, W]. Throws `VideoError.nonFiniteFrame` when the
    /// decoder produced NaN or infinity, naming the frame, channel, row and column.
    public func decodeToUnitRange(_ latents: Tensor) throws -> Tensor {
        guard latents.rank == 5 else {
            throw VideoError.invalidValue("latents", "\(latents.shape)", "a video latent is [B, C, F, h, w]")
        }
        let (batch, channels, frames, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3], latents.shape[4])
        let perFrame = latents.permuted([0, 2, 1, 3, 4]).reshaped([batch * frames, channels, h, w])   // [B·F, C, h, w]
        var scalars: [Float] = []
        var frameShape: [Int] = []
        var start = 0
        while start < batch * frames {
            let length = min(decodeBatchSize, batch * frames - start)
            let decoded = try vae.decodeImages(perFrame.narrowed(axis: 0, start: start, length: length))  // [n, 3, H, W]
            try Self.checkFinite(decoded, firstFrame: start)
            if scalars.isEmpty {
                frameShape = Array(decoded.shape.dropFirst())
                scalars.reserveCapacity(batch * frames * decoded.count / length)
            }
            decoded.scalars.withUnsafeBufferPointer { src in
                for i in 0..<src.count { scalars.append(min(max(src[i] / 2 + 0.5, 0), 1)) }
            }
            start += length
        }
        return Tensor(shape: [batch, frames] + frameShape, scalars: scalars)                      // [B, F, 3, H, W]
    }

    /// Throws `VideoError.nonFiniteFrame` for the first NaN or infinity in `decoded` [n, 3, H, W].
    static func checkFinite(_ decoded: Tensor, firstFrame: Int) throws {
        guard let bad = decoded.scalars.firstIndex(where: { !$0.isFinite }) else { return }
        let perFrame = decoded.count / max(decoded.shape[0], 1), plane = decoded.shape[2] * decoded.shape[3]
        let within = bad % perFrame
        let value = decoded.scalars[bad].isNaN ? "NaN" : "infinite"
        throw VideoError.nonFiniteFrame(index: firstFrame + bad / perFrame, detail: "the VAE decoder produced \(value) at channel "
                                        + "\(within / plane), row \(within % plane / decoded.shape[3]), column \(within % decoded.shape[3]); not writing a broken video")
    }

    /// Final latents → the frames of the first batch item, quantised as diffusers' `numpy_to_pil`.
    public func decode(_ latents: Tensor, for request: VideoRequest) throws -> [RGBImage] {
        try frames(fromUnitRange: try decodeToUnitRange(latents))
    }

    /// [B, F, 3, H, W] in [0, 1] → the F RGB frames of batch item 0.
    public func frames(fromUnitRange pixels: Tensor) throws -> [RGBImage] {
        let (frames, height, width) = (pixels.shape[1], pixels.shape[3], pixels.shape[4])
        let per = 3 * height * width
        return try pixels.scalars.withUnsafeBufferPointer { src in
            try (0..<frames).map { f in
                try RGBImage(planes: Array(src[(f * per)..<((f + 1) * per)]), width: width, height: height, range: .zeroToOne)
            }
        }
    }

    /// Video-to-video's start (`VideoToVideoSDPipeline.prepare_latents`): the frames [F, 3, H, W] in
    /// [-1, 1] → VAE posterior sample · `scaling_factor` → [1, C, F, h, w]. The posterior's noise is one
    /// draw of [F, C, h, w] from `noise`, as `retrieve_latents(vae.encode(video), generator)` draws it,
    /// so encoding in batches of `decodeBatchSize` frames gives the same latents.
    public func encode(_ video: VideoClip, for request: VideoRequest, noise: inout some NoiseSource) throws -> Tensor {
        let (frames, width, height) = (video.frames.count, video.width, video.height)
        let f = vae.downsamplingFactor, channels = vae.latentChannels
        var planes: [Float] = []
        planes.reserveCapacity(frames * 3 * width * height)
        for frame in video.frames { planes += frame.floatPlanes(range: .minusOneToOne) }
        let pixels = Tensor(shape: [frames, 3, height, width], scalars: planes)                   // [F, 3, H, W]
        let posteriorNoise = noise.randn([frames, channels, height / f, width / f])              // [F, C, h, w]
        var parts: [Tensor] = []
        var start = 0
        while start < frames {
            let length = min(decodeBatchSize, frames - start)
            let slice = posteriorNoise.narrowed(axis: 0, start: start, length: length)             // [n, C, h, w]
            let latent = try vae.encodeImages(pixels.narrowed(axis: 0, start: start, length: length)) { shape in
                guard shape == slice.shape else {
                    throw VideoError.invalidValue("VAE posterior", "\(shape)", "expected \(slice.shape) for \(width)x\(height) frames")
                }
                return slice
            }                                                                                     // [n, C, h, w]
            parts.append(latent)
            start += length
        }
        let latents = concat(parts, axis: 0)                                                      // [F, C, h, w]
        return latents.reshaped([1, frames, channels, height / f, width / f]).permuted([0, 2, 1, 3, 4])  // [1, C, F, h, w]
    }
}
