/// Which weight files of a component folder a network loads, and how it holds their
/// half-precision values: diffusers' `from_pretrained(…, variant="fp16")` (the `variant` picks
/// `diffusion_pytorch_model.fp16.safetensors` or `model.fp16.safetensors`) and
/// `HalfPrecisionStorage` (widened to Float32 on load, or kept half and widened per layer).
public struct WeightLoading: Sendable, Equatable {
    /// The file variant (`"fp16"`), or nil for the plain files.
    public var variant: String?
    /// What becomes of F16/BF16 weights.
    public var halfPrecision: HalfPrecisionStorage

    /// The plain files, half-precision weights held as `.automatic` decides.
    public init(variant: String? = nil, halfPrecision: HalfPrecisionStorage = .automatic) {
        self.variant = variant
        self.halfPrecision = halfPrecision
    }
}
