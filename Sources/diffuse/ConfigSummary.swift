import Networks

/// The key fields of a component config, in a fixed order, named by their config keys
/// (resolved values where the file leaves them implicit, e.g. `attention_heads`).
struct ConfigSummary: Encodable {
    /// A field value as shown: text, JSON number, list or flag.
    enum Value: Encodable, CustomStringConvertible {
        case int(Int), double(Double), string(String), bool(Bool), ints([Int]), strings([String])

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .int(v): try c.encode(v)
            case let .double(v): try c.encode(v)
            case let .string(v): try c.encode(v)
            case let .bool(v): try c.encode(v)
            case let .ints(v): try c.encode(v)
            case let .strings(v): try c.encode(v)
            }
        }

        var description: String {
            switch self {
            case let .int(v): "\(v)"
            case let .double(v): "\(v)"
            case let .string(v): v
            case let .bool(v): "\(v)"
            case let .ints(v): "[\(v.map(String.init).joined(separator: ", "))]"
            case let .strings(v): v.joined(separator: ", ")
            }
        }
    }

    /// (key, value) in display order.
    var fields: [(key: String, value: Value)] = []

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (key, value) in fields { try c.encode(value, forKey: Key(stringValue: key)) }
    }

    private mutating func add(_ key: String, _ value: Value?) {
        if let value { fields.append((key, value)) }
    }

    private static func sizes(_ value: IntOrList?) -> Value? {
        switch value {
        case let .int(v)?: .int(v)
        case let .list(v)?: .ints(v)
        case nil: nil
        }
    }

    /// The summary of `config`; nil for classes whose config Diffuse does not read.
    init?(_ config: ComponentConfig) {
        switch config {
        case let .unet2DCondition(c):
            add("sample_size", Self.sizes(c.sampleSize))
            add("in_channels", .int(c.inChannels))
            add("out_channels", .int(c.outChannels))
            add("block_out_channels", .ints(c.blockOutChannels))
            add("layers_per_block", Self.sizes(c.layersPerBlock))
            add("attention_heads", .ints(c.headsPerBlock))
            add("cross_attention_dim", Self.sizes(c.crossAttentionDim))
            add("transformer_layers_per_block", Self.sizes(c.transformerLayersPerBlock))
            add("down_block_types", .strings(c.downBlockTypes))
            add("up_block_types", .strings(c.upBlockTypes))
            add("use_linear_projection", .bool(c.useLinearProjection))
            add("upcast_attention", .bool(c.upcastAttention))
            add("class_embed_type", c.classEmbedType.map(Value.string))
            add("addition_embed_type", c.additionEmbedType.map(Value.string))
            add("time_cond_proj_dim", c.timeCondProjDim.map(Value.int))
        case let .unet3DCondition(c):
            add("sample_size", Self.sizes(c.sampleSize))
            add("in_channels", .int(c.inChannels))
            add("out_channels", .int(c.outChannels))
            add("block_out_channels", .ints(c.blockOutChannels))
            add("layers_per_block", .int(c.layersPerBlock))
            add("attention_heads", .int(c.attentionHeadDim))
            add("cross_attention_dim", .int(c.crossAttentionDim))
            add("down_block_types", .strings(c.downBlockTypes))
            add("up_block_types", .strings(c.upBlockTypes))
        case let .unetMotion(c):
            add("sample_size", Self.sizes(c.sampleSize))
            add("in_channels", .int(c.inChannels))
            add("out_channels", .int(c.outChannels))
            add("block_out_channels", .ints(c.blockOutChannels))
            add("layers_per_block", .int(c.layersPerBlock))
            add("attention_heads", .ints(c.headsPerBlock))
            add("motion_attention_heads", .ints(c.motionHeadsPerBlock))
            add("motion_max_seq_length", .int(c.motionMaxSeqLength))
            add("cross_attention_dim", .int(c.crossAttentionDim))
            add("down_block_types", .strings(c.downBlockTypes))
            add("up_block_types", .strings(c.upBlockTypes))
        case let .autoencoderKL(c):
            add("sample_size", Self.sizes(c.sampleSize))
            add("in_channels", .int(c.inChannels))
            add("latent_channels", .int(c.latentChannels))
            add("scaling_factor", .double(c.scalingFactor))
            add("shift_factor", c.shiftFactor.map(Value.double))
            add("downsampling_factor", .int(c.downsamplingFactor))
            add("block_out_channels", .ints(c.blockOutChannels))
            add("layers_per_block", .int(c.layersPerBlock))
        case let .clipText(c):
            add("hidden_size", .int(c.hiddenSize))
            add("num_hidden_layers", .int(c.numHiddenLayers))
            add("num_attention_heads", .int(c.numAttentionHeads))
            add("intermediate_size", .int(c.intermediateSize))
            add("vocab_size", .int(c.vocabSize))
            add("max_position_embeddings", .int(c.maxPositionEmbeddings))
            add("hidden_act", .string(c.hiddenAct))
            add("projection_dim", c.hasProjection ? .int(c.projectionDim) : nil)
        case let .bert(c):
            add("hidden_size", .int(c.hiddenSize))
            add("num_hidden_layers", .int(c.numHiddenLayers))
            add("num_attention_heads", .int(c.numAttentionHeads))
            add("intermediate_size", .int(c.intermediateSize))
            add("vocab_size", .int(c.vocabSize))
            add("max_position_embeddings", .int(c.maxPositionEmbeddings))
            add("hidden_act", .string(c.hiddenAct))
        case let .scheduler(c):
            add("num_train_timesteps", .int(c.numTrainTimesteps))
            add("beta_schedule", .string(c.betaSchedule))
            add("beta_start", c.trainedBetas == nil ? .double(c.betaStart) : nil)
            add("beta_end", c.trainedBetas == nil ? .double(c.betaEnd) : nil)
            add("trained_betas", c.trainedBetas.map { .string("\($0.count) values") })
            add("prediction_type", .string(c.predictionType))
            add("timestep_spacing", .string(c.timestepSpacing))
            add("steps_offset", .int(c.stepsOffset))
            add("rescale_betas_zero_snr", c.rescaleBetasZeroSnr ? .bool(true) : nil)
        case .unrecognized, .absent:
            return nil
        }
    }
}
