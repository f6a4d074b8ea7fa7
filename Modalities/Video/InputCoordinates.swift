import Networks
import Tensors

/// The coordinate channels a UNet3DConditionModel folder may ask for (`input_coordinates` in its
/// config.json): fixed ramps appended to the noisy latents before every UNet call, as CoordConv
/// (Liu et al., 2018, "An intriguing failing of convolutional neural networks and the CoordConv
/// solution") appends them to a convolution's input. A convolution sees where it is only through its
/// zero padding, and UNet3DConditionModel gives its temporal layers no frame positions; with the
/// ramps, "a ball moving from left to right" can be put at the left edge in the first frame.
/// Models/recipes/train_video.py `--coordinates` trains such UNets (its `coordinate_maps` is the
/// reference; diffusers' pipelines do not append them, so in Python the recipe wraps the UNet's
/// forward); tried for the default video model, not shipped (see its card).
public enum InputCoordinates {
    /// The maps `[B, names.count, F, h, w]` for latents `[B, C, F, h, w]`: "x" is the column, "y" the
    /// row and "frame" the frame, each `torch.linspace(-1, 1, n)` along its axis (-1 at the left,
    /// the top and the first frame; a single column, row or frame is -1) and constant along the others.
    public static func maps(_ names: [String], batch: Int, frames: Int, height: Int, width: Int) -> Tensor {
        let plane = height * width, perMap = frames * plane
        var one = [Float](repeating: 0, count: names.count * perMap)                      // [K, F, h, w]
        for (k, name) in names.enumerated() {
            let ramp = linspace(name == "x" ? width : name == "y" ? height : frames)
            for i in 0..<perMap {
                let (f, y, x) = (i / plane, i % plane / width, i % width)
                one[k * perMap + i] = ramp[name == "x" ? x : name == "y" ? y : f]
            }
        }
        return Tensor(shape: [batch, names.count, frames, height, width],
                      scalars: Array((0..<batch).map { _ in one }.joined()))             // the same for every video
    }

    /// `latents` `[B, C, F, h, w]` with the maps of `names` appended along the channels.
    public static func appending(_ names: [String], to latents: Tensor) throws -> Tensor {
        guard !names.isEmpty else { return latents }
        guard latents.rank == 5 else {
            throw VideoError.invalidValue("latents", "\(latents.shape)", "a video latent is [B, C, F, h, w]")
        }
        let s = latents.shape
        return concat([latents, maps(names, batch: s[0], frames: s[2], height: s[3], width: s[4])], axis: 1)
    }

    /// `torch.linspace(-1, 1, n)` in Float32 as PyTorch's scalar CPU kernel computes it: the first half
    /// counted up from -1, the rest down from 1, in steps of `2 / (n - 1)` (its vectorised kernel
    /// can differ in the last bit).
    static func linspace(_ n: Int) -> [Float] {
        guard n > 1 else { return n == 1 ? [-1] : [] }
        let step = Float(2) / Float(n - 1), half = n / 2
        return (0..<n).map { i in i < half ? -1 + step * Float(i) : 1 - step * Float(n - 1 - i) }
    }
}
