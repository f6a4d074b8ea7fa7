import Foundation

/// The parts of an HF `tokenizer.json` (the single file transformers 5 saves) that the
/// tokenizers here need: the model's vocabulary and merges, its options, the added tokens
/// and BERT's normalizer flags. The normalizer, pre-tokenizer and post-processor are
/// those of the tokenizer class that reads the file; their types are checked.
struct TokenizerJSON {
    let url: URL
    let modelType: String
    let vocabulary: [String: Int]
    let merges: [(String, String)]
    let addedTokens: [AddedToken]
    let model: [String: Any]
    let normalizer: [String: Any]?
    let preTokenizer: [String: Any]?

    static func url(in folder: URL) -> URL? {
        let url = folder.appendingPathComponent("tokenizer.json")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    init(_ url: URL) throws {
        self.url = url
        guard let root = try JSONFile.object(url), let model = root["model"] as? [String: Any] else {
            throw TokenizerError("\(url.path): no \"model\" object")
        }
        self.model = model
        modelType = model["type"] as? String ?? ""
        vocabulary = try JSONFile.vocabulary(model["vocab"], in: url)
        var merges = [(String, String)]()
        for (index, entry) in (model["merges"] as? [Any] ?? []).enumerated() {
            if let pair = entry as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else if let line = entry as? String, case let parts = line.split(separator: " ", omittingEmptySubsequences: false),
                      parts.count == 2 {
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw TokenizerError("\(url.path): model.merges[\(index)] is not a pair of tokens")
            }
        }
        self.merges = merges
        addedTokens = try (root["added_tokens"] as? [Any] ?? []).enumerated().map { index, value in
            guard let entry = value as? [String: Any], let id = entry["id"] as? Int,
                  let content = entry["content"] as? String else {
                throw TokenizerError("\(url.path): added_tokens[\(index)] needs an id and a content")
            }
            return AddedToken(content: content, id: id, lstrip: entry["lstrip"] as? Bool ?? false,
                              rstrip: entry["rstrip"] as? Bool ?? false,
                              normalized: entry["normalized"] as? Bool ?? false,
                              special: entry["special"] as? Bool ?? false)
        }
        normalizer = root["normalizer"] as? [String: Any]
        preTokenizer = root["pre_tokenizer"] as? [String: Any]
    }

    /// Throws unless the model is of `type` (e.g. "BPE", "WordPiece").
    func require(model type: String, for owner: String) throws {
        guard modelType == type else {
            throw TokenizerError("\(url.path): \(owner) needs a \(type) model, found '\(modelType)'")
        }
    }

    /// A string option of the model (e.g. `unk_token`, `end_of_word_suffix`).
    func modelString(_ key: String) -> String? {
        model[key] as? String
    }
}
