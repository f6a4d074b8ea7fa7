import Evaluators
import Foundation
import MediaIO
import Testing

/// Prompt parsing against the labels of the held-out prompt files (`Models/recipes/heldout_*.txt`,
/// written by the data recipes) and against the training captions' phrasings.
@Suite struct PromptParsingTests {
    static func rows(_ name: String, separator: Character) throws -> [[String]] {
        let text = try String(contentsOf: EvaluatorFixtures.recipes.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.split(separator: separator, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// heldout_image.txt: prompt, colour, shape, background, position ("" for none).
    @Test func heldOutImagePrompts() throws {
        let rows = try Self.rows("heldout_image.txt", separator: "\t")
        #expect(rows.count == 30)
        for row in rows {
            let parsed = ImagePromptAttributes(prompt: row[0])
            #expect(parsed.colour == row[1] && parsed.shape == row[2], "\(row[0]): \(parsed)")
            #expect(parsed.position == (row[4].isEmpty ? nil : row[4]), "\(row[0]): \(parsed)")
        }
    }

    /// heldout_video.txt: prompt, colour, shape, direction, background.
    @Test func heldOutVideoPrompts() throws {
        let rows = try Self.rows("heldout_video.txt", separator: "\t")
        #expect(rows.count == 20)
        for row in rows {
            let parsed = VideoPromptAttributes(prompt: row[0])
            #expect(parsed.colour == row[1] && parsed.shape == row[2] && parsed.direction == row[3], "\(row[0]): \(parsed)")
        }
    }

    /// heldout_audio.txt: prompt | family | register | loudness ("-" for not labelled). The file
    /// labels loudness only where its authors judged it; the parser also reads "loud" in "a loud
    /// siren" and "a loud snare hit", so only labelled loudness is compared.
    @Test func heldOutAudioPrompts() throws {
        let rows = try Self.rows("heldout_audio.txt", separator: "|")
        #expect(rows.count == 32)
        for row in rows {
            let parsed = AudioPromptAttributes(prompt: row[0])
            #expect(parsed.family == row[1], "\(row[0]): \(parsed)")
            #expect(parsed.coarseFamily == SoundVocabulary.coarse(row[1]), "\(row[0]): \(parsed)")
            #expect(parsed.register == (row[2] == "-" ? nil : row[2]), "\(row[0]): \(parsed)")
            if row[3] != "-" { #expect(parsed.loudness == row[3], "\(row[0]): \(parsed)") }
        }
    }

    /// Training phrasings (data_image.caption, data_video.DIRECTION_PHRASES, data_audio templates).
    @Test func trainingPhrasings() {
        let image = ImagePromptAttributes(prompt: "a blue background with a small red ball in the top left corner")
        #expect(image == ImagePromptAttributes(colour: "red", shape: "circle", position: "in the top left corner"))
        #expect(ImagePromptAttributes(prompt: "two green stars on a striped yellow and pink background")
                == ImagePromptAttributes(colour: "green", shape: "star", position: nil))
        #expect(ImagePromptAttributes(prompt: "an orange box on white").colour == "orange")
        #expect(ImagePromptAttributes(prompt: "a teal hexagon") == ImagePromptAttributes(colour: nil, shape: nil, position: nil))

        let directions = [
            ("a red ball moving to the right", "left to right"), ("a red ball sliding from right to left", "right to left"),
            ("a cyan star rising from the bottom to the top", "up"), ("a pink box moving downwards", "down"),
            ("a blue ring falling from the top to the bottom quickly", "down"),
            ("a black star moving diagonally from the top right to the bottom left", "top right to bottom left"),
            ("a white ball moving diagonally from the bottom left to the top right", "bottom left to top right"),
        ]
        for (prompt, direction) in directions {
            #expect(VideoPromptAttributes(prompt: prompt).direction == direction, "\(prompt)")
        }
        #expect(VideoPromptAttributes(prompt: "a red ball bouncing up and down").direction == nil)
        #expect(VideoPromptAttributes(prompt: "a green square rotating").direction == nil)

        let sounds: [(String, String?, String?, String?)] = [
            ("a bass drum hit", "drums", nil, nil), ("a low note on the bass guitar", "bass", "low", nil),
            ("a drum-like hit", "effect", nil, nil), ("a hi-hat", "drums", nil, nil),
            ("a quiet medium note on the french horn", "brass", "middle", "soft"),
            ("someone saying hello", "speech", nil, nil), ("a high pitched beep", "effect", nil, nil),
            ("a low thud", "effect", nil, nil), ("a soft high note", nil, "high", "soft"),
            ("birdsong", nil, nil, nil),
        ]
        for (prompt, family, register, loudness) in sounds {
            let parsed = AudioPromptAttributes(prompt: prompt)
            #expect(parsed.family == family && parsed.register == register && parsed.loudness == loudness,
                    "\(prompt): \(parsed)")
        }
        #expect(AudioPromptAttributes(prompt: "a soft high note").coarseFamily == "instrument")
        #expect(AudioPromptAttributes(prompt: "birdsong").coarseFamily == nil)
    }

    /// Unknown words: nothing is judged and there is no main attribute.
    @Test func unknownWordsAreNotJudged() throws {
        let image = try RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 9, count: 64 * 64 * 3))
        let classifier = try ShapeClassifier(modelFolder: EvaluatorFixtures.imageModel)
        let adherence = ImageEvaluator.judge(image, prompt: "a photograph of a cat", classifier: classifier)
        #expect(adherence == Adherence(judgements: [], mainPassed: nil))
        let clip = try VideoClip(frames: [image, image], fps: 8)
        #expect(try VideoEvaluator.judge(clip, prompt: "a cat") == Adherence(judgements: [], mainPassed: nil))
    }
}
