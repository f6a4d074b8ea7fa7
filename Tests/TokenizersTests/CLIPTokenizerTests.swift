import Foundation
import Testing
import Tokenizers

/// CLIPTokenizer against transformers 5.23 on the real OpenAI CLIP vocabulary (SD 1.x and
/// SD 2.x configurations) and on a cut vocabulary saved as tokenizer.json.
@Suite struct CLIPTokenizerTests {
    /// Loaded once for the suite: merges.txt (48,894 merges) + derived vocab.json, SD 1.x configs.
    static let sd1 = Result { () throws -> (CLIPTokenizer, Duration) in
        let clock = ContinuousClock()
        let start = clock.now
        let tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("clip"),
                                          derivingVocabularyFromMerges: true)
        return (tokenizer, clock.now - start)
    }

    @Test func matchesTransformersOnStableDiffusion1() throws {
        let (tokenizer, _) = try Self.sd1.get()
        #expect(tokenizer.bosTokenId == 49406 && tokenizer.eosTokenId == 49407 && tokenizer.padTokenId == 49407)
        #expect(tokenizer.modelMaxLength == 77)
        #expect(tokenizer.bpe.vocabulary.count == 49408)
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("clip"), "CLIPTokenizer SD 1.x")
    }

    @Test func matchesTransformersOnStableDiffusion2PadToken() throws {
        let (sd1, _) = try Self.sd1.get()
        let configuration = try TokenizerConfiguration(folder: TokenizerFixtures.folder.appendingPathComponent("clip-sd2"))
        let tokenizer = try CLIPTokenizer(bpe: sd1.bpe, configuration: configuration)
        #expect(tokenizer.padTokenId == 0, "SD 2.x pads with '!' (id 0)")
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("clip-sd2"), "CLIPTokenizer SD 2.x")
    }

    @Test func matchesTransformersFromTokenizerJSON() throws {
        let tokenizer = try CLIPTokenizer(folder: TokenizerFixtures.folder.appendingPathComponent("clip-tiny"))
        #expect(tokenizer.padTokenId == 0)
        TokenizerFixtures.check(tokenizer, try TokenizerFixtures.cases("clip-tiny"), "CLIPTokenizer tokenizer.json")
    }

    @Test func truncationReportsWhatWasDropped() throws {
        let (tokenizer, _) = try Self.sd1.get()
        let words = (1...100).map { _ in "cat" }.joined(separator: " ")
        let encoded = tokenizer.encode(words + " zebra")
        #expect(encoded.ids.count == 77 && encoded.ids.first == 49406 && encoded.ids.last == 49407)
        #expect(encoded.isTruncated && encoded.droppedIds.count == 101 - 75)
        #expect(tokenizer.droppedText(encoded).hasSuffix("cat zebra"))
        let short = tokenizer.encode("a cat")
        #expect(!short.isTruncated && short.length == 4 && tokenizer.droppedText(short).isEmpty)
    }

    @Test func vocabularyLoadsQuickly() throws {
        let (_, elapsed) = try Self.sd1.get()
        #if DEBUG
        let limit = Duration.seconds(20)
        #else
        let limit = Duration.seconds(1)
        #endif
        #expect(elapsed < limit, "CLIP vocabulary took \(elapsed) to load")
    }

    @Test func missingVocabularyIsAClearError() throws {
        let folder = TokenizerFixtures.folder.appendingPathComponent("clip")
        #expect {
            _ = try CLIPTokenizer(folder: folder)
        } throws: { error in
            "\(error)".contains("vocab.json") && "\(error)".contains("not found")
        }
    }

    @Test func mergeWithUnknownTokenIsAClearError() throws {
        let vocabulary = ["a": 0, "b": 1]
        #expect {
            _ = try BytePairEncoding(vocabulary: vocabulary, merges: [("a", "b")])
        } throws: { error in
            "\(error)".contains("merges line 1") && "\(error)".contains("'ab'")
        }
    }

    @Test func byteLevelTableMatchesGPT2() {
        #expect(ByteLevel.characters[0x20] == "Ġ" && ByteLevel.characters[0x0A] == "Ċ")
        #expect(ByteLevel.characters[0x41] == "A" && ByteLevel.characters[0xAD] == "Ń")
        #expect(Set(ByteLevel.characters).count == 256)
    }
}
