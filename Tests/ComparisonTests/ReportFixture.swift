import Comparison
import Evaluators
import Foundation
import MediaIO

/// A fresh folder under the system temporary folder, removed when released.
final class ReportScratch {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("diffuse-report-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("cells"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func text(_ name: String) throws -> String { try String(contentsOf: file(name), encoding: .utf8) }
}

/// A small synthetic comparison: 3 modalities × 2 sampler labels × 3 step counts × 2 guidance
/// scales, one seed, with tiny PNG thumbnails, WAV and MP4 outputs written by MediaIO into
/// `folder/cells/`. Strings carry `<&"'` and the CSV's and judgements' separators.
enum ReportFixture {
    static let samplers: [(String, Bool)] = [("euler", false), ("dpmpp_2m", true)]
    static let steps = [2, 4, 8]
    static let guidances = [1.0, 7.5]
    static let prompts: [Modality: String] = [
        .image: #"a red <circle> & a "square", 'quoted'"#,
        .audio: "a dog barking, then\nsilence",
        .video: " a ball moving left; to right ",
    ]

    static func results(in folder: URL) throws -> ComparisonResults {
        let wav = folder.appendingPathComponent("cells/.fixture.wav")
        let mp4 = folder.appendingPathComponent("cells/.fixture.mp4")
        let samples = (0..<400).map { Float(sin(Double($0) * 0.3) * 0.4) }
        try AudioWriter.write(try PCMAudio(sampleRate: 8000, mono: samples), to: wav)
        let frames = try (0..<4).map { i in
            try RGBImage(width: 16, height: 16, pixels: (0..<(16 * 16 * 3)).map { UInt8(($0 * 7 + i * 40) % 256) })
        }
        VideoWriter.silenceFFmpegLog()
        try VideoWriter.write(try VideoClip(frames: frames, fps: 4), to: mp4, metadata: GenerationMetadata(
            prompt: "fixture", model: "tiny", sampler: "euler", steps: 2, guidance: 1, seed: 0, engineVersion: "test"))
        defer {
            try? FileManager.default.removeItem(at: wav)
            try? FileManager.default.removeItem(at: mp4)
        }

        var cells: [CellResult] = []
        for modality in Modality.allCases {
            for (samplerIndex, (sampler, karras)) in samplers.enumerated() {
                for count in steps {
                    for (guidanceIndex, guidance) in guidances.enumerated() {
                        let id = "\(modality.rawValue)-m0-p0-\(sampler)\(karras ? "-karras" : "")-s\(count)-g\(guidance)-seed0"
                        let thumbnail = "cells/\(id).png"
                        let (width, height) = switch modality {
                        case .image: (4, 4)
                        case .audio: (8, 4)
                        case .video: (16, 4)
                        }
                        let shade = UInt8(count * 20 + samplerIndex * 60 + guidanceIndex * 9)
                        let picture = try RGBImage(width: width, height: height,
                                                   pixels: (0..<(width * height * 3)).map { UInt8($0 % 3) &* 80 &+ shade })
                        try PNGWriter.write(picture, to: folder.appendingPathComponent(thumbnail), metadata: nil)
                        let output: String
                        switch modality {
                        case .image: output = thumbnail
                        case .audio:
                            output = "cells/\(id).wav"
                            try FileManager.default.copyItem(at: wav, to: folder.appendingPathComponent(output))
                        case .video:
                            output = "cells/\(id).mp4"
                            try FileManager.default.copyItem(at: mp4, to: folder.appendingPathComponent(output))
                        }
                        cells.append(cell(id: id, modality: modality, sampler: sampler, karras: karras, steps: count,
                                          guidance: guidance, output: output, thumbnail: thumbnail, variant: cells.count))
                    }
                }
            }
        }
        return ComparisonResults(
            name: "fixture <matrix> & \"friends\"", engine: "0.1.0-test", started: "2025-01-01T00:00:00Z",
            finished: "2025-01-01T00:05:00Z", machine: "2 threads, Test CPU @ 1 GHz", referenceSteps: 8, cells: cells,
            determinism: [
                DeterminismCheck(modality: .image, cell: cells[0].id, identical: true, bytes: 120, firstDifference: nil),
                DeterminismCheck(modality: .audio, cell: cells[12].id, identical: false, bytes: 844, firstDifference: 44),
            ])
    }

    /// One cell's measurements, varied by `variant` so every column has distinct values.
    private static func cell(id: String, modality: Modality, sampler: String, karras: Bool, steps: Int, guidance: Double,
                             output: String, thumbnail: String, variant: Int) -> CellResult {
        let judgements: [AttributeJudgement] = switch modality {
        case .image: [
            AttributeJudgement(attribute: "colour", expected: "red", observed: variant % 3 == 0 ? "orange" : "red",
                               passed: variant % 3 != 0),
            AttributeJudgement(attribute: "shape", expected: "circle", observed: "odd: a=b; 50%", passed: false),
        ]
        case .audio: [AttributeJudgement(attribute: "family", expected: "dog", observed: "dog", passed: variant % 2 == 0)]
        case .video: []
        }
        let adherent: Bool? = switch modality {
        case .image: variant % 3 != 0
        case .audio: variant % 2 == 0
        case .video: nil
        }
        let convergence: Double? = steps == 8 ? 0 : (variant == 3 ? nil : 0.4 / Double(steps * steps) + Double(variant) * 1e-5)
        let metric = switch modality {
        case .image: "pixel RMSE"
        case .audio: "log-mel RMSE"
        case .video: "frame pixel RMSE"
        }
        let evaluations = steps * (sampler == "euler" ? 1 : 2)
        return CellResult(
            id: id, modality: modality, model: "tiny-\(modality.rawValue)", modelIndex: 0,
            prompt: prompts[modality]!, promptIndex: 0, sampler: sampler, karras: karras, steps: steps,
            guidance: guidance, seed: 0, output: output, thumbnail: thumbnail,
            wallSeconds: 0.25 + Double(variant) * 0.013, denoiserEvaluations: evaluations,
            secondsPerEvaluation: 0.01 + Double(variant) * 1e-4, peakMemoryBytes: 100_000_000 + UInt64(variant) * 4096,
            judgements: judgements, adherent: adherent, convergence: convergence, convergenceMetric: metric)
    }
}
