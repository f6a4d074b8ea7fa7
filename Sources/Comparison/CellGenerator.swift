import AudioModality
import DiffusionCore
import Evaluators
import Foundation
import ImageModality
import MediaIO
import PipelineComponents
import Tensors
import VideoModality

/// What one cell made, ready to be written, judged and compared.
struct GeneratedMedia {
    enum Media {
        case image(RGBImage)
        /// The clip and its log-mel spectrogram `[frames, mels]` (the convergence signal).
        case audio(PCMAudio, logMel: Tensor)
        case video(VideoClip)
    }

    var media: Media

    /// The numbers convergence is measured on: pixels in 0…1 `[H, W, 3]` (image),
    /// log-mel `[frames, mels]` (audio), pixels in 0…1 `[F, H, W, 3]` (video).
    var signal: Tensor {
        switch media {
        case let .image(image): Self.unitPixels([image])
        case let .audio(_, logMel): logMel
        case let .video(clip): Self.unitPixels(clip.frames)
        }
    }

    /// The convergence metric's name in reports.
    static func metric(_ modality: Modality) -> String {
        switch modality {
        case .image: "pixel RMSE"
        case .audio: "log-mel RMSE"
        case .video: "frame pixel RMSE"
        }
    }

    /// The media file's extension and the thumbnail's name suffix.
    static func fileExtension(_ modality: Modality) -> String {
        switch modality {
        case .image: "png"
        case .audio: "wav"
        case .video: "mp4"
        }
    }

    /// Writes the media to `output` and its picture (image itself, spectrogram, filmstrip) to
    /// `thumbnail` (for an image the two are the same file).
    func write(output: URL, thumbnail: URL, metadata: GenerationMetadata) throws {
        switch media {
        case let .image(image):
            try PNGWriter.write(image, to: output, metadata: metadata)
        case let .audio(clip, logMel):
            try AudioWriter.write(clip, to: output, format: .wavPCM16, metadata: metadata)
            try PNGWriter.write(try SpectrogramImage.render(logMel: logMel, minimumWidth: 256, minimumHeight: 128), to: thumbnail,
                                metadata: metadata)
        case let .video(clip):
            try VideoWriter.write(clip, to: output, format: .mp4, metadata: metadata)
            try PNGWriter.write(try clip.filmstrip(), to: thumbnail, metadata: metadata)
        }
    }

    /// The evaluators' verdict on the prompt.
    func judge(prompt: String, with judges: Judges) throws -> Adherence {
        switch media {
        case let .image(image): ImageEvaluator.judge(image, prompt: prompt, classifier: try judges.shapes())
        case let .audio(clip, _): try AudioEvaluator.judge(clip, prompt: prompt, model: try judges.sounds())
        case let .video(clip): try VideoEvaluator.judge(clip, prompt: prompt)
        }
    }

    private static func unitPixels(_ frames: [RGBImage]) -> Tensor {
        let first = frames[0]
        let shape = (frames.count > 1 ? [frames.count] : []) + [first.height, first.width, 3]
        return Tensor(shape: shape, scalars: frames.flatMap { $0.pixels.map { Float($0) / 255 } })
    }
}

/// The evaluators' classifiers (the bundled default models' `eval/` files), read once per run
/// when a cell of their modality first needs them.
final class Judges {
    private var shapeClassifier: ShapeClassifier?
    private var soundModel: AudioJudgeModel?

    func shapes() throws -> ShapeClassifier {
        if let shapeClassifier { return shapeClassifier }
        let loaded = try ShapeClassifier(modelFolder: EvaluatorFiles.bundledImageModel())
        shapeClassifier = loaded
        return loaded
    }

    func sounds() throws -> AudioJudgeModel {
        if let soundModel { return soundModel }
        let loaded = try AudioJudgeModel(modelFolder: EvaluatorFiles.bundledAudioModel())
        soundModel = loaded
        return loaded
    }
}

/// A loaded model of one modality that turns a cell into media. Loaded once per model and
/// reused by every cell that names it.
protocol CellGenerator {
    /// Runs `cell` with the matrix's per-modality options; `observe` sees every sampler step.
    func generate(_ cell: CellPlan, plan: ComparisonMatrix.ModalityPlan, negativePrompt: String,
                  observe: (SamplerStep) throws -> Void) throws -> GeneratedMedia
}

/// Loads the generator for a model folder of `modality`.
func loadGenerator(_ modality: Modality, folder: URL) throws -> any CellGenerator {
    switch modality {
    case .image: return ImageCellGenerator(pipeline: try StableDiffusionPipeline(folder: folder))
    case .video: return VideoCellGenerator(pipeline: try TextToVideoSDPipeline(folder: folder))
    case .audio:
        let options = try PipelineIndexOptions.load(folder: folder)
        switch options.className {
        case "DiffuseMelPipeline": return AudioCellGenerator(run: try DiffuseMelPipeline(folder: folder).generate)
        case "AudioLDMPipeline": return AudioCellGenerator(run: try AudioLDMPipeline(folder: folder).generate)
        default:
            throw ComparisonError("\(folder.path): model_index.json's _class_name \"\(options.className)\" is not an audio pipeline Diffuse runs (AudioLDMPipeline, DiffuseMelPipeline)")
        }
    }
}

struct ImageCellGenerator: CellGenerator {
    let pipeline: StableDiffusionPipeline

    func generate(_ cell: CellPlan, plan: ComparisonMatrix.ModalityPlan, negativePrompt: String,
                  observe: (SamplerStep) throws -> Void) throws -> GeneratedMedia {
        let request = ImageRequest(prompt: cell.prompt, negativePrompt: negativePrompt, width: plan.width, height: plan.height,
                                   steps: cell.steps, sampler: cell.sampler.name, karras: cell.sampler.karras,
                                   guidanceScale: cell.guidance, seed: TorchSeed(cell.seed))
        return GeneratedMedia(media: .image(try pipeline.generate(request, observe: observe).images[0]))
    }
}

struct AudioCellGenerator: CellGenerator {
    let run: (AudioRequest, (SamplerStep) throws -> Void) throws -> AudioResult

    func generate(_ cell: CellPlan, plan: ComparisonMatrix.ModalityPlan, negativePrompt: String,
                  observe: (SamplerStep) throws -> Void) throws -> GeneratedMedia {
        let request = AudioRequest(prompt: cell.prompt, negativePrompt: negativePrompt, seconds: plan.seconds, steps: cell.steps,
                                   sampler: cell.sampler.name, karras: cell.sampler.karras, guidanceScale: cell.guidance,
                                   seed: TorchSeed(cell.seed))
        let result = try run(request, observe)
        let mel = result.melSpectrograms                                               // [B, frames, mels]
        let logMel = Tensor(shape: [mel.shape[1], mel.shape[2]], scalars: Array(mel.scalars[0..<(mel.shape[1] * mel.shape[2])]))
        return GeneratedMedia(media: .audio(result.audio[0], logMel: logMel))
    }
}

struct VideoCellGenerator: CellGenerator {
    let pipeline: TextToVideoSDPipeline

    func generate(_ cell: CellPlan, plan: ComparisonMatrix.ModalityPlan, negativePrompt: String,
                  observe: (SamplerStep) throws -> Void) throws -> GeneratedMedia {
        let request = VideoRequest(prompt: cell.prompt, negativePrompt: negativePrompt, frames: plan.frames ?? 16, fps: plan.fps ?? 8,
                                   width: plan.width, height: plan.height, steps: cell.steps, sampler: cell.sampler.name,
                                   karras: cell.sampler.karras, guidanceScale: cell.guidance, seed: TorchSeed(cell.seed))
        return GeneratedMedia(media: .video(try pipeline.generate(request, observe: observe).clip))
    }
}

/// A comparison that cannot go on: one readable line.
public struct ComparisonError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
