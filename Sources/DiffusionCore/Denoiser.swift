import Foundation
import Tensors

/// A noise level as the network sees it: σ and, when the schedule fixes it, the reference
/// scheduler's own timestep for that level.
public struct NoiseLevel: Sendable, Equatable {
    /// The VE noise level σ (flow: the interpolation weight of the noise).
    public var sigma: Double
    /// The schedule's timestep for `sigma`, or nil to let the denoiser convert σ itself.
    public var timestep: Double?

    /// A level σ with an optional scheduler timestep.
    public init(sigma: Double, timestep: Double? = nil) {
        self.sigma = sigma
        self.timestep = timestep
    }
}

/// The only place that knows what the network predicts and how its input is scaled:
/// returns the denoised estimate x̂0 of the latent `x` at noise level `level`.
public protocol Denoiser {
    /// x̂0 for the VE-form latent `x` (flow models: the interpolated latent) at `level`.
    func denoised(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor
    /// The forward process: `x0` noised to level σ (diffusers' `add_noise` / `scale_noise`).
    func noised(_ x0: Tensor, noise: Tensor, sigma: Double) -> Tensor
}

/// What a network's output means (diffusers' `prediction_type`).
public enum PredictionType: String, Sendable, CaseIterable {
    /// `"epsilon"`: the added noise ε. x̂0 = x − σ·ε (VE form).
    case epsilon
    /// `"v_prediction"`: v = α·ε − σ_vp·x0 (Salimans & Ho 2022). x̂0 = x/(σ²+1) − v·σ/√(σ²+1).
    case vPrediction = "v_prediction"
    /// `"sample"`: x0 itself.
    case sample
    /// `"flow_prediction"`: the rectified-flow velocity v = ε − x0. x̂0 = x − σ·v, input unscaled,
    /// timestep σ·1000 (`FlowMatchEulerDiscreteScheduler`).
    case flow = "flow_prediction"
}

/// The network as the core sees it: batch-first latent in, prediction out, for a timestep and a
/// conditioning (both batch sizes agree; the conditioning may carry more rows than one image).
public typealias Network = (_ x: Tensor, _ timestep: Double, _ conditioning: Conditioning) throws -> Tensor

/// A network wrapped with its prediction type: the k-diffusion denoiser wrappers
/// (`CompVisDenoiser` for ε, `CompVisVDenoiser` for v; Karras et al. 2022, Table 1 "VP" column)
/// and ComfyUI's `model_sampling` (EPS, V_PREDICTION, X0, CONST for flow).
///
/// Input scaling c_in = 1/√(σ²+1) (diffusers' `scale_model_input`) for ε/v/x0; 1 for flow.
/// The timestep is the schedule's own when given, else `timestep(forSigma:)`: diffusers'
/// `_sigma_to_t` log-σ interpolation over the training table, or σ·T for flow.
public struct ModelDenoiser: Denoiser {
    /// The network closure.
    public var network: Network
    /// What the network predicts.
    public var prediction: PredictionType
    /// The training table for σ → t; nil for flow models (t = σ·`flowTrainingSteps`).
    public var training: TrainingNoiseSchedule?
    /// T for flow timesteps (1000).
    public var flowTrainingSteps: Int

    /// A denoiser for an ε/v/x0 network trained on `training`, or a flow network (`training` nil).
    public init(prediction: PredictionType, training: TrainingNoiseSchedule?, flowTrainingSteps: Int = 1000,
                network: @escaping Network) {
        self.network = network
        self.prediction = prediction
        self.training = training
        self.flowTrainingSteps = flowTrainingSteps
    }

    /// The network timestep for σ when the schedule does not fix one.
    public func timestep(forSigma sigma: Double) -> Double {
        guard prediction != .flow, let training else { return sigma * Double(flowTrainingSteps) }
        return training.timestep(forSigma: sigma)
    }

    /// The raw network output (ε, v, x0 or velocity) for the VE-form latent `x` at `level`.
    public func modelOutput(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor {
        let t = level.timestep ?? timestep(forSigma: level.sigma)
        let input = prediction == .flow ? x : scaled(x, by: 1 / (level.sigma * level.sigma + 1).squareRoot())
        let out = try network(input, t, conditioning)
        guard out.shape == x.shape else { throw DiffusionError.networkOutputShape(got: out.shape, expected: x.shape) }
        return out
    }

    /// x̂0 from a network output `output` for latent `x` at σ (the "c_skip·x + c_out·F" of Karras et al.).
    public func denoised(fromOutput output: Tensor, x: Tensor, sigma: Double) -> Tensor {
        switch prediction {
        case .epsilon, .flow:
            return combine(1, x, -sigma, output)                                   // x − σ·ε
        case .vPrediction:
            let s2 = sigma * sigma + 1
            return combine(1 / s2, x, -sigma / s2.squareRoot(), output)            // x/(σ²+1) − v·σ/√(σ²+1)
        case .sample:
            return output
        }
    }

    public func denoised(_ x: Tensor, at level: NoiseLevel, conditioning: Conditioning) throws -> Tensor {
        denoised(fromOutput: try modelOutput(x, at: level, conditioning: conditioning), x: x, sigma: level.sigma)
    }

    public func noised(_ x0: Tensor, noise: Tensor, sigma: Double) -> Tensor {
        prediction == .flow ? combine(1 - sigma, x0, sigma, noise) : combine(1, x0, sigma, noise)
    }
}

extension Denoiser {
    /// VE forward process x0 + σ·ε (diffusers' `add_noise` seen in VE form).
    public func noised(_ x0: Tensor, noise: Tensor, sigma: Double) -> Tensor { combine(1, x0, sigma, noise) }
}
