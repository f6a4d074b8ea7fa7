// swift-tools-version:6.0
// Diffuse: text → image, audio and video with diffusion models, on a CPU.
// Layout and dependency direction: see README.md ("Architecture").
import PackageDescription

// The numeric kernels' own loops (exp, SiLU, normalisation, half-float conversion) vectorise
// 8 wide with FMA and F16C on Haswell (x86-64-v3, 2013, and later), as PyTorch's AVX2 kernels
// do; the baseline x86-64 target would run them 4 wide. See docs/benchmarks.md.
#if arch(x86_64)
let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
// TensorsAVX512 alone is compiled for AVX-512 (F, DQ, BW, VL); Tensors calls it only on a
// processor that has it (CPUFeatures.swift), so the build still runs on any AVX2 machine.
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
let vectorSettings: [SwiftSetting] = []
let avx512Settings: [SwiftSetting] = []
#endif

let package = Package(
    name: "Diffuse",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "diffuse", targets: ["diffuse"]),
        .executable(name: "diffuse-bench", targets: ["diffuse-bench"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Networks", targets: ["Networks"]),
        .library(name: "DiffusionCore", targets: ["DiffusionCore"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "MediaIO", targets: ["MediaIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries from Debian (see .ci/run for the apt packages).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavcodec-dev", "libavformat-dev", "libavutil-dev",
                                         "libswscale-dev", "libswresample-dev"])]),

        .systemLibrary(name: "CMalloc"),
        .target(name: "Tensors", dependencies: ["CBLAS", "CMalloc", "TensorsAVX512"], swiftSettings: vectorSettings),
        .target(name: "TensorsAVX512", swiftSettings: avx512Settings),
        .target(name: "SafeTensors", dependencies: ["Tensors"], swiftSettings: vectorSettings),
        .target(name: "NN", dependencies: ["SafeTensors", "Tensors"]),
        .target(name: "Networks", dependencies: ["NN", "SafeTensors", "Tensors", "Tokenizers"]),
        .executableTarget(name: "diffuse", dependencies: [
            "ImageModality", "AudioModality", "VideoModality", "PipelineComponents", "DiffusionCore", "MediaIO", "Networks", "SafeTensors", "Tensors",
            "Comparison", "Evaluators",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "diffuse-bench", dependencies: ["Networks", "SafeTensors", "Tensors"]),

        .target(name: "DiffusionCore", dependencies: ["Tensors"]),
        .target(name: "Tokenizers"),
        .target(name: "MediaIO", dependencies: ["CSndFile", "CFFmpeg"]),

        // Modality adapters: latent geometry, decode/encode, pipeline assembly.
        // Shared by the modality adapters: scheduler configs, prompt encoders, the VAE codec.
        .target(name: "PipelineComponents", dependencies: ["DiffusionCore", "Networks", "SafeTensors", "Tokenizers", "Tensors"],
                path: "Modalities/Shared"),
        .target(name: "ImageModality", dependencies: ["PipelineComponents", "DiffusionCore", "Networks", "NN", "MediaIO", "Tokenizers", "Tensors", "SafeTensors"],
                path: "Modalities/Image"),
        .target(name: "AudioModality", dependencies: ["PipelineComponents", "DiffusionCore", "Networks", "NN", "MediaIO", "Tokenizers", "Tensors", "SafeTensors", "CFFmpeg"],
                path: "Modalities/Audio"),
        .target(name: "VideoModality", dependencies: ["PipelineComponents", "DiffusionCore", "Networks", "MediaIO", "SafeTensors", "Tokenizers", "Tensors"],
                path: "Modalities/Video"),

        // Prompt-adherence judges of the default models' media (colour, shape, sound family,
        // direction of motion), and the cross-modality comparison built on them.
        .target(name: "Evaluators", dependencies: ["AudioModality", "PipelineComponents", "MediaIO", "Tensors"]),
        .target(name: "Comparison", dependencies: ["Evaluators", "ImageModality", "AudioModality", "VideoModality", "PipelineComponents", "DiffusionCore", "MediaIO", "Tensors", "SafeTensors"]),

        // Shared by the test targets: fixture loading and tolerance checks.
        .target(name: "TestSupport", dependencies: ["SafeTensors", "Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "SafeTensors", "TestSupport"]),
        .testTarget(name: "DiffusionCoreTests", dependencies: ["DiffusionCore", "Tensors", "SafeTensors", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "Tensors", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "SafeTensors", "Tensors", "TestSupport"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "NN", "SafeTensors", "Tensors", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "CFFmpeg", "CSndFile", "TestSupport"]),
        .testTarget(name: "ImageModalityTests", dependencies: ["ImageModality", "PipelineComponents", "DiffusionCore", "Networks", "MediaIO", "Tensors", "TestSupport"]),
        .testTarget(name: "AudioModalityTests", dependencies: ["AudioModality", "PipelineComponents", "DiffusionCore", "Networks", "MediaIO", "Tensors", "TestSupport"]),
        .testTarget(name: "VideoModalityTests", dependencies: ["VideoModality", "PipelineComponents", "DiffusionCore", "Networks", "MediaIO", "Tensors", "TestSupport"]),
        .testTarget(name: "SystemLibrariesTests", dependencies: ["CBLAS", "CSndFile", "CFFmpeg"]),
        .testTarget(name: "CLITests", dependencies: ["diffuse"]),
        .testTarget(name: "EvaluatorsTests", dependencies: ["Evaluators", "ImageModality", "AudioModality", "VideoModality", "DiffusionCore", "MediaIO", "Tensors", "TestSupport"]),
        .testTarget(name: "ComparisonTests", dependencies: ["Comparison", "Evaluators", "MediaIO", "Tensors", "TestSupport"]),
    ]
)
