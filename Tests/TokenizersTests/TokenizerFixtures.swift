import Foundation
import Testing
import Tokenizers

/// The tokenizer fixtures written by `tools/fixtures/make_tokenizer_fixtures.py` from
/// transformers 5.23: folders under `Tests/Fixtures/tokenizers/` and `expected.json`.
enum TokenizerFixtures {
    static let folder = Fixtures.folder.appendingPathComponent("tokenizers")

    /// One prompt and what transformers returned for it.
    struct Case: Decodable, Sendable {
        let prompt: String
        let inputIds: [Int]
        let attentionMask: [Int]
        let droppedIds: [Int]
        let droppedText: String

        enum CodingKeys: String, CodingKey {
            case prompt
            case inputIds = "input_ids"
            case attentionMask = "attention_mask"
            case droppedIds = "dropped_ids"
            case droppedText = "dropped_text"
        }
    }

    /// The cases of one tokenizer folder, encoded with `max_length` and optional padding.
    struct CaseSet: Decodable, Sendable {
        let folder: String
        let maxLength: Int
        let padding: Bool
        let cases: [Case]

        enum CodingKeys: String, CodingKey {
            case folder
            case maxLength = "max_length"
            case padding
            case cases
        }
    }

    static let expected: Result<[String: CaseSet], any Error> = Result {
        let url = folder.appendingPathComponent("expected.json")
        return try JSONDecoder().decode([String: CaseSet].self, from: Data(contentsOf: url))
    }

    /// The case set `name`; a missing fixture or set fails the test.
    static func cases(_ name: String) throws -> CaseSet {
        let sets = try expected.get()
        guard let set = sets[name] else {
            throw TokenizerError("expected.json has no case set '\(name)' (have \(sets.keys.sorted()))")
        }
        #expect(!set.cases.isEmpty, "case set \(name) is empty")
        return set
    }

    /// Encodes every prompt of `set` and compares ids, attention mask and dropped ids exactly
    /// (and the dropped text when `compareDroppedText`); each mismatch is reported with the
    /// prompt, both id lists and the first differing position.
    static func check(_ tokenizer: some TextTokenizer, _ set: CaseSet, _ what: String, compareDroppedText: Bool = true,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        var failures = 0
        for item in set.cases {
            let encoded = tokenizer.encode(item.prompt, maxLength: set.maxLength, padToMaxLength: set.padding)
            let ok = compare(encoded.ids, item.inputIds, "\(what) input_ids", item.prompt, sourceLocation)
                && compare(encoded.attentionMask, item.attentionMask, "\(what) attention_mask", item.prompt, sourceLocation)
                && compare(encoded.droppedIds, item.droppedIds, "\(what) dropped ids", item.prompt, sourceLocation)
            if !ok {
                failures += 1
            } else if compareDroppedText && tokenizer.droppedText(encoded) != item.droppedText {
                failures += 1
                Issue.record("""
                    \(what): prompt \(item.prompt.debugDescription)
                      dropped text swift:        \(tokenizer.droppedText(encoded).debugDescription)
                      dropped text transformers: \(item.droppedText.debugDescription)
                    """, sourceLocation: sourceLocation)
            }
        }
        #expect(failures == 0, "\(what): \(failures) of \(set.cases.count) prompts differ from transformers",
                sourceLocation: sourceLocation)
    }

    private static func compare(_ actual: [Int], _ expected: [Int], _ what: String, _ prompt: String,
                                _ sourceLocation: SourceLocation) -> Bool {
        if actual == expected { return true }
        let first = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? Swift.min(actual.count, expected.count)
        Issue.record("""
            \(what) differ for prompt \(prompt.debugDescription)
              swift        (\(actual.count)): \(actual)
              transformers (\(expected.count)): \(expected)
              first difference at position \(first)
            """, sourceLocation: sourceLocation)
        return false
    }
}
