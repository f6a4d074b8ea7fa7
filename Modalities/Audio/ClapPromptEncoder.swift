import Foundation
import Networks
import PipelineComponents
import SafeTensors
import Tensors
import Tokenizers

/// `RobertaTokenizer` + `ClapTextModelWithProjection`: AudioLDM's text encoder, as diffusers'
/// `AudioLDMPipeline._encode_prompt` runs it for one prompt: `padding="max_length"`,
/// `truncation=True`, the attention mask passed, `F.normalize(text_embeds, dim=-1)`.
///
/// Its `PromptEmbedding.hiddenStates` is the normalised CLAP embedding [1, projection_dim]
/// (AudioLDM hands it to the UNet as `class_labels`), not a sequence [1, L, D].
public struct ClapPromptEncoder: PromptEncoding {
    /// The tokenizer.
    public let tokenizer: RobertaTokenizer
    /// The text model with its projection.
    public let model: ClapTextModelWithProjection

    /// An encoder from a loaded tokenizer and model.
    public init(tokenizer: RobertaTokenizer, model: ClapTextModelWithProjection) {
        self.tokenizer = tokenizer
        self.model = model
    }

    /// Loads a `tokenizer/` folder and a `text_encoder/` folder (strictly: a missing or
    /// misshapen weight is an error naming its key).
    public init(tokenizerFolder: URL, textEncoderFolder: URL, loading: WeightLoading = WeightLoading()) throws {
        self.init(tokenizer: try RobertaTokenizer(folder: tokenizerFolder),
                  model: try ClapTextModelWithProjection(folder: textEncoderFolder, loading: loading))
    }

    /// The embedding width (`projection_dim`).
    public var width: Int { model.config.projectionDim }

    /// `F.normalize(text_encoder(ids, attention_mask).text_embeds, dim=-1)`, [1, projection_dim].
    public func encode(_ prompt: String) throws -> PromptEmbedding {
        let tokens = tokenizer.encode(prompt)
        let embeds = try model.promptEmbeddings(inputIds: [tokens.ids], attentionMask: [tokens.attentionMask])   // [1, P]
        return PromptEmbedding(hiddenStates: embeds, droppedText: tokenizer.droppedText(tokens))
    }
}
