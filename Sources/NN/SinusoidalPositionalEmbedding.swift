import Foundation
import SafeTensors
import Tensors

// Reference: diffusers/models/embeddings.py, `SinusoidalPositionalEmbedding` (diffusers 0.42), the
// frame positions of AnimateDiff's motion modules (`BasicTransformerBlock(positional_embeddings="sinusoidal")`).

/// diffusers' `SinusoidalPositionalEmbedding(embed_dim, max_seq_length)`: adds to a sequence
/// `[N, L, D]` the table `pe[l, 2i] = sin(l · 10000^(−2i/D))`, `pe[l, 2i+1] = cos(…)` for its
/// `L ≤ max_seq_length` positions.
///
/// The table is a buffer, not a learned weight: diffusers builds it in `__init__` and also saves it
/// (`pos_embed.pe`, `[1, max_seq_length, D]`). When the checkpoint holds it, that tensor is used
/// (as `load_state_dict` would); otherwise the table is computed as `__init__` computes it.
public struct SinusoidalPositionalEmbedding: Sendable {
    /// `pe[0]`, `[max_seq_length, D]`.
    let table: Tensor

    /// Reads or builds `pe` for sequences of up to `maxSeqLength` positions of width `dim` (even).
    public init(_ w: WeightScope, dim: Int, maxSeqLength: Int) throws {
        try LayerError.checkPositive("SinusoidalPositionalEmbedding", ["embed_dim": dim, "max_seq_length": maxSeqLength])
        guard dim % 2 == 0 else {
            throw LayerError("SinusoidalPositionalEmbedding", "embed_dim must be even, got \(dim)")
        }
        if let stored = try w.optionalTensor("pe", shape: [1, maxSeqLength, dim]) {
            table = stored.reshaped([maxSeqLength, dim])
        } else {
            table = Self.table(dim: dim, length: maxSeqLength)
        }
    }

    /// The table `__init__` computes, in float32 as torch does: `div_term = exp(arange(0, D, 2) ·
    /// (−ln 10000 / D))`, then `sin`/`cos` of `position · div_term`.
    static func table(dim: Int, length: Int) -> Tensor {
        let scale = Float(-log(10000.0) / Double(dim))
        let divTerm = (0..<(dim / 2)).map { Float(exp(Double(Float(2 * $0) * scale))) }
        var values = [Float](repeating: 0, count: length * dim)
        for position in 0..<length {
            for i in 0..<(dim / 2) {
                let angle = Float(position) * divTerm[i]
                values[position * dim + 2 * i] = sin(angle)
                values[position * dim + 2 * i + 1] = cos(angle)
            }
        }
        return Tensor(shape: [length, dim], scalars: values)
    }

    /// The longest sequence the table covers.
    public var maxSeqLength: Int { table.shape[0] }

    /// `x + pe[:, :L]` for `x` `[N, L, D]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == table.shape[1] && x.shape[1] <= maxSeqLength,
                     "SinusoidalPositionalEmbedding: input \(x.shape) is not [N, L ≤ \(maxSeqLength), \(table.shape[1])]")
        return x + table.narrowed(axis: 0, start: 0, length: x.shape[1]).reshaped([1, x.shape[1], table.shape[1]])
    }
}
