import Foundation

/// Reads a `*.safetensors.index.json` and its shards, as written by diffusers' and
/// transformers' `save_pretrained(..., max_shard_size=...)` (see `_load_state_dict_into_model`
/// / `load_sharded_checkpoint`), with checks the references leave out.
enum ShardIndex {
    /// The shards (in name order) and the scalar fields of `"metadata"`.
    static func open(_ indexFile: URL) throws -> (files: [SafeTensorsFile], metadata: [String: String]) {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(indexFile, reason) }
        let (metadata, weightMap) = try parse(indexFile)
        guard !weightMap.isEmpty else { throw fail("weight_map is empty") }

        let folder = indexFile.deletingLastPathComponent()
        guard let folderPath = resolvedPath(folder.path) else { throw fail("cannot resolve the folder \(folder.path)") }
        var files: [SafeTensorsFile] = []
        var shardOf: [String: Int] = [:]    // shard name → index in `files`
        for shard in Set(weightMap.values).sorted() {
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.contains("\0") else {
                throw fail("shard path \(quoted(shard)) must be a relative path inside the folder")
            }
            guard !shard.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
                throw fail("shard path \(quoted(shard)) contains '..' (shards must stay inside the folder)")
            }
            let path = folder.appendingPathComponent(shard).path
            guard let resolved = resolvedPath(path) else {
                throw fail("shard \(quoted(shard)) listed in the weight_map does not exist (\(path))")
            }
            guard resolved.hasPrefix(folderPath.hasSuffix("/") ? folderPath : folderPath + "/") else {
                throw fail("shard \(quoted(shard)) resolves to \(resolved), outside the folder \(folderPath)")
            }
            shardOf[shard] = files.count
            files.append(try SafeTensorsFile(contentsOf: URL(fileURLWithPath: resolved)))
        }
        // Both ways: every mapped tensor is in its shard, every shard tensor is mapped to it.
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where files[shardOf[shard]!].entry(tensor) == nil {
            throw fail("tensor \(quoted(tensor)) is mapped to shard \(quoted(shard)), which has no such tensor")
        }
        for (shard, f) in shardOf.sorted(by: { $0.value < $1.value }) {
            for entry in files[f].entries {
                guard let mapped = weightMap[entry.name] else {
                    throw fail("tensor \(quoted(entry.name)) of shard \(quoted(shard)) is missing from the weight_map")
                }
                guard mapped == shard else {
                    throw fail("tensor \(quoted(entry.name)) is in shard \(quoted(shard)) but mapped to shard \(quoted(mapped))")
                }
            }
        }
        return (files, metadata)
    }

    /// The `"metadata"` scalars and the `"weight_map"`; duplicate keys are errors.
    private static func parse(_ indexFile: URL) throws -> (metadata: [String: String], weightMap: [String: String]) {
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(indexFile, reason) }
        let size = (try? FileManager.default.attributesOfItem(atPath: indexFile.path)[.size] as? Int) ?? nil
        guard let size else { throw fail("cannot read the file") }
        guard size <= SafeTensorsFile.maximumHeaderLength else {
            throw fail("index is \(size) bytes, over the \(SafeTensorsFile.maximumHeaderLength)-byte limit")
        }
        let data: Data
        do { data = try Data(contentsOf: indexFile) } catch {
            throw fail("cannot read the file (\(error.localizedDescription))")
        }
        return try data.withUnsafeBytes { bytes in
            if let bad = JSONReader.invalidUTF8Offset(bytes) { throw fail("is not valid UTF-8 (at byte \(bad))") }
            var r = JSONReader(bytes)
            var metadata: [String: String] = [:]
            var weightMap: [String: String]?
            do {
                guard try r.peekKind() == .object else { throw fail("is not a JSON object") }
                try r.beginObject()
                var first = true
                var seen = Set<String>()
                while let key = try r.nextKey(first: &first) {
                    guard seen.insert(key).inserted else { throw fail("duplicate key \(quoted(key))") }
                    switch key {
                    case "weight_map": weightMap = try parseWeightMap(&r, fail)
                    case "metadata": metadata = try parseMetadata(&r, fail)
                    default: try r.skipValue()
                    }
                }
                try r.expectEnd()
            } catch let error as JSONReader.SyntaxError {
                throw fail("is not valid JSON: \(error.message) at byte \(error.offset)")
            }
            guard let weightMap else { throw fail("has no \"weight_map\"") }
            return (metadata, weightMap)
        }
    }

    private static func parseWeightMap(_ r: inout JSONReader, _ fail: (String) -> SafeTensorsError) throws -> [String: String] {
        let kind = try r.peekKind()
        guard kind == .object else { throw fail("weight_map is \(kind.withArticle), expected an object") }
        var map: [String: String] = [:]
        try r.beginObject()
        var first = true
        while let tensor = try r.nextKey(first: &first) {
            let k = try r.peekKind()
            guard k == .string else { throw fail("weight_map value for tensor \(quoted(tensor)) is \(k.withArticle), expected a file name") }
            guard map.updateValue(try r.readString(), forKey: tensor) == nil else {
                throw fail("tensor \(quoted(tensor)) appears twice in the weight_map")
            }
        }
        return map
    }

    private static func parseMetadata(_ r: inout JSONReader, _ fail: (String) -> SafeTensorsError) throws -> [String: String] {
        let kind = try r.peekKind()
        guard kind == .object else { throw fail("metadata is \(kind.withArticle), expected an object") }
        var metadata: [String: String] = [:]
        var seen = Set<String>()
        try r.beginObject()
        var first = true
        while let key = try r.nextKey(first: &first) {
            guard seen.insert(key).inserted else { throw fail("duplicate metadata key \(quoted(key))") }
            let value: String?
            switch try r.peekKind() {
            case .string: value = try r.readString()
            case .number: value = try r.readNumber().text
            case .boolean: value = String(try r.readBoolean())
            case .null, .object, .array: try r.skipValue(); value = nil
            }
            metadata[key] = value
        }
        return metadata
    }

    /// The canonical absolute path (symlinks resolved), or nil when it does not exist.
    private static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
