import Foundation

/// The config of transformers' `SpeechT5HifiGanConfig`
/// (`transformers/models/speecht5/configuration_speecht5.py`) for `SpeechT5HifiGan`, the HiFi-GAN
/// vocoder of diffusers' AudioLDM pipelines, decoded from `vocoder/config.json`.
///
/// Absent keys take the `__init__` defaults of transformers 5.23 (those of
/// microsoft/speecht5_hifigan).
public struct SpeechT5HifiGanConfig: DiffusersConfig, Equatable {
    /// `architectures`, e.g. ["SpeechT5HifiGan"].
    public var architectures: [String]?
    /// `model_type` ("speecht5_hifigan").
    public var modelType: String?
    /// `transformers_version`: the transformers release that wrote the file.
    public var transformersVersion: String?
    /// `model_in_dim`: mel bins of the input spectrogram (default 80; AudioLDM 64).
    public var modelInDim: Int
    /// `sampling_rate` of the waveform in Hz (default 16000).
    public var samplingRate: Int
    /// `upsample_initial_channel`: channels after `conv_pre`, halved by each upsampler (default 512).
    public var upsampleInitialChannel: Int
    /// `upsample_rates`: the stride of each `ConvTranspose1d` upsampler (default [4, 4, 4, 4]).
    public var upsampleRates: [Int]
    /// `upsample_kernel_sizes`: the kernel of each upsampler (default [8, 8, 8, 8]).
    public var upsampleKernelSizes: [Int]
    /// `resblock_kernel_sizes`: one residual block per kernel size after each upsampler (default [3, 7, 11]).
    public var resblockKernelSizes: [Int]
    /// `resblock_dilation_sizes`: the dilations of each residual block's convolutions
    /// (default [[1, 3, 5], [1, 3, 5], [1, 3, 5]]).
    public var resblockDilationSizes: [[Int]]
    /// `leaky_relu_slope` (default 0.1).
    public var leakyReluSlope: Double
    /// `normalize_before`: standardise the spectrogram with the `mean` and `scale` buffers (default true).
    public var normalizeBefore: Bool

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case transformersVersion = "transformers_version"
        case modelInDim = "model_in_dim"
        case samplingRate = "sampling_rate"
        case upsampleInitialChannel = "upsample_initial_channel"
        case upsampleRates = "upsample_rates"
        case upsampleKernelSizes = "upsample_kernel_sizes"
        case resblockKernelSizes = "resblock_kernel_sizes"
        case resblockDilationSizes = "resblock_dilation_sizes"
        case leakyReluSlope = "leaky_relu_slope"
        case normalizeBefore = "normalize_before"
    }

    /// Decodes the config file; absent keys take the reference defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.optional(.architectures)
        modelType = try c.optional(.modelType)
        transformersVersion = try c.optional(.transformersVersion)
        modelInDim = try c.value(.modelInDim, default: 80)
        samplingRate = try c.value(.samplingRate, default: 16000)
        upsampleInitialChannel = try c.value(.upsampleInitialChannel, default: 512)
        upsampleRates = try c.value(.upsampleRates, default: [4, 4, 4, 4])
        upsampleKernelSizes = try c.value(.upsampleKernelSizes, default: [8, 8, 8, 8])
        resblockKernelSizes = try c.value(.resblockKernelSizes, default: [3, 7, 11])
        resblockDilationSizes = try c.value(.resblockDilationSizes, default: [[1, 3, 5], [1, 3, 5], [1, 3, 5]])
        leakyReluSlope = try c.value(.leakyReluSlope, default: 0.1)
        normalizeBefore = try c.value(.normalizeBefore, default: true)
    }

    /// The channels after upsampler `i` (0-based): `upsample_initial_channel // 2**(i + 1)`.
    public func channels(afterUpsampler i: Int) -> Int { upsampleInitialChannel >> (i + 1) }

    /// Waveform samples per spectrogram frame: the product of `upsample_rates` (256 for the
    /// default config). Call after `validate()`, which checks that it fits.
    public var hopLength: Int { upsampleRates.reduce(1, *) }

    /// Checks positive sizes, matching list lengths, that the channels stay positive after
    /// every halving, kernels no smaller than their stride, and residual convolutions that keep
    /// the length (`dilation·(kernel − 1)` even, as `get_padding` assumes).
    public func validate() throws {
        try Check.positive(modelInDim, CodingKeys.modelInDim.stringValue)
        try Check.positive(samplingRate, CodingKeys.samplingRate.stringValue)
        try Check.positive(upsampleInitialChannel, CodingKeys.upsampleInitialChannel.stringValue)
        try Check.positive(upsampleRates, CodingKeys.upsampleRates.stringValue)
        try Check.positive(upsampleKernelSizes, CodingKeys.upsampleKernelSizes.stringValue)
        try Check.count(upsampleKernelSizes.count, CodingKeys.upsampleKernelSizes.stringValue,
                        matches: upsampleRates.count, of: CodingKeys.upsampleRates.stringValue)
        guard upsampleRates.count < Int.bitWidth - 1, channels(afterUpsampler: upsampleRates.count - 1) >= 1 else {
            throw ConfigError(field: CodingKeys.upsampleInitialChannel.stringValue,
                              "\(upsampleInitialChannel) channels cannot be halved \(upsampleRates.count) times (one per upsample_rates entry)")
        }
        var hop = 1
        for (i, (rate, kernel)) in zip(upsampleRates, upsampleKernelSizes).enumerated() {
            guard kernel >= rate else {
                throw ConfigError(field: "upsample_kernel_sizes[\(i)]", "\(kernel) is smaller than upsample_rates[\(i)] \(rate) (padding (kernel - rate) / 2 would be negative)")
            }
            let (product, overflow) = hop.multipliedReportingOverflow(by: rate)
            guard !overflow else { throw ConfigError(field: CodingKeys.upsampleRates.stringValue, "the product of the rates overflows") }
            hop = product
        }
        try Check.positive(resblockKernelSizes, CodingKeys.resblockKernelSizes.stringValue)
        try Check.count(resblockDilationSizes.count, CodingKeys.resblockDilationSizes.stringValue,
                        matches: resblockKernelSizes.count, of: CodingKeys.resblockKernelSizes.stringValue)
        for (j, (kernel, dilations)) in zip(resblockKernelSizes, resblockDilationSizes).enumerated() {
            let field = "resblock_dilation_sizes[\(j)]"
            try Check.positive(dilations, field)
            for (k, dilation) in dilations.enumerated() {
                let (span, overflow) = (kernel - 1).multipliedReportingOverflow(by: dilation)
                guard !overflow, span % 2 == 0 else {
                    throw ConfigError(field: "\(field)[\(k)]", "dilation \(dilation) with kernel \(kernel) does not keep the length (dilation·(kernel − 1) must be even)")
                }
            }
        }
        guard leakyReluSlope.isFinite else {
            throw ConfigError(field: CodingKeys.leakyReluSlope.stringValue, "\(leakyReluSlope) must be a finite number")
        }
    }

    /// The exact parameter count of transformers' `SpeechT5HifiGan` (weights, biases and the
    /// `mean` / `scale` buffers).
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let first = upsampleInitialChannel
        t.add(modelInDim, first, 7); t.add(first)                        // conv_pre
        var channels = first
        for (i, kernel) in upsampleKernelSizes.enumerated() {
            let next = self.channels(afterUpsampler: i)
            t.add(channels, next, kernel); t.add(next)                    // upsampler.i
            for (size, dilations) in zip(resblockKernelSizes, resblockDilationSizes) {
                t.repeated(2 * dilations.count) { conv in                 // convs1 and convs2
                    conv.add(next, next, size); conv.add(next)
                }
            }
            channels = next
        }
        t.add(channels, 7); t.add(1)                                      // conv_post
        t.add(2, modelInDim)                                              // mean, scale
        return try t.total()
    }
}
