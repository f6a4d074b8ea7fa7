/// One attribute a prompt asks for and what an evaluator found in the generated media.
public struct AttributeJudgement: Codable, Equatable, Sendable {
    /// "colour", "shape", "position", "family", "register", "loudness", "direction", …
    public var attribute: String
    /// What the prompt asks for ("red", "circle", "left to right").
    public var expected: String
    /// What the evaluator measured ("orange", "square", "right to left", "none").
    public var observed: String
    public var passed: Bool

    public init(attribute: String, expected: String, observed: String, passed: Bool) {
        self.attribute = attribute
        self.expected = expected
        self.observed = observed
        self.passed = passed
    }
}
