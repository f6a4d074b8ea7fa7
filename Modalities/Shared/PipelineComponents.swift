import Foundation
import Networks
import SafeTensors
import Tensors
import Tokenizers

/// A prompt's text embeddings and what the tokenizer's truncation dropped.
public struct PromptEmbedding: Sendable {
    /// The text encoder's output for one prompt, [1, L, D] (diffusers' `prompt_embeds`).
    public var hiddenStates: Tensor
    /// The text truncation removed (empty when the prompt fit), for a warning.
    public var droppedText: String

    /// An embedding and its dropped text.
    public init(hiddenStates: Tensor, droppedText: String = "") {
        self.hiddenStates = hiddenStates
        self.droppedText = droppedText
    }
}

/// The text side of a pipeline: one prompt → its embeddings
/// (diffusers' `StableDiffusionPipeline.encode_prompt` for one prompt, one image).
public protocol PromptEncoding: Sendable {
    /// The embeddings of `prompt` ([1, L, D]), padded and truncated as the tokenizer does.
    func encode(_ prompt: String) throws -> PromptEmbedding
}

/// The denoising network of a pipeline: diffusers' `UNet2DConditionModel.forward(sample,
/// timestep, encoder_hidden_states).sample`.
public protocol NoisePredicting: Sendable {
    /// The network's prediction (ε, v or x0, as the scheduler's `prediction_type` says) for a
    /// latent batch `sample` [B, C, h, w] at `timestep`, conditioned on `encoderHiddenStates`
    /// [B, L, D]. Returns [B, C, h, w].
    func predict(_ sample: Tensor, timestep: Double, encoderHiddenStates: Tensor) throws -> Tensor
}

/// The VAE of a pipeline, as the Stable Diffusion pipelines use it: pixels in [-1, 1] ↔
/// latents already multiplied by `scaling_factor`.
public protocol LatentImageCodec: Sendable {
    /// Latent channels (4 for Stable Diffusion).
    var latentChannels: Int { get }
    /// Pixels per latent along each axis (diffusers' `vae_scale_factor`,
    /// 2^(len(block_out_channels) − 1); 8 for Stable Diffusion).
    var downsamplingFactor: Int { get }
    /// Scaled latents [B, C, h, w] → images [B, 3, h·f, w·f] in about [-1, 1]
    /// (`vae.decode(latents / scaling_factor).sample`).
    func decodeImages(_ latents: Tensor) throws -> Tensor
    /// Images [B, 3, H, W] in [-1, 1] → scaled latents: a sample of the posterior with its noise
    /// from `draw(shape)` (`retrieve_latents(vae.encode(image), generator)` · `scaling_factor`).
    func encodeImages(_ images: Tensor, draw: ([Int]) throws -> Tensor) throws -> Tensor
    /// A rough upper bound of the memory one `width`×`height` image needs in the codec (bytes),
    /// to refuse sizes the machine cannot hold before anything runs.
    func estimatedBytes(width: Int, height: Int) -> Double
}

/// `CLIPTokenizer` + `CLIPTextModel`: the text encoder of Stable Diffusion 1.x/2.x, as
/// `encode_prompt` runs it (padding to `model_max_length`, truncation, no attention mask).
public struct CLIPPromptEncoder: PromptEncoding {
    /// The tokenizer.
    public let tokenizer: CLIPTokenizer
    /// The text model.
    public let model: CLIPTextModel
    /// diffusers' `clip_skip` (nil: the last layer's output through `final_layer_norm`).
    public let clipSkip: Int?

    /// An encoder from a loaded tokenizer and model.
    public init(tokenizer: CLIPTokenizer, model: CLIPTextModel, clipSkip: Int? = nil) {
        self.tokenizer = tokenizer
        self.model = model
        self.clipSkip = clipSkip
    }

    /// Loads a `tokenizer/` folder and a `text_encoder/` folder (strictly: a missing or
    /// misshapen weight is an error naming its key).
    public init(tokenizerFolder: URL, textEncoderFolder: URL, clipSkip: Int? = nil,
                loading: WeightLoading = WeightLoading()) throws {
        self.init(tokenizer: try CLIPTokenizer(folder: tokenizerFolder),
                  model: try CLIPTextModel(folder: textEncoderFolder, loading: loading),
                  clipSkip: clipSkip)
    }

    /// `tokenizer(prompt, padding="max_length", truncation=True)` → `text_encoder(ids)[0]`, [1, 77, D].
    public func encode(_ prompt: String) throws -> PromptEmbedding {
        let tokens = tokenizer.encode(prompt)
        let hidden = try model.promptEmbeddings(inputIds: [tokens.ids], clipSkip: clipSkip)   // [1, L, D]
        return PromptEmbedding(hiddenStates: hidden, droppedText: tokenizer.droppedText(tokens))
    }
}

extension AutoencoderKL: LatentImageCodec {
    /// `config.latent_channels`.
    public var latentChannels: Int { config.latentChannels }

    /// `2^(len(block_out_channels) − 1)`.
    public var downsamplingFactor: Int { config.downsamplingFactor }

    /// `decodeLatents`, one image at a time (diffusers' `enable_slicing`: the same numbers,
    /// with the decoder's activations bounded by one image).
    public func decodeImages(_ latents: Tensor) throws -> Tensor {
        try decodeLatents(latents, batchSize: 1)                                 // [B, 3, H, W]
    }

    /// `encodeLatents` with the posterior sampled through `draw`.
    public func encodeImages(_ images: Tensor, draw: ([Int]) throws -> Tensor) throws -> Tensor {
        let posterior = try encode(images)
        return scaleLatents(try posterior.sample(using: draw))                  // [B, C, h, w]
    }

    /// Four float32 activations of the widest full-resolution decoder stage
    /// (`block_out_channels[0]` or `[1]`, which the last upsampler runs at H×W).
    public func estimatedBytes(width: Int, height: Int) -> Double {
        let widths = config.blockOutChannels.prefix(2)
        return 4 * 4 * Double(widths.max() ?? 1) * Double(width) * Double(height)
    }
}

/// `x` [1, …] repeated `count` times along the batch axis (diffusers'
/// `prompt_embeds.repeat(1, n, 1).view(n, L, D)`).
public func repeatedAlongBatch(_ x: Tensor, _ count: Int) -> Tensor {
    count == 1 ? x : concat(Array(repeating: x, count: count), axis: 0)
}
