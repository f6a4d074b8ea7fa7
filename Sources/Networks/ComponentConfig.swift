import Foundation

/// The decoded, validated config of one pipeline component, chosen by its class name.
public enum ComponentConfig: Sendable, Equatable {
    /// diffusers `UNet2DConditionModel`.
    case unet2DCondition(UNet2DConditionModelConfig)
    /// diffusers `UNet3DConditionModel`.
    case unet3DCondition(UNet3DConditionModelConfig)
    /// diffusers `UNetMotionModel` (AnimateDiff).
    case unetMotion(UNetMotionModelConfig)
    /// diffusers `AutoencoderKL`.
    case autoencoderKL(AutoencoderKLConfig)
    /// transformers `CLIPTextModel` / `CLIPTextModelWithProjection`.
    case clipText(CLIPTextConfig)
    /// transformers `BertModel` (the default models' text encoder, all-MiniLM-L6-v2).
    case bert(BertConfig)
    /// A diffusers scheduler (`*Scheduler`).
    case scheduler(SchedulerConfig)
    /// A class whose config Diffuse does not read (a tokenizer, a safety checker, …).
    case unrecognized
    /// A component saved as None (`[null, null]` in `model_index.json`).
    case absent

    /// The config type that reads `className`'s config, if Diffuse knows it.
    static func type(forClass className: String) -> (any DiffusersConfig.Type)? {
        switch className {
        case "UNet2DConditionModel": UNet2DConditionModelConfig.self
        case "UNet3DConditionModel": UNet3DConditionModelConfig.self
        case "UNetMotionModel": UNetMotionModelConfig.self
        case "AutoencoderKL": AutoencoderKLConfig.self
        case "CLIPTextModel", "CLIPTextModelWithProjection": CLIPTextConfig.self
        case "BertModel": BertConfig.self
        default: className.hasSuffix("Scheduler") ? SchedulerConfig.self : nil
        }
    }

    /// Wraps a decoded config of one of the known types.
    init(_ config: any DiffusersConfig, className: String) {
        switch config {
        case let c as UNet2DConditionModelConfig: self = .unet2DCondition(c)
        case let c as UNet3DConditionModelConfig: self = .unet3DCondition(c)
        case let c as UNetMotionModelConfig: self = .unetMotion(c)
        case let c as AutoencoderKLConfig: self = .autoencoderKL(c)
        case var c as CLIPTextConfig:
            if className == "CLIPTextModelWithProjection", !c.hasProjection { c.architectures = [className] }
            self = .clipText(c)
        case let c as BertConfig: self = .bert(c)
        case let c as SchedulerConfig: self = .scheduler(c)
        default: self = .unrecognized
        }
    }

    /// The parameter count the config implies (0 for a scheduler), nil when not known.
    public var estimatedParameterCount: Int? {
        switch self {
        case let .unet2DCondition(c): try? c.estimatedParameterCount()
        case let .unet3DCondition(c): try? c.estimatedParameterCount()
        case let .unetMotion(c): try? c.estimatedParameterCount()
        case let .autoencoderKL(c): try? c.estimatedParameterCount()
        case let .clipText(c): try? c.estimatedParameterCount()
        case let .bert(c): try? c.estimatedParameterCount()
        case .scheduler: 0
        case .unrecognized, .absent: nil
        }
    }
}
