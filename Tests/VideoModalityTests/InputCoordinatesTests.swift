import Foundation
import Networks
import SafeTensors
import Tensors
import Testing
import TestSupport
import VideoModality

// Fixture: tools/fixtures/fx_input_coordinates.py (a tiny diffusers UNet3DConditionModel with in_channels
// 4 + 3 called on latents with Models/recipes/train_video.py's coordinate_maps appended).

@Suite struct InputCoordinatesTests {
    let file = try! Fixtures.load("unet3d_coordinates")

    @Test func mapsMatchTheRecipe() throws {
        let expected = try file.tensor("outputs.coordinates")                            // [2, 3, 3, 8, 6]
        let maps = InputCoordinates.maps(["x", "y", "frame"], batch: 2, frames: 3, height: 8, width: 6)
        // within a rounding: PyTorch's vectorised linspace kernel rounds a few interior values the other way
        expectClose(maps, expected, abs: 6e-8, "coordinate maps")
        // x runs along the columns, y down the rows, frame over time; the ends are exactly ±1
        let at = { (b: Int, k: Int, f: Int, y: Int, x: Int) in maps.scalars[(((b * 3 + k) * 3 + f) * 8 + y) * 6 + x] }
        #expect(at(0, 0, 0, 0, 0) == -1 && at(0, 0, 1, 4, 5) == 1 && at(1, 1, 2, 7, 0) == 1 && at(0, 1, 0, 0, 3) == -1)
        #expect(at(0, 2, 0, 3, 3) == -1 && at(1, 2, 1, 5, 2) == 0 && at(0, 2, 2, 3, 3) == 1)
        #expect(InputCoordinates.maps(["frame"], batch: 1, frames: 1, height: 2, width: 2).scalars == [-1, -1, -1, -1])
    }

    /// `predict` appends the maps to the 4-channel latents before the 7-channel UNet, as the recipe does.
    @Test func predictionMatchesTheRecipe() throws {
        let config = try UNet3DConditionModelConfig.load(contentsOf: Fixtures.folder.appendingPathComponent("unet3d_coordinates.json"))
        #expect(config.inputCoordinates == ["x", "y", "frame"] && config.inChannels == 7 && config.latentChannels == 4)
        let store = try WeightStore(contentsOf: Fixtures.folder.appendingPathComponent("unet3d_coordinates.safetensors"))
        let unet = try UNet3DConditionModel(config: config, weights: store["weights"])
        try store.finish(allowingUnused: ["inputs", "outputs"])
        let latents = try file.tensor("inputs.latents")
        let prediction = try unet.predict(latents, timestep: Double(try file.tensor("inputs.timesteps").scalars[0]),
                                          encoderHiddenStates: try file.tensor("inputs.encoder_hidden_states"))
        expectClose(prediction, try file.tensor("outputs.sample"), abs: 1e-4, rel: 1e-4, "prediction with coordinates")
        // without the maps the UNet refuses the latents instead of guessing
        #expect(throws: (any Error).self) {
            try unet(latents, timestep: 742, encoderHiddenStates: try file.tensor("inputs.encoder_hidden_states"))
        }
    }

    @Test func badListsAreRejectedNamingTheKey() throws {
        let cases = [
            (#"{"in_channels": 7, "input_coordinates": ["x", "z"]}"#, "input_coordinates[1]"),
            (#"{"in_channels": 7, "input_coordinates": ["x", "x"]}"#, "input_coordinates"),
            (#"{"in_channels": 3, "input_coordinates": ["x", "y", "frame"]}"#, "input_coordinates"),
            (#"{"in_channels": 7, "input_coordinates": "x"}"#, "input_coordinates"),
        ]
        for (json, field) in cases {
            let error = try #require(throws: ConfigError.self) {
                try UNet3DConditionModelConfig.decode(Data(json.utf8), path: "unet/config.json")
            }
            #expect(error.description.hasPrefix("unet/config.json: \(field)"), "\(error)")
        }
        #expect(try UNet3DConditionModelConfig.decode(Data("{}".utf8), path: "c.json").inputCoordinates.isEmpty)
        // AnimateDiff folders do not take them
        let motion = try #require(throws: ConfigError.self) {
            try UNetMotionModelConfig.decode(Data(#"{"input_coordinates": ["x"]}"#.utf8), path: "unet/config.json")
        }
        #expect(motion.field == "input_coordinates", "\(motion)")
    }
}
