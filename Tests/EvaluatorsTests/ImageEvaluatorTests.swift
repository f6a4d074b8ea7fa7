@testable import Evaluators
import Foundation
import MediaIO
import Testing
import Tensors

/// `ImageEvaluator` against `Models/recipes/eval_image.py` on ground-truth renders of
/// data_image.py (three through the VAE) and an empty canvas: fixture "evaluators_image" and
/// `evaluators/cases.json` from tools/fixtures/fx_evaluators.py, with the shape classifier the
/// Python verdicts used (`Tests/Fixtures/evaluators/image/eval/shape_classifier.json`).
@Suite struct ImageEvaluatorTests {
    static let classifier = Result { try ShapeClassifier(modelFolder: EvaluatorFixtures.imageModel) }

    @Test func paletteIsTheTrainingPalette() throws {
        let palette = try Fixtures.load("evaluators_image").tensor("palette")           // [10, 3]
        let swift = ImageVocabulary.colours.flatMap { [$0.rgb.0, $0.rgb.1, $0.rgb.2] }
        expectClose(Tensor(shape: [10, 3], scalars: swift), palette, abs: 0, "data_image.COLORS")
        #expect(ImageVocabulary.shapes == (try Self.classifier.get()).classes)
    }

    /// Mask, background and the object's median colour exactly; centroid within 1e-5 (numpy's
    /// float64 stored as float32); mask features within 1e-6 (the bilinear crop is Pillow's
    /// fixed-point arithmetic, so its bytes are exact; measured ≤ 6e-8); logits within 1e-5
    /// (measured ≤ 2.2e-7).
    @Test func measurementsMatchPython() throws {
        let file = try Fixtures.load("evaluators_image")
        let classifier = try Self.classifier.get()
        let cases = try EvaluatorFixtures.cases().image
        #expect(cases.count == 6)
        for k in cases.indices {
            let image = try EvaluatorFixtures.image(try file.tensor("image_\(k)"))
            let a = ImageEvaluator.analyze(image, classifier: classifier)
            let mask = try file.tensor("mask_\(k)")
            expectClose(Tensor(shape: [64, 64], scalars: a.mask.mask.map { $0 ? 1 : 0 }), mask, abs: 0, "mask \(k)")
            expectClose(EvaluatorFixtures.tensor(a.mask.background), try file.tensor("background_\(k)"), abs: 0,
                        "background \(k)")
            expectClose(EvaluatorFixtures.tensor(a.objectColour ?? [0, 0, 0]), try file.tensor("colour_\(k)"), abs: 0,
                        "median object colour \(k)")
            expectClose(EvaluatorFixtures.tensor([a.centroid.x, a.centroid.y]), try file.tensor("centroid_\(k)"),
                        abs: 1e-5, "centroid \(k)")
            expectClose(EvaluatorFixtures.tensor(a.features), try file.tensor("features_\(k)"), abs: 1e-6,
                        "mask features \(k)")
            expectClose(EvaluatorFixtures.tensor(a.logits), try file.tensor("logits_\(k)"), abs: 1e-5, rel: 0,
                        "shape logits \(k)")
            expectClose(EvaluatorFixtures.tensor(a.probabilities), try file.tensor("probabilities_\(k)"), abs: 1e-5,
                        "shape probabilities \(k)")
        }
    }

    /// The verdicts are exactly Python's, and the judgements say what the prompt asked.
    @Test func verdictsMatchPython() throws {
        let file = try Fixtures.load("evaluators_image")
        let classifier = try Self.classifier.get()
        for (k, c) in try EvaluatorFixtures.cases().image.enumerated() {
            let image = try EvaluatorFixtures.image(try file.tensor("image_\(k)"))
            let adherence = ImageEvaluator.judge(image, prompt: c.prompt, classifier: classifier)
            let colour = try #require(adherence.judgement("colour"), "\(c.prompt)")
            let shape = try #require(adherence.judgement("shape"), "\(c.prompt)")
            #expect(colour == AttributeJudgement(attribute: "colour", expected: c.colour, observed: c.observed_colour,
                                                 passed: c.colour_ok), "\(c.prompt)")
            #expect(shape == AttributeJudgement(attribute: "shape", expected: c.shape, observed: c.observed_shape,
                                                passed: c.shape_ok), "\(c.prompt)")
            #expect(adherence.mainPassed == (c.colour_ok && c.shape_ok), "\(c.prompt)")
            if let position = c.position {
                let judged = try #require(adherence.judgement("position"), "\(c.prompt)")
                #expect(judged.expected == position && judged.passed == c.position_ok, "\(c.prompt): \(judged)")
            } else {
                #expect(adherence.judgement("position") == nil, "\(c.prompt)")
            }
        }
    }

    /// The model-folder convenience reads the same classifier file.
    @Test func judgesWithAModelFolder() throws {
        let file = try Fixtures.load("evaluators_image")
        let image = try EvaluatorFixtures.image(try file.tensor("image_0"))
        let adherence = try ImageEvaluator.judge(image, prompt: "a red ball in the center on a blue background",
                                                 modelFolder: EvaluatorFixtures.imageModel)
        #expect(adherence.judgements.map(\.attribute) == ["colour", "shape", "position"])
        #expect(adherence.mainPassed == true)
    }

    /// An empty canvas: no object, so colour and shape are "none", and a named position fails
    /// (eval_image.py put the missing object at the centre; see `ImageEvaluator`).
    @Test func emptyCanvasHasNoObject() throws {
        let image = try RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 128, count: 64 * 64 * 3))
        let adherence = ImageEvaluator.judge(image, prompt: "a red circle in the center", classifier: try Self.classifier.get())
        #expect(adherence.judgements.map(\.observed) == ["none", "none", "none"])
        #expect(adherence.judgements.allSatisfy { !$0.passed } && adherence.mainPassed == false)
    }

    /// Pillow's bilinear resize of random 0/255 boxes to 20 × 20, byte for byte (sizes where
    /// Pillow 13 runs the vertical pass first, the horizontal pass first, and upscales).
    @Test func pillowResizeMatchesPillow() throws {
        let file = try Fixtures.load("evaluators_image")
        for j in 0..<8 {
            let input = try file.tensor("pillow_in_\(j)")                                  // [h, w]
            let (h, w) = (input.shape[0], input.shape[1])
            let out = pillowBilinearResize(input.scalars.map { UInt8($0) }, width: w, height: h, outWidth: 20, outHeight: 20)
            expectClose(Tensor(shape: [20, 20], scalars: out.map(Float.init)), try file.tensor("pillow_out_\(j)"), abs: 0,
                        "\(h)×\(w) box")
        }
    }

    /// A solid 8×8 square: its bounding-box crop is all 255, and Pillow's bilinear upscaling to
    /// 20×20 keeps it so (weights sum to 1 in fixed point); fill, centre and aspect are 1.
    @Test func solidSquareFeatures() throws {
        let classifier = try Self.classifier.get()
        var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for y in 10..<18 { for x in 20..<28 { for c in 0..<3 { pixels[(y * 64 + x) * 3 + c] = 255 } } }
        let features = classifier.maskFeatures(ObjectMask(try RGBImage(width: 64, height: 64, pixels: pixels)))
        #expect(features.prefix(400).allSatisfy { $0 == 1 } && Array(features.suffix(3)) == [1, 1, 1])
    }
}
