import Evaluators
import Foundation

/// The modalities a comparison matrix spans.
public enum Modality: String, Codable, CaseIterable, Sendable, Comparable {
    case image, audio, video

    public static func < (a: Modality, b: Modality) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The measurements of one cell of the matrix: one generation (one modality, model, prompt,
/// sampler, step count, guidance scale and seed). Written as `cells/<id>.json` when the cell
/// finishes, so an interrupted run resumes after the last finished cell.
public struct CellResult: Codable, Equatable, Sendable {
    /// Stable name of the cell, also the stem of its files:
    /// `image-m0-p0-dpmpp_2m-karras-s10-g7.5-seed0`.
    public var id: String
    public var modality: Modality
    /// The model's name (`diffuse models`) or folder name.
    public var model: String
    /// Index of the model in the modality's `models` list.
    public var modelIndex: Int
    public var prompt: String
    /// Index of the prompt in the modality's `prompts` list.
    public var promptIndex: Int
    /// `SamplerName.rawValue` ("dpmpp_2m").
    public var sampler: String
    public var karras: Bool
    public var steps: Int
    public var guidance: Double
    public var seed: UInt64

    /// The generated media, relative to the report folder (`cells/<id>.png|.wav|.mp4`).
    public var output: String
    /// A PNG picture of it, relative to the report folder: the image itself, the audio's
    /// spectrogram, the video's filmstrip.
    public var thumbnail: String
    /// Wall time of the whole generation (prompt encoding, sampling, decoding), seconds.
    public var wallSeconds: Double
    /// Denoiser (UNet) evaluations the sampler made; with classifier-free guidance the
    /// conditional and unconditional halves of one batched call count once.
    public var denoiserEvaluations: Int
    /// Sampling-loop wall time over `denoiserEvaluations`, seconds.
    public var secondsPerEvaluation: Double
    /// Peak resident memory of the process during the cell (VmHWM after a reset), bytes.
    public var peakMemoryBytes: UInt64
    /// Every attribute the evaluators could judge for this prompt.
    public var judgements: [AttributeJudgement]
    /// Whether the modality's main attribute (image: colour and shape; audio: sound family;
    /// video: direction of motion) is right; nil when the prompt names none.
    public var adherent: Bool?
    /// Distance of the output from the same (model, prompt, sampler, guidance, seed) at the
    /// matrix's largest step count, in `convergenceMetric`; 0 for that cell itself. Nil until
    /// the reference cell exists.
    public var convergence: Double?
    /// "pixel RMSE" (image, 0…1 scale), "log-mel RMSE" (audio, dB), "frame pixel RMSE" (video).
    public var convergenceMetric: String

    public init(id: String, modality: Modality, model: String, modelIndex: Int, prompt: String, promptIndex: Int,
                sampler: String, karras: Bool, steps: Int, guidance: Double, seed: UInt64, output: String,
                thumbnail: String, wallSeconds: Double, denoiserEvaluations: Int, secondsPerEvaluation: Double,
                peakMemoryBytes: UInt64, judgements: [AttributeJudgement], adherent: Bool?, convergence: Double?,
                convergenceMetric: String) {
        self.id = id
        self.modality = modality
        self.model = model
        self.modelIndex = modelIndex
        self.prompt = prompt
        self.promptIndex = promptIndex
        self.sampler = sampler
        self.karras = karras
        self.steps = steps
        self.guidance = guidance
        self.seed = seed
        self.output = output
        self.thumbnail = thumbnail
        self.wallSeconds = wallSeconds
        self.denoiserEvaluations = denoiserEvaluations
        self.secondsPerEvaluation = secondsPerEvaluation
        self.peakMemoryBytes = peakMemoryBytes
        self.judgements = judgements
        self.adherent = adherent
        self.convergence = convergence
        self.convergenceMetric = convergenceMetric
    }

    /// The sampler as the report names it: "dpmpp_2m karras".
    public var samplerLabel: String { sampler + (karras ? " karras" : "") }
}

/// A cell run twice: whether the second run wrote the same bytes as the first.
public struct DeterminismCheck: Codable, Equatable, Sendable {
    public var modality: Modality
    public var cell: String
    public var identical: Bool
    /// Size of the output file, bytes.
    public var bytes: Int
    /// Where the files differ first (byte offset), nil when identical.
    public var firstDifference: Int?

    public init(modality: Modality, cell: String, identical: Bool, bytes: Int, firstDifference: Int?) {
        self.modality = modality
        self.cell = cell
        self.identical = identical
        self.bytes = bytes
        self.firstDifference = firstDifference
    }
}

/// Everything a report shows: `results.json`.
public struct ComparisonResults: Codable, Equatable, Sendable {
    /// The matrix's `name`.
    public var name: String
    /// Diffuse's version.
    public var engine: String
    /// ISO 8601 time the run started and finished.
    public var started: String
    public var finished: String
    /// "2 threads, AMD EPYC …", from /proc/cpuinfo.
    public var machine: String
    /// The largest step count of the matrix (the convergence reference).
    public var referenceSteps: Int
    /// Every cell, in matrix order (modality, model, prompt, sampler, steps, guidance, seed).
    public var cells: [CellResult]
    public var determinism: [DeterminismCheck]

    public init(name: String, engine: String, started: String, finished: String, machine: String,
                referenceSteps: Int, cells: [CellResult], determinism: [DeterminismCheck]) {
        self.name = name
        self.engine = engine
        self.started = started
        self.finished = finished
        self.machine = machine
        self.referenceSteps = referenceSteps
        self.cells = cells
        self.determinism = determinism
    }
}
