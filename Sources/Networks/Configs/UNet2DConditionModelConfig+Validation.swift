import Foundation

extension UNet2DConditionModelConfig {
    /// Checks the config the way `UNet2DConditionModel.__init__` and `_check_config` do, and
    /// more: positive sizes, one entry per block in every per-block list, GroupNorm groups and
    /// attention heads that divide the channels, and block and option names this engine builds.
    public func validate() throws {
        try Check.positive(inChannels, CodingKeys.inChannels.stringValue)
        try Check.positive(outChannels, CodingKeys.outChannels.stringValue)
        try Check.positive(blockOutChannels, CodingKeys.blockOutChannels.stringValue)
        try Check.positive(normNumGroups, CodingKeys.normNumGroups.stringValue)
        try Check.positive(normEps, CodingKeys.normEps.stringValue)
        try Check.nonNegative(downsamplePadding, CodingKeys.downsamplePadding.stringValue)
        for (key, kernel) in [(CodingKeys.convInKernel, convInKernel), (.convOutKernel, convOutKernel)] {
            try Check.positive(kernel, key.stringValue)
            guard kernel % 2 == 1 else { throw ConfigError(field: key.stringValue, "\(kernel) must be odd") }
        }
        if let sampleSize { try Check.positive(sampleSize, CodingKeys.sampleSize.stringValue) }
        for (key, value) in [(CodingKeys.timeEmbeddingDim, timeEmbeddingDim), (.timeCondProjDim, timeCondProjDim),
                             (.projectionClassEmbeddingsInputDim, projectionClassEmbeddingsInputDim),
                             (.encoderHidDim, encoderHidDim), (.additionTimeEmbedDim, additionTimeEmbedDim),
                             (.numClassEmbeds, numClassEmbeds)] {
            if let value { try Check.positive(value, key.stringValue) }
        }

        let blocks = blockOutChannels.count
        let channelsKey = CodingKeys.blockOutChannels.stringValue
        try Check.count(downBlockTypes.count, CodingKeys.downBlockTypes.stringValue, matches: blocks, of: channelsKey)
        try Check.count(upBlockTypes.count, CodingKeys.upBlockTypes.stringValue, matches: blocks, of: channelsKey)
        let perBlock: [(CodingKeys, IntOrList?)] = [(.layersPerBlock, layersPerBlock), (.crossAttentionDim, crossAttentionDim),
            (.transformerLayersPerBlock, transformerLayersPerBlock), (.attentionHeadDim, attentionHeadDim),
            (.numAttentionHeads, numAttentionHeads)]
        for (key, value) in perBlock {
            guard let value else { continue }
            try Check.perBlock(value, key.stringValue, blocks: blocks, of: channelsKey)
            try Check.positive(value, key.stringValue)
        }
        if case let .list(flags) = onlyCrossAttention {
            try Check.count(flags.count, CodingKeys.onlyCrossAttention.stringValue, matches: blocks, of: channelsKey)
        }
        if let reverse = reverseTransformerLayersPerBlock {
            let key = CodingKeys.reverseTransformerLayersPerBlock.stringValue
            try Check.count(reverse.count, key, matches: blocks, of: channelsKey)
            let layers = layersPerDownBlock
            for (i, depths) in reverse.enumerated() {
                try Check.positive(depths, "\(key)[\(i)]")
                let upLayers = layers[blocks - 1 - i]
                guard upLayers < Int.max, depths.count == upLayers + 1 else {
                    throw ConfigError(field: "\(key)[\(i)]", "has \(depths.count) entries but up block \(i) has \(upLayers) + 1 layers")
                }
            }
        }
        guard numAttentionHeads != nil || attentionHeadDim != nil else {
            throw ConfigError(field: CodingKeys.attentionHeadDim.stringValue, "is null and num_attention_heads is not given")
        }

        for (i, name) in downBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.downBlockTypes.stringValue)[\(i)]", Self.downBlockNames)
        }
        for (i, name) in upBlockTypes.enumerated() {
            try Check.oneOf(name, "\(CodingKeys.upBlockTypes.stringValue)[\(i)]", Self.upBlockNames)
        }
        try Check.oneOf(midBlockType, CodingKeys.midBlockType.stringValue, Self.midBlockNames)
        try Check.oneOf(actFn, CodingKeys.actFn.stringValue, diffusersActivations)
        try Check.oneOf(timeEmbeddingActFn, CodingKeys.timeEmbeddingActFn.stringValue, diffusersActivations)
        try Check.oneOf(timestepPostAct, CodingKeys.timestepPostAct.stringValue, diffusersActivations)
        try Check.oneOf(resnetTimeScaleShift, CodingKeys.resnetTimeScaleShift.stringValue, ["default", "scale_shift"])
        try Check.oneOf(timeEmbeddingType, CodingKeys.timeEmbeddingType.stringValue, ["positional", "fourier"])
        try Check.oneOf(classEmbedType, CodingKeys.classEmbedType.stringValue, ["timestep", "identity", "projection", "simple_projection"])
        try Check.oneOf(additionEmbedType, CodingKeys.additionEmbedType.stringValue, ["text_time"])
        try Check.oneOf(encoderHidDimType, CodingKeys.encoderHidDimType.stringValue, ["text_proj"])
        try Check.oneOf(attentionType, CodingKeys.attentionType.stringValue, ["default"])
        guard !dualCrossAttention else {
            throw ConfigError(field: CodingKeys.dualCrossAttention.stringValue, "true is not supported")
        }

        if classEmbedType == "projection" || classEmbedType == "simple_projection" || additionEmbedType == "text_time",
           projectionClassEmbeddingsInputDim == nil {
            throw ConfigError(field: CodingKeys.projectionClassEmbeddingsInputDim.stringValue,
                              "is required with class_embed_type \(classEmbedType ?? "null") and addition_embed_type \(additionEmbedType ?? "null")")
        }
        if additionEmbedType == "text_time", additionTimeEmbedDim == nil {
            throw ConfigError(field: CodingKeys.additionTimeEmbedDim.stringValue, "is required with addition_embed_type \"text_time\"")
        }
        if encoderHidDimType != nil, encoderHidDim == nil {
            throw ConfigError(field: CodingKeys.encoderHidDim.stringValue, "is required with encoder_hid_dim_type")
        }
        guard timeEmbeddingWidth > 0 else {
            throw ConfigError(field: "\(channelsKey)[0]", "\(blockOutChannels[0]) is too large for the time embedding width")
        }
        if timeEmbeddingType == "fourier", timeEmbeddingWidth % 2 != 0 {
            throw ConfigError(field: CodingKeys.timeEmbeddingDim.stringValue, "\(timeEmbeddingWidth) must be even for fourier time embeddings")
        }

        let heads = headsPerBlock
        let headsKey = (numAttentionHeads != nil ? CodingKeys.numAttentionHeads : .attentionHeadDim).stringValue
        for (i, channels) in blockOutChannels.enumerated() {
            try Check.divisible(channels, "\(channelsKey)[\(i)]", byGroups: normNumGroups, CodingKeys.normNumGroups.stringValue)
            let attends = downBlockTypes[i].hasPrefix("CrossAttn") || upBlockTypes[blocks - 1 - i].hasPrefix("CrossAttn")
                || (i == blocks - 1 && midBlockType != nil)
            if attends { try Check.divisible(channels, "\(channelsKey)[\(i)]", byHeads: heads[i], headsKey) }
        }
    }

    /// The exact parameter count of diffusers' `UNet2DConditionModel` built from this config.
    public func estimatedParameterCount() throws -> Int {
        try validate()
        var t = ParameterTally()
        let n = blockCount, channels = blockOutChannels, first = channels[0]
        let timeWidth = timeEmbeddingWidth
        let scaleShift = resnetTimeScaleShift == "scale_shift"

        t.conv(inChannels, first, kernel: convInKernel)
        let timestepInput: Int
        if timeEmbeddingType == "fourier" {
            t.add(timeWidth / 2)                     // GaussianFourierProjection.weight
            timestepInput = timeWidth
        } else {
            timestepInput = first
        }
        t.timestepEmbedding(timestepInput, timeWidth, conditionProjection: timeCondProjDim)
        if let encoderHidDim { t.linear(encoderHidDim, crossAttentionDims[0]) }   // encoder_hid_proj
        switch classEmbedType {
        case "timestep": t.timestepEmbedding(timestepInput, timeWidth)
        case "projection": t.timestepEmbedding(projectionClassEmbeddingsInputDim ?? 0, timeWidth)
        case "simple_projection": t.linear(projectionClassEmbeddingsInputDim ?? 0, timeWidth)
        case nil: if let numClassEmbeds { t.add(numClassEmbeds, timeWidth) }
        default: break
        }
        if additionEmbedType == "text_time" { t.timestepEmbedding(projectionClassEmbeddingsInputDim ?? 0, timeWidth) }
        let resnetTime = classEmbeddingsConcat ? t.product(2, timeWidth) : timeWidth

        let layers = layersPerDownBlock, cross = crossAttentionDims
        let transformerLayers = transformerLayersPerDownBlock, onlyCross = onlyCrossAttentionPerBlock
        var output = first
        for i in 0..<n {
            let input = output, width = channels[i]
            output = width
            t.resnet(input, width, timeEmbedding: resnetTime, scaleShift: scaleShift)
            t.repeated(layers[i] - 1) { $0.resnet(width, width, timeEmbedding: resnetTime, scaleShift: scaleShift) }
            if downBlockTypes[i].hasPrefix("CrossAttn") {
                t.repeated(layers[i]) {
                    $0.transformer2D(width, layers: transformerLayers[i], crossAttention: cross[i], onlyCrossAttention: onlyCross[i])
                }
            }
            if i < n - 1 { t.conv(width, width, kernel: 3) }   // Downsample2D
        }

        if midBlockType != nil {
            let last = channels[n - 1]
            t.resnet(last, last, timeEmbedding: resnetTime, scaleShift: scaleShift)
            t.transformer2D(last, layers: transformerLayers[n - 1], crossAttention: cross[n - 1])
            t.resnet(last, last, timeEmbedding: resnetTime, scaleShift: scaleShift)
        }

        output = channels[n - 1]
        for i in 0..<n {
            let level = n - 1 - i                          // the matching down level
            let previous = output, width = channels[level]
            output = width
            let input = channels[max(level - 1, 0)]
            // layers_per_block + 1 ResNets; each takes the previous output plus one skip:
            // the first from the level below, the last the level's input width.
            let count = t.sum(layers[level], 1)
            t.resnet(t.sum(previous, count == 1 ? input : width), width, timeEmbedding: resnetTime, scaleShift: scaleShift)
            t.repeated(count - 2) { $0.resnet($0.sum(width, width), width, timeEmbedding: resnetTime, scaleShift: scaleShift) }
            if count > 1 { t.resnet(t.sum(width, input), width, timeEmbedding: resnetTime, scaleShift: scaleShift) }
            if upBlockTypes[i].hasPrefix("CrossAttn") {
                if let reverse = reverseTransformerLayersPerBlock {
                    for depth in reverse[i] {
                        t.transformer2D(width, layers: depth, crossAttention: cross[level], onlyCrossAttention: onlyCross[level])
                    }
                } else {
                    t.repeated(count) {
                        $0.transformer2D(width, layers: transformerLayers[level], crossAttention: cross[level],
                                         onlyCrossAttention: onlyCross[level])
                    }
                }
            }
            if i < n - 1 { t.conv(width, width, kernel: 3) }   // Upsample2D
        }

        t.norm(first)
        t.conv(first, outChannels, kernel: convOutKernel)
        return try t.total()
    }
}
