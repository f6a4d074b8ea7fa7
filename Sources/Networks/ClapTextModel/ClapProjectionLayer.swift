import NN
import SafeTensors
import Tensors

// Reference: transformers/models/clap/modeling_clap.py (5.23): ClapProjectionLayer. The encoder
// layers (ClapTextLayer, RoBERTa's post-norm block) are `BertLayer`.

/// transformers `ClapProjectionLayer` (modeling_clap.py): `linear2(act(linear1(x)))`,
/// hidden_size → projection_dim → projection_dim.
struct ClapProjectionLayer: Sendable {
    let linear1, linear2: Linear
    let activation: CLIPActivation

    init(_ scope: WeightScope, config: ClapTextConfig) throws {
        linear1 = try Linear(scope["linear1"], in: config.hiddenSize, out: config.projectionDim)
        linear2 = try Linear(scope["linear2"], in: config.projectionDim, out: config.projectionDim)
        activation = try CLIPActivation(config.projectionHiddenAct)    // validated by ClapTextConfig
    }

    /// [B, D] → [B, projection_dim].
    func callAsFunction(_ x: Tensor) -> Tensor { linear2(activation(linear1(x))) }
}
