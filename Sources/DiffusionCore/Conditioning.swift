import Tensors

/// What the network is conditioned on, opaque to the core: named batch-first tensors
/// (e.g. `encoder_hidden_states` [B, L, D], `text_embeds` [B, D], `time_ids` [B, 6]) that the
/// network adapter interprets. Guidance stacks conditionings along the batch axis.
public struct Conditioning: Sendable, Equatable {
    /// Batch-first tensors by the name the network adapter expects.
    public var tensors: [String: Tensor]

    /// A conditioning from named tensors (all with the same leading batch size).
    public init(_ tensors: [String: Tensor] = [:]) { self.tensors = tensors }

    /// The tensor named `name`, if present.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// `parts` concatenated along the batch axis, tensor by tensor (as `torch.cat([uncond, cond])`).
    /// Every part must hold the same names with shapes that differ only in the batch size.
    public static func batched(_ parts: [Conditioning]) throws -> Conditioning {
        guard let first = parts.first else { return Conditioning() }
        var out: [String: Tensor] = [:]
        for (name, head) in first.tensors {
            var pieces: [Tensor] = []
            for part in parts {
                guard let t = part.tensors[name] else {
                    throw DiffusionError.invalidParameter(name: "conditioning", value: "\"\(name)\"",
                                                          reason: "present in one guidance branch but missing in another")
                }
                guard t.rank >= 1, head.rank >= 1, Array(t.shape.dropFirst()) == Array(head.shape.dropFirst()) else {
                    throw DiffusionError.shapeMismatch(what: "conditioning \"\(name)\"", got: t.shape, expected: head.shape)
                }
                pieces.append(t)
            }
            out[name] = concatenatedBatch(pieces)
        }
        return Conditioning(out)
    }
}

/// `tensors` concatenated along axis 0 (shapes must agree after the first axis).
func concatenatedBatch(_ tensors: [Tensor]) -> Tensor {
    var shape = tensors[0].shape
    shape[0] = tensors.reduce(0) { $0 + $1.shape[0] }
    return Tensor(shape: shape, scalars: tensors.flatMap(\.scalars))
}

/// Rows `range` of `tensor` along axis 0.
func batchRows(_ tensor: Tensor, _ range: Range<Int>) -> Tensor {
    let per = tensor.count / max(tensor.shape[0], 1)
    var shape = tensor.shape
    shape[0] = range.count
    return Tensor(shape: shape, scalars: Array(tensor.scalars[(range.lowerBound * per)..<(range.upperBound * per)]))
}
