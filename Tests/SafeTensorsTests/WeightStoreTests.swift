import Dispatch
import Foundation
import SafeTensors
import Tensors
import Testing

/// A tiny checkpoint with a diffusers-like key tree.
private func makeStore(_ folder: TemporaryFolder) throws -> WeightStore {
    let conv = Tensor(shape: [4, 2, 3, 3], scalars: (0..<72).map(Float.init))
    try SafeTensorsWriter.write([
        ("down_blocks.0.resnets.1.conv1.weight", conv),
        ("down_blocks.0.resnets.1.conv1.bias", Tensor(shape: [4], scalars: [1, 2, 3, 4])),
        ("down_blocks.0.resnets.1.norm1.weight", Tensor(shape: [2], scalars: [1, 1])),
        ("down_blocks.0.resnets.0.conv1.weight", conv),
        ("conv_in.weight", conv),
        ("text_model.embeddings.position_ids", Tensor(shape: [1, 3], scalars: [0, 1, 2])),
        ("lora.up.weight", Tensor(1)),
    ], to: folder.url.appendingPathComponent("diffusion_pytorch_model.safetensors"))
    return try WeightStore(contentsOf: folder.url)
}

@Suite struct WeightStoreTests {
    @Test func scopesComposeKeyPathsAndLoad() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try makeStore(folder)
        let conv1 = w["down_blocks"][0]["resnets"][1]["conv1"]
        #expect(conv1.path == "down_blocks.0.resnets.1.conv1")
        #expect(conv1.key("weight") == "down_blocks.0.resnets.1.conv1.weight")
        #expect(w.root.path == "")
        let weight = try conv1.tensor("weight", shape: [4, 2, 3, 3])
        #expect(weight.shape == [4, 2, 3, 3] && weight.scalars[71] == 71)
        #expect(conv1.contains("bias") && !conv1.contains("gamma"))
        #expect(conv1.shape(of: "bias") == [4])
        #expect(try conv1.optionalTensor("bias", shape: [4])?.scalars == [1, 2, 3, 4])
        #expect(try conv1.optionalTensor("gamma", shape: [4]) == nil)
        #expect(w["down_blocks"][0].exists && conv1.exists && !w["up_blocks"].exists && !conv1["weight"]["x"].exists)
        #expect(w.usedKeys == ["down_blocks.0.resnets.1.conv1.weight", "down_blocks.0.resnets.1.conv1.bias"])
    }

    @Test func missingKeyNamesTheFullKeyAndTheClosestKeys() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try makeStore(folder)
        expectSafeTensorsError(["missing weight \"down_blocks.0.resnets.1.conv2.weight\"",
                                "closest keys under \"down_blocks.0.resnets.1\"",
                                "\"down_blocks.0.resnets.1.conv1.weight\""], path: folder.url.path) {
            _ = try w["down_blocks"][0]["resnets"][1]["conv2"].tensor("weight", shape: [4, 2, 3, 3])
        }
        expectSafeTensorsError(["missing weight \"mid_block.attn.weight\"", "closest keys: "]) {
            _ = try w["mid_block"]["attn"].tensor("weight")
        }
        #expect(w.usedKeys.isEmpty, "a failed lookup marks nothing used")
    }

    @Test func wrongShapeNamesKeyAndBothShapes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try makeStore(folder)
        expectSafeTensorsError(["weight \"conv_in.weight\"", "has shape [4, 2, 3, 3]", "expected [320, 4, 3, 3]"], path: folder.url.path) {
            _ = try w["conv_in"].tensor("weight", shape: [320, 4, 3, 3])
        }
        expectSafeTensorsError(["weight \"down_blocks.0.resnets.1.conv1.bias\" has shape [4], expected [5]"]) {
            _ = try w["down_blocks"][0]["resnets"][1]["conv1"].optionalTensor("bias", shape: [5])
        }
    }

    @Test func finishReportsUnusedKeysUnlessAllowed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try makeStore(folder)
        _ = try w["conv_in"].tensor("weight", shape: [4, 2, 3, 3])
        let error = expectSafeTensorsError(["6 unused weights (not on the allow-list)", "\"down_blocks.0.resnets.0.conv1.weight\"",
                                            "… and 1 more"], path: folder.url.path) { try w.finish() }
        #expect(error?.description.contains("\"conv_in.weight\"") == false, "a used key is not listed")
        #expect(w.unusedKeys(allowing: ["down_blocks", "*.position_ids", "lora.*"]).count == 0)
        try w.finish(allowingUnused: ["down_blocks.0", "text_model.embeddings.position_ids", "lora"])
        expectSafeTensorsError(["1 unused weight (not", "\"lora.up.weight\""]) {
            try w.finish(allowingUnused: ["down_blocks.?.resnets.*", "*position_ids", "lor"])
        }
        #expect(WeightStore.matches("a.b.c", pattern: "a.b") && WeightStore.matches("a.b.c", pattern: "a.b.") &&
                !WeightStore.matches("a.bc", pattern: "a.b") && WeightStore.matches("a.b.c", pattern: "a*c") &&
                !WeightStore.matches("a.b.c", pattern: "a?c"))
    }

    /// Scopes used from several threads share one usage record.
    @Test func usageIsSharedAcrossThreads() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let w = try makeStore(folder)
        let keys = w.checkpoint.names
        DispatchQueue.concurrentPerform(iterations: keys.count) { i in
            _ = try? w.root.tensor(keys[i])
        }
        try w.finish()
        #expect(w.usedKeys.count == keys.count)
    }
}
