import Evaluators
import Foundation
import MediaIO
import Tensors

/// The fixtures of tools/fixtures/fx_evaluators.py: media rendered by the recipes' generators,
/// the Python evaluators' verdicts (`Tests/Fixtures/evaluators/cases.json`) and numbers
/// (`evaluators_{image,audio,video}.safetensors`), and copies of the classifier files the
/// verdicts came from (`Tests/Fixtures/evaluators/{image,audio}/`, model-folder layout).
enum EvaluatorFixtures {
    static let folder = Fixtures.folder.appendingPathComponent("evaluators")
    static let imageModel = folder.appendingPathComponent("image")
    static let audioModel = folder.appendingPathComponent("audio")
    static let repository = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
    static let recipes = repository.appendingPathComponent("Models/recipes")

    struct ImageCase: Decodable {
        var prompt, colour, shape: String
        var observed_colour, observed_shape: String
        var colour_ok, shape_ok: Bool
        var position: String?
        var position_ok: Bool?
    }

    struct AudioCase: Decodable {
        var prompt, family, observed_family: String
        var family_ok: Bool
        var coarse, observed_coarse: String
        var coarse_ok: Bool
        var observed_register: String
        var voiced_frames: Int
        var register: String?
        var register_ok: Bool?
        var loudness: String?
        var loudness_ok: Bool?
    }

    struct VideoCase: Decodable {
        var prompt, direction, observed_direction: String
        var direction_ok: Bool
        var colour, observed_colour: String
        var colour_ok: Bool
    }

    struct Cases: Decodable {
        var image: [ImageCase]
        var audio: [AudioCase]
        var video: [VideoCase]
    }

    static func cases() throws -> Cases {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: folder.appendingPathComponent("cases.json")))
    }

    /// An [H, W, 3] uint8 tensor (widened to Float) as an image.
    static func image(_ t: Tensor) throws -> RGBImage {
        try RGBImage(width: t.shape[1], height: t.shape[0], pixels: t.scalars.map { UInt8($0) })
    }

    /// An [F, H, W, 3] uint8 tensor as a clip at 8 fps.
    static func clip(_ t: Tensor) throws -> VideoClip {
        let (f, h, w) = (t.shape[0], t.shape[1], t.shape[2])
        let frames = try (0..<f).map { k in
            try RGBImage(width: w, height: h, pixels: t.scalars[(k * h * w * 3)..<((k + 1) * h * w * 3)].map { UInt8($0) })
        }
        return try VideoClip(frames: frames, fps: 8)
    }

    /// An [n] int16 tensor (widened to Float) as 16 kHz mono audio.
    static func audio(_ t: Tensor) throws -> PCMAudio {
        try PCMAudio(sampleRate: 16000, mono: t.scalars.map { $0 / 32768 })
    }

    /// `values` as a rank-1 tensor, for expectClose.
    static func tensor(_ values: [Double]) -> Tensor {
        Tensor(shape: [values.count], scalars: values.map { Float($0) })
    }

    static func tensor(_ values: [Float]) -> Tensor {
        Tensor(shape: [values.count], scalars: values)
    }
}
