/// A prompt as lower-case words (letters and digits; every other character separates words, so
/// "hi-hat" is "hi", "hat" and "tone, low" is "tone", "low"), with phrase look-ups.
struct PromptWords {
    let words: [String]

    init(_ prompt: String) {
        var words: [String] = []
        var current = ""
        for ch in prompt.lowercased() {
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        self.words = words
    }

    private init(words: [String]) { self.words = words }

    /// The same words without those in `dropped` ("the", …).
    func removing(_ dropped: Set<String>) -> PromptWords {
        PromptWords(words: words.filter { !dropped.contains($0) })
    }

    /// The index of the first occurrence of `phrase` (a word sequence), or nil.
    func find(_ phrase: [String]) -> Int? {
        guard !phrase.isEmpty, phrase.count <= words.count else { return nil }
        for start in 0...(words.count - phrase.count) where words[start] == phrase[0] {
            if (1..<phrase.count).allSatisfy({ words[start + $0] == phrase[$0] }) { return start }
        }
        return nil
    }

    /// Whether `phrase` (space-separated words) occurs.
    func contains(_ phrase: String) -> Bool {
        find(phrase.split(separator: " ").map(String.init)) != nil
    }

    /// The value of the first entry of `table` (in table order) whose phrase occurs.
    func firstMatch<Value>(_ table: [(String, Value)]) -> Value? {
        table.first { contains($0.0) }?.1
    }
}
