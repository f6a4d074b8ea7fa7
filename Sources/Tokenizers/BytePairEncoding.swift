import Foundation

/// Byte-level BPE, the model of HF `tokenizers.models.BPE` as CLIPTokenizer (with
/// `end_of_word_suffix="</w>"`) and RobertaTokenizer/GPT-2 (no suffix) configure it.
/// One implementation for both: a word is a byte string; its bytes start as the byte-level
/// characters of `ByteLevel` (the last one with the end-of-word suffix, if any), then the
/// adjacent pair of lowest merge rank is merged, all its occurrences left to right, until
/// no pair has a rank. Results are cached per word.
///
/// Limitations: no dropout, no `continuing_subword_prefix`, no byte fallback; a character
/// missing from the vocabulary becomes the unknown token if there is one and is dropped
/// otherwise (byte-level vocabularies hold all 256 bytes, so this does not happen with them).
public struct BytePairEncoding: Sendable {
    /// Token → id, as in `vocab.json`.
    public let vocabulary: [String: Int]
    /// Id → token (an empty string for ids the vocabulary does not use).
    public let tokens: [String]
    /// The suffix marking the last symbol of a word (`</w>` for CLIP), or nil.
    public let endOfWordSuffix: String?
    private let merges: [UInt64: Merge]
    private let byteIds: [Int32]
    private let lastByteIds: [Int32]
    private let unknownId: Int32?
    private let cache = WordCache()

    private struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// A BPE model from a vocabulary and merges in rank order (the lines of `merges.txt`).
    /// Throws when a merge names a token that is not in the vocabulary, as `tokenizers` does.
    public init(vocabulary: [String: Int], merges: [(String, String)], endOfWordSuffix: String? = nil,
                unknownToken: String? = nil) throws {
        self.vocabulary = vocabulary
        self.endOfWordSuffix = endOfWordSuffix
        let size = (vocabulary.values.max() ?? -1) + 1
        guard size <= Int(Int32.max), vocabulary.values.allSatisfy({ $0 >= 0 }) else {
            throw TokenizerError("BPE vocabulary: ids must be in 0..<\(Int32.max)")
        }
        var tokens = [String](repeating: "", count: size)
        for (token, id) in vocabulary { tokens[id] = token }
        self.tokens = tokens
        var table = [UInt64: Merge](minimumCapacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = vocabulary[left], let b = vocabulary[right] else {
                throw TokenizerError("BPE merges line \(rank + 1): '\(left) \(right)' names a token missing from the vocabulary")
            }
            guard let merged = vocabulary[left + right] else {
                throw TokenizerError("BPE merges line \(rank + 1): merged token '\(left + right)' is missing from the vocabulary")
            }
            let key = UInt64(a) << 32 | UInt64(b)
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), result: Int32(merged)) }
        }
        self.merges = table
        byteIds = ByteLevel.characters.map { Int32(vocabulary[String($0)] ?? -1) }
        lastByteIds = ByteLevel.characters.map { Int32(vocabulary[String($0) + (endOfWordSuffix ?? "")] ?? -1) }
        unknownId = unknownToken.flatMap { vocabulary[$0] }.map(Int32.init)
    }

    /// Parses `merges.txt`: one merge "left right" per line, in rank order; a first line
    /// starting with `#version` and empty lines are skipped (as `tokenizers` does).
    public static func readMerges(_ url: URL) throws -> [(String, String)] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw TokenizerError("\(url.path): cannot read merges (\(error.localizedDescription))")
        }
        var merges = [(String, String)]()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty || (lineNumber == 1 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError("\(url.path):\(lineNumber): expected 'left right', found '\(line)'")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        return merges
    }

    /// The ids of one pre-token (a word), given as UTF-8 bytes.
    public func encode(word: [UInt8]) -> [Int] {
        if word.isEmpty { return [] }
        if let hit = cache.get(word) { return hit }
        var symbols = [Int32]()
        symbols.reserveCapacity(word.count)
        for (i, byte) in word.enumerated() {
            let id = i == word.count - 1 ? lastByteIds[Int(byte)] : byteIds[Int(byte)]
            if id >= 0 {
                symbols.append(id)
            } else if let unknownId {
                symbols.append(unknownId)
            }
        }
        mergeAll(&symbols)
        let ids = symbols.map(Int.init)
        cache.set(word, ids)
        return ids
    }

    private func mergeAll(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var best: Merge?
            var bestPair: UInt64 = 0
            for i in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))
                if let merge = merges[key], merge.rank < (best?.rank ?? .max) {
                    best = merge
                    bestPair = key
                }
            }
            guard let best else { return }
            var merged = [Int32]()
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count,
                   UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1])) == bestPair {
                    merged.append(best.result)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
    }

    /// The UTF-8 bytes that the tokens of `ids` spell (byte-level decoding); ids outside the
    /// vocabulary are skipped. The end-of-word suffix is kept (CLIP replaces it by a space).
    public func bytes(of ids: [Int]) -> [UInt8] {
        var output = [UInt8]()
        for id in ids where id >= 0 && id < tokens.count {
            ByteLevel.decode(tokens[id], into: &output)
        }
        return output
    }
}

/// A bounded, thread-safe word → ids cache (HF `tokenizers` keeps one of 10,000 words).
private final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = [[UInt8]: [Int]]()
    private let capacity = 10_000

    func get(_ word: [UInt8]) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func set(_ word: [UInt8], _ ids: [Int]) {
        guard word.count < 256 else { return }
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = ids
    }
}
