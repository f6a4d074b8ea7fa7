import Foundation
import Networks
import PipelineComponents
import Tensors

extension UNet2DConditionModel: NoisePredicting {
    /// `unet(sample, t, encoder_hidden_states).sample`, as the Stable Diffusion pipelines call it.
    public func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor {
        try self(sample, timestep: timestep, encoderHiddenStates: encoderHiddenStates)
    }
}

extension StableDiffusionPipeline {
    /// Loads a diffusers Stable Diffusion folder with Diffuse's `UNet2DConditionModel` (strict
    /// loading: a missing, misshapen or unused weight is an error naming its key).
    public init(folder url: URL) throws {
        try self.init(folder: url) { component in try UNet2DConditionModel(folder: component.url) }
    }
}
