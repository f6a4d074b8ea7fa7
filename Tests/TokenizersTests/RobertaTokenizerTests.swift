import Foundation
import Testing
import Tokenizers

/// RobertaTokenizer (CLAP's text tokenizer) against transformers 5.23 on a tiny byte-level
/// BPE trained by the fixture script, loaded from vocab.json + merges.txt and from tokenizer.json.
@Suite struct RobertaTokenizerTests {
    @Test func matchesTransformersFromVocabAndMerges() throws {
        let tokenizer = try RobertaTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("roberta"))
        #expect(tokenizer.clsTokenId == 0 && tokenizer.padTokenId == 1 && tokenizer.sepTokenId == 2)
        #expect(tokenizer.addedTokens.first { $0.content == "<mask>" }?.lstrip == true)
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("roberta"), "RobertaTokenizer vocab.json")
    }

    @Test func matchesTransformersFromTokenizerJSON() throws {
        let tokenizer = try RobertaTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("roberta-json"))
        #expect(tokenizer.modelMaxLength == 128)
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("roberta"), "RobertaTokenizer tokenizer.json")
    }
}
