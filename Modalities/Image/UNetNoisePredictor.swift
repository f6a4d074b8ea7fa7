import Foundation
import Networks
import PipelineComponents
import SafeTensors
import Tensors

extension UNet2DConditionModel: NoisePredicting {
    /// `unet(sample, t, encoder_hidden_states).sample`, as the Stable Diffusion pipelines call it.
    public func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor {
        try self(sample, timestep: timestep, encoderHiddenStates: encoderHiddenStates)
    }
}

extension StableDiffusionPipeline {
    /// Loads a diffusers Stable Diffusion folder with Diffuse's `UNet2DConditionModel` (strict
    /// loading: a missing, misshapen or unused weight is an error naming its key); `loading`
    /// picks the weight files' variant and how half-precision weights are held, for every component.
    public init(folder url: URL, loading: WeightLoading = WeightLoading()) throws {
        try self.init(folder: url, loading: loading) { component in
            try UNet2DConditionModel(folder: component.url, loading: loading)
        }
    }
}
