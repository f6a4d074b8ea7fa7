import Foundation
import Networks
import SafeTensors

extension ModelFolder {
    /// The pipeline's text side from its `text_encoder/` and `tokenizer/` components, chosen by
    /// the text encoder's class in `model_index.json`: `CLIPTextModel` (Stable Diffusion) or
    /// `BertModel` (Diffuse's default models, padded to `model_index.json`'s `text_max_length`,
    /// else the tokenizer's `model_max_length`). `loading`: the text encoder's weight files and
    /// half-precision storage.
    public func promptEncoder(loading: WeightLoading = WeightLoading()) throws -> any PromptEncoding {
        let text = try requiredComponent("text_encoder", expected: "CLIPTextModel or BertModel")
        let tokenizer = try requiredComponent("tokenizer", expected: "CLIPTokenizer or BertTokenizer")
        switch text.className {
        case "BertModel":
            return try BertPromptEncoder(tokenizerFolder: tokenizer.url, textEncoderFolder: text.url,
                                         maxLength: try PipelineIndexOptions.load(folder: url).textMaxLength, loading: loading)
        case "CLIPTextModel", "CLIPTextModelWithProjection":
            return try CLIPPromptEncoder(tokenizerFolder: tokenizer.url, textEncoderFolder: text.url, loading: loading)
        default:
            throw PipelineError.missingComponent(folder: url.path, name: "text_encoder", expected: "CLIPTextModel or BertModel")
        }
    }
}
