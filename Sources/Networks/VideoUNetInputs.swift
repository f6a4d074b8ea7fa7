import NN
import Tensors

/// What diffusers' two video UNets (`UNet3DConditionModel`, `UNetMotionModel`) do alike with their
/// inputs before `conv_in`: the checks (one-line `ModelInputError`s) and the per-frame conditioning —
/// the time embedding of each video repeated for its frames (`repeat_interleave(num_frames)`), and
/// the context likewise.
struct VideoUNetInputs {
    /// The network's name, for errors.
    let model: String
    let inChannels: Int
    let crossAttentionDim: Int
    let timeCondProjDim: Int?
    /// Whether a context given per frame (`[B·F, L, D]`, as AnimateDiffPipeline passes it) is accepted.
    let acceptsContextPerFrame: Bool
    /// The most frames the network takes (nil: any).
    let maxFrames: Int?

    /// Throws a `ModelInputError` naming what is wrong with the sample, timesteps or conditions.
    func check(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor, timestepCond: Tensor?) throws {
        func fail(_ reason: String) -> ModelInputError { ModelInputError(model, reason) }
        guard sample.rank == 5, sample.shape[1] == inChannels, sample.shape.allSatisfy({ $0 > 0 }) else {
            throw fail("sample has shape \(sample.shape), expected [B, \(inChannels), F, H, W] with B, F, H, W ≥ 1")
        }
        let (b, frames) = (sample.shape[0], sample.shape[2])
        if let maxFrames, frames > maxFrames {
            throw fail("\(frames) frames, but the motion modules' positions cover at most \(maxFrames) (motion_max_seq_length)")
        }
        guard timesteps.count == 1 || timesteps.count == b else {
            throw fail("\(timesteps.count) timesteps for a batch of \(b); give one or one per video")
        }
        guard timesteps.allSatisfy(\.isFinite) else { throw fail("timesteps \(timesteps) are not all finite") }
        if let width = timeCondProjDim {
            guard let timestepCond, timestepCond.shape == [b, width] else {
                throw fail("timestep_cond has shape \(timestepCond?.shape.description ?? "nil"), expected [\(b), \(width)] (time_cond_proj_dim)")
            }
        } else if timestepCond != nil {
            throw fail("timestep_cond was given, but the config has no time_cond_proj_dim")
        }
        let states = encoderHiddenStates, width = crossAttentionDim
        let batchOK = states.rank == 3 && (states.shape[0] == b || (acceptsContextPerFrame && states.shape[0] == b * frames))
        guard batchOK, states.shape[1] > 0, states.shape[2] == width else {
            let perFrame = acceptsContextPerFrame ? " or [\(b * frames), L, \(width)]" : ""
            throw fail("encoder_hidden_states has shape \(states.shape), expected [\(b), L, \(width)]\(perFrame) (cross_attention_dim)")
        }
    }

    /// `(temb, context)` per frame: the time embedding of `timesteps` (one, or one per video) repeated for
    /// each video's frames, `[B·F, T]`, and the context repeated likewise unless it is per frame already.
    static func perFrame(_ sample: Tensor, timesteps: [Double], encoderHiddenStates: Tensor, timestepCond: Tensor?,
                         projection: Timesteps, embedding: TimestepEmbedding) -> (temb: Tensor, context: Tensor) {
        let (b, frames) = (sample.shape[0], sample.shape[2])
        let t = timesteps.count == 1 ? [Float](repeating: Float(timesteps[0]), count: b) : timesteps.map { Float($0) }
        let emb = embedding(projection(Tensor(shape: [b], scalars: t)), condition: timestepCond)     // [B, T]
        let context = encoderHiddenStates.shape[0] == b * frames
            ? encoderHiddenStates : repeatInterleaved(encoderHiddenStates, frames)                  // [B·F, L, D]
        return (repeatInterleaved(emb, frames), context)
    }

    /// `x.repeat_interleave(times, dim=0)`: each entry of the batch `times` times in a row.
    static func repeatInterleaved(_ x: Tensor, _ times: Int) -> Tensor {
        guard times != 1 else { return x }
        let b = x.shape[0], rest = Array(x.shape.dropFirst())
        return x.reshaped([b, 1, x.count / max(b, 1)]).repeated([1, times, 1]).reshaped([b * times] + rest)
    }
}
