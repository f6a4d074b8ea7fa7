import Foundation
import Networks
import PipelineComponents
import SafeTensors
import Tensors

extension UNet3DConditionModel: NoisePredicting {
    /// `unet(sample, t, encoder_hidden_states).sample` on video latents [B, C, F, h, w], as
    /// `TextToVideoSDPipeline` calls it; with the config's `input_coordinates` appended to `sample`
    /// first (`InputCoordinates`).
    public func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor {
        try self(try InputCoordinates.appending(config.inputCoordinates, to: sample), timestep: timestep,
                 encoderHiddenStates: encoderHiddenStates)
    }
}

extension UNetMotionModel: NoisePredicting {
    /// `unet(sample, t, encoder_hidden_states).sample` on video latents [B, C, F, h, w], as
    /// `AnimateDiffPipeline` calls it (the context [B, L, D] is repeated for every frame inside).
    public func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor {
        try self(sample, timestep: timestep, encoderHiddenStates: encoderHiddenStates)
    }
}

extension TextToVideoSDPipeline {
    /// Loads a diffusers text-to-video folder with Diffuse's `UNet3DConditionModel` or, for an AnimateDiff
    /// folder, `UNetMotionModel` (strict loading: a missing, misshapen or unused weight is an error naming
    /// its key); `loading` picks the weight files' variant and how half-precision weights are held, for
    /// every component.
    public init(folder url: URL, loading: WeightLoading = WeightLoading()) throws {
        try self.init(folder: url, loading: loading) { component in
            if case .unetMotion = component.config {
                return try UNetMotionModel(folder: component.url, loading: loading)
            }
            return try UNet3DConditionModel(folder: component.url, loading: loading)
        }
    }
}
