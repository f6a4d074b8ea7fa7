import ArgumentParser
import Tensors

/// The `diffuse` command: text to image, audio and video with diffusion models, on a CPU.
/// One subcommand per file (`InspectCommand.swift`, …).
@main
struct Diffuse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffuse",
        abstract: "Text to image, audio and video with diffusion models, on a CPU.",
        version: diffuseVersion,
        subcommands: [ImageCommand.self, AudioCommand.self, VideoCommand.self, CompareCommand.self, ModelsCommand.self, Inspect.self]
    )

    /// ArgumentParser's parse, run and exit, after `Allocator.reuseLargeBlocks()`.
    static func main() {
        Allocator.reuseLargeBlocks()
        main(nil)
    }
}
