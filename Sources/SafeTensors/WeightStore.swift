import Foundation
import Tensors

/// Strict, usage-tracked lookup of a checkpoint's weights by key path, the loading side of
/// "the module tree is the key tree" (candle's `VarBuilder::pp`, with what it lacks: an error
/// for unused keys).
///
/// ```swift
/// let w = WeightStore(try Checkpoint(contentsOf: unetFolder))
/// let conv = w["down_blocks"][0]["resnets"][1]["conv1"]        // "down_blocks.0.resnets.1.conv1"
/// let weight = try conv.tensor("weight", shape: [320, 320, 3, 3])
/// let bias = try conv.optionalTensor("bias", shape: [320])
/// try w.finish(allowingUnused: ["text_model.embeddings.position_ids"])
/// ```
///
/// Loading is strict both ways: a missing key or a wrong shape throws an error naming the full
/// key (and the closest existing keys, or both shapes); `finish` throws for every key never
/// read unless it is allowed. A missing weight is never initialised.
///
/// Half-precision checkpoints: `tensor` always widens to Float32; `weight` (what Linear and
/// convolution layers ask for) follows `halfPrecision`, keeping F16/BF16 values in the mapped
/// file when it resolves to `.keep` (see `HalfPrecisionStorage`).
///
/// Thread-safe: scopes are values that share the store, and usage is recorded under a lock,
/// so layers may be built from several threads.
public final class WeightStore: Sendable {
    /// The checkpoint the weights come from.
    public let checkpoint: Checkpoint
    /// How `WeightScope.weight` returns F16/BF16 weights: `.widen` or `.keep` (resolved from
    /// the `halfPrecision` the store was made with).
    public let halfPrecision: HalfPrecisionStorage
    private let usage = UsageTracker()
    /// Every proper dot-prefix of every key ("a", "a.b" for "a.b.c"), for `WeightScope.exists`.
    private let prefixes: Set<String>

    /// A store over `checkpoint`, with no key used yet. `halfPrecision` (default `.automatic`)
    /// says whether F16/BF16 layer weights are widened on load or kept in the mapped file.
    public init(_ checkpoint: Checkpoint, halfPrecision: HalfPrecisionStorage = .automatic) {
        self.checkpoint = checkpoint
        let halfBytes = checkpoint.entries.lazy.filter { $0.dtype == .F16 || $0.dtype == .BF16 }
            .reduce(UInt64(0)) { $0 + UInt64(Tensor.elementCount($1.shape)) * 2 }
        self.halfPrecision = halfPrecision.resolved(halfBytes: halfBytes)
        var prefixes = Set<String>()
        for name in checkpoint.names {
            var prefix = Substring(name)
            while let dot = prefix.lastIndex(of: ".") {
                prefix = prefix[..<dot]
                if !prefixes.insert(String(prefix)).inserted { break }
            }
        }
        self.prefixes = prefixes
    }

    /// A store over the checkpoint at `url` (see `Checkpoint.init(contentsOf:variant:)`).
    public convenience init(contentsOf url: URL, variant: String? = nil,
                            halfPrecision: HalfPrecisionStorage = .automatic) throws {
        self.init(try Checkpoint(contentsOf: url, variant: variant), halfPrecision: halfPrecision)
    }

    /// A store over the checkpoint at `url`, chosen and held as `loading` says.
    public convenience init(contentsOf url: URL, loading: WeightLoading) throws {
        try self.init(contentsOf: url, variant: loading.variant, halfPrecision: loading.halfPrecision)
    }

    /// The scope of the whole checkpoint (path "").
    public var root: WeightScope { WeightScope(store: self, path: "") }

    /// The scope `name` at the top level.
    public subscript(_ name: String) -> WeightScope { root[name] }

    /// Keys read so far through `tensor` / `optionalTensor`.
    public var usedKeys: Set<String> { usage.snapshot() }

    /// Keys never read and not matched by `patterns`, in checkpoint order.
    public func unusedKeys(allowing patterns: [String] = []) -> [String] {
        let used = usage.snapshot()
        return checkpoint.names.filter { key in
            !used.contains(key) && !patterns.contains { Self.matches(key, pattern: $0) }
        }
    }

    /// Throws unless every key was read or matches one of `patterns`. A pattern with `*` (any
    /// run of characters, dots included) or `?` (one character) is matched against the whole
    /// key; any other pattern matches that key and every key under it (`"lora"` matches
    /// `"lora"` and `"lora.up.weight"`).
    public func finish(allowingUnused patterns: [String] = []) throws {
        let unused = unusedKeys(allowing: patterns)
        guard !unused.isEmpty else { return }
        let shown = unused.prefix(5).map(quoted).joined(separator: ", ")
        let more = unused.count > 5 ? " … and \(unused.count - 5) more" : ""
        throw SafeTensorsError(checkpoint.url, "\(unused.count) unused weight\(unused.count == 1 ? "" : "s") (not on the allow-list): \(shown)\(more)")
    }

    /// Whether `key` matches an allow-list `pattern` (see `finish`).
    public static func matches(_ key: String, pattern: String) -> Bool {
        if pattern.contains("*") || pattern.contains("?") { return globMatch(Array(key.unicodeScalars), Array(pattern.unicodeScalars)) }
        return key == pattern || key.hasPrefix(pattern.hasSuffix(".") ? pattern : pattern + ".")
    }

    // MARK: Used by WeightScope

    func hasKey(_ key: String) -> Bool { checkpoint.entry(key) != nil }
    func hasPrefix(_ path: String) -> Bool { path.isEmpty ? !checkpoint.entries.isEmpty : prefixes.contains(path) }

    func load(_ key: String, shape expected: [Int]?) throws -> Tensor {
        try checkedEntry(key, shape: expected)
        let tensor = try checkpoint.tensor(key)
        usage.record(key)
        return tensor
    }

    /// `key` as stored: kept in half precision (a slice of the mapping) when the store keeps
    /// half weights and the tensor is F16/BF16, else widened to Float32.
    func loadWeight(_ key: String, shape expected: [Int]) throws -> StoredWeight {
        let entry = try checkedEntry(key, shape: expected)
        guard halfPrecision == .keep, entry.dtype == .F16 || entry.dtype == .BF16,
              let file = checkpoint.files.first(where: { $0.url == entry.file }) else {
            return StoredWeight(try load(key, shape: expected))
        }
        let weight = StoredWeight(halfBytes: try file.bytes(key), dtype: entry.dtype, shape: entry.shape)
        usage.record(key)
        return weight
    }

    @discardableResult
    private func checkedEntry(_ key: String, shape expected: [Int]?) throws -> CheckpointEntry {
        guard let entry = checkpoint.entry(key) else { throw missing(key) }
        if let expected, entry.shape != expected {
            throw SafeTensorsError(checkpoint.url, "weight \(quoted(key)) has shape \(entry.shape), expected \(expected)")
        }
        return entry
    }

    /// The error for a missing key, with the closest keys under the longest existing prefix.
    private func missing(_ key: String) -> SafeTensorsError {
        var prefix = Substring(key)
        while let dot = prefix.lastIndex(of: "."), !prefixes.contains(String(prefix[..<dot])) { prefix = prefix[..<dot] }
        let under = prefix.lastIndex(of: ".").map { String(prefix[..<$0]) } ?? ""
        let candidates = checkpoint.names.lazy.filter { under.isEmpty || $0.hasPrefix(under + ".") }.prefix(20_000)
        let target = Array(key.utf8)
        let closest = candidates.map { (name: $0, distance: Self.editDistance(Array($0.utf8), target)) }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
            .prefix(3).map { quoted($0.name) }
        let hint = closest.isEmpty ? "the checkpoint has no weights"
            : "closest keys\(under.isEmpty ? "" : " under \(quoted(under))"): \(closest.joined(separator: ", "))"
        return SafeTensorsError(checkpoint.url, "missing weight \(quoted(key)); \(hint)")
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `*` and `?` wildcards, iterative with single-star backtracking (linear in practice).
    private static func globMatch(_ s: [Unicode.Scalar], _ p: [Unicode.Scalar]) -> Bool {
        var i = 0, j = 0, star = -1, mark = 0
        while i < s.count {
            if j < p.count, p[j] == "?" || p[j] == s[i] { i += 1; j += 1 }
            else if j < p.count, p[j] == "*" { star = j; mark = i; j += 1 }
            else if star >= 0 { j = star + 1; mark += 1; i = mark }
            else { return false }
        }
        while j < p.count, p[j] == "*" { j += 1 }
        return j == p.count
    }
}

/// A position in the key tree of a `WeightStore`: `path` is the checkpoint key prefix
/// ("down_blocks.0.resnets.1.conv1"). Scopes are cheap values sharing the store's usage record.
public struct WeightScope: Sendable {
    /// The store this scope reads from.
    public let store: WeightStore
    /// The key prefix, components joined by "." ("" at the root).
    public let path: String

    /// The child scope `name` (`"resnets"` → `"….resnets"`).
    public subscript(_ name: String) -> WeightScope { WeightScope(store: store, path: key(name)) }

    /// The child scope for list element `index` (`"resnets"` then `1` → `"….resnets.1"`).
    public subscript(_ index: Int) -> WeightScope { self[String(index)] }

    /// The full key of `name` in this scope.
    public func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Whether the checkpoint has the key `name` in this scope (does not mark it used).
    public func contains(_ name: String) -> Bool { store.hasKey(key(name)) }

    /// Whether any key lies under this scope (e.g. to tell if an optional block is present).
    public var exists: Bool { store.hasPrefix(path) }

    /// The stored shape of `name`, if present (does not mark it used).
    public func shape(of name: String) -> [Int]? { store.checkpoint.entry(key(name))?.shape }

    /// Weight `name` as Float32, which must have exactly `shape`; marks it used.
    /// Throws naming the full key when it is missing (with the closest keys) or has another shape.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor { try store.load(key(name), shape: shape) }

    /// Weight `name` as Float32 with whatever shape it has; marks it used.
    public func tensor(_ name: String) throws -> Tensor { try store.load(key(name), shape: nil) }

    /// Layer weight `name` (a Linear's or convolution's `weight`), which must have exactly
    /// `shape`; marks it used. F16/BF16 values stay in half precision when the store keeps them
    /// (`WeightStore.halfPrecision`), else they are widened to Float32 as by `tensor`.
    public func weight(_ name: String, shape: [Int]) throws -> StoredWeight { try store.loadWeight(key(name), shape: shape) }

    /// Weight `name` if present (checked against `shape` and marked used), nil if absent.
    public func optionalTensor(_ name: String, shape: [Int]) throws -> Tensor? {
        contains(name) ? try tensor(name, shape: shape) : nil
    }
}

/// The set of keys read, shared by all scopes of a store and guarded by a lock.
private final class UsageTracker: @unchecked Sendable {   // `used` is only touched under `lock`
    private let lock = NSLock()
    private var used = Set<String>()

    func record(_ key: String) { lock.withLock { _ = used.insert(key) } }
    func snapshot() -> Set<String> { lock.withLock { used } }
}
