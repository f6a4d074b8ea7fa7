/// How well one generated image, clip or video follows its prompt: what the evaluators of
/// `Models/recipes/eval_image.py`, `eval_audio.py` and `eval_video.py` (ported in this module)
/// found for every attribute the prompt names.
public struct Adherence: Sendable, Codable, Equatable {
    /// Every attribute the prompt names that the judge can check, in a fixed order per modality
    /// (image: colour, shape, position; audio: family, coarse family, register, loudness;
    /// video: direction, colour).
    public var judgements: [AttributeJudgement]
    /// The modality's main attribute: image colour and shape both right (those of the two the
    /// prompt names); audio coarse sound family (instrument / speech / effect, eval_audio.py's
    /// `coarse` score); video direction of motion. Nil when the prompt names none.
    public var mainPassed: Bool?

    /// An adherence from its judgements and main verdict.
    public init(judgements: [AttributeJudgement], mainPassed: Bool?) {
        self.judgements = judgements
        self.mainPassed = mainPassed
    }

    /// The judgement of `attribute` ("colour", "family", …), if the prompt named it.
    public func judgement(_ attribute: String) -> AttributeJudgement? {
        judgements.first { $0.attribute == attribute }
    }
}
