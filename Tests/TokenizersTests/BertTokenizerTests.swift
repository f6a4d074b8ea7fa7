import Foundation
import Testing
import Tokenizers

/// BertTokenizer (WordPiece) against transformers 5.23 with all-MiniLM-L6-v2's real
/// vocabulary, and from a tokenizer.json with a cut vocabulary.
@Suite struct BertTokenizerTests {
    static let miniLM = Result {
        try BertTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("minilm"))
    }

    @Test func matchesTransformersOnMiniLM() throws {
        let tokenizer = try Self.miniLM.get()
        let folder = TokenizerFixtures.folder.appendingPathComponent("minilm")
        #expect(try BertTokenizer.sentenceTransformersMaxLength(folder: folder) == 256)
        #expect(tokenizer.modelMaxLength == 512)
        #expect(tokenizer.clsTokenId == 101 && tokenizer.sepTokenId == 102 && tokenizer.padTokenId == 0)
        let set = try TokenizerFixtures.cases("minilm")
        #expect(set.maxLength == 256)
        TokenizerFixtures.check(tokenizer, set, "BertTokenizer MiniLM")
    }

    @Test func padsWithAttentionMask() throws {
        TokenizerFixtures.check(try Self.miniLM.get(), try TokenizerFixtures.cases("minilm-padded"),
                                "BertTokenizer MiniLM padded")
    }

    @Test func matchesTransformersFromTokenizerJSON() throws {
        let tokenizer = try BertTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("bert-tiny-json"))
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("bert-tiny-json"), "BertTokenizer tokenizer.json")
    }

    @Test func wordPieceSplitsAndFallsBackToUnknown() throws {
        let tokenizer = try Self.miniLM.get()
        let vocabulary = tokenizer.wordPiece.vocabulary
        let ids = tokenizer.tokenize("Unaffable café")
        #expect(ids.map { tokenizer.wordPiece.tokens[$0] } == ["una", "##ffa", "##ble", "cafe"])
        #expect(tokenizer.tokenize(String(repeating: "a", count: 101)) == [vocabulary["[UNK]"]!])
    }
}
