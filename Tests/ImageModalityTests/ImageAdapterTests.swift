import DiffusionCore
import Foundation
import ImageModality
import PipelineComponents
import MediaIO
import Networks
import Testing
import Tensors

/// `Tests/Fixtures/tiny-sd` and its components.
enum TinySD {
    static let folder = Fixtures.folder.appendingPathComponent("tiny-sd")
    static func vae() throws -> AutoencoderKL { try AutoencoderKL(folder: folder.appendingPathComponent("vae")) }
    static func textEncoder() throws -> CLIPPromptEncoder {
        try CLIPPromptEncoder(tokenizerFolder: folder.appendingPathComponent("tokenizer"),
                              textEncoderFolder: folder.appendingPathComponent("text_encoder"))
    }
    static func scheduler() throws -> SchedulerMapping {
        try SchedulerMapping(SchedulerConfig.load(contentsOf: folder.appendingPathComponent("scheduler/scheduler_config.json")))
    }
}

/// A scheduler config from JSON text.
func schedulerConfig(_ json: String) throws -> SchedulerConfig {
    try JSONDecoder().decode(SchedulerConfig.self, from: Data(json.utf8))
}

@Suite struct ImageAdapterTests {
    let adapter = ImageAdapter(vae: try! TinySD.vae(), defaultWidth: 16, defaultHeight: 16)

    @Test func latentShapeFollowsTheVAEFactor() throws {
        #expect(adapter.sizeMultiple == 8)
        #expect(try adapter.latentShape(for: ImageRequest(prompt: "")) == [1, 4, 8, 8])
        #expect(try adapter.latentShape(for: ImageRequest(prompt: "", width: 24, height: 16, count: 3)) == [3, 4, 8, 12])
    }

    @Test(arguments: [(20, 16, "width 20"), (16, 12, "height 12"), (0, 16, "width 0"), (16, -8, "height -8")])
    func badSizesAreNamed(_ size: (Int, Int, String)) throws {
        let request = ImageRequest(prompt: "", width: size.0, height: size.1)
        #expect {
            try adapter.latentShape(for: request)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(size.2 + " is invalid") && text.contains("multiple of 8") && !text.contains("\n")
        }
    }

    @Test func sizesBeyondMemoryAreRefused() throws {
        let small = ImageAdapter(vae: try TinySD.vae(), defaultWidth: 16, defaultHeight: 16, memoryLimit: 1 << 20)
        #expect(try small.size(for: ImageRequest(prompt: "", width: 64, height: 64)) == (64, 64))
        #expect { try small.size(for: ImageRequest(prompt: "", width: 1024, height: 1024)) } throws: { error in
            "\(error)".hasPrefix("size 1024x1024 is invalid: decoding it needs about 0.2 GiB, more than the 0.0 GiB")
        }
    }

    @Test func initImageSizeMustMatch() throws {
        let image = try RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 9, count: 16 * 16 * 3))
        #expect(try adapter.size(for: ImageRequest(prompt: "", initImage: image)) == (16, 16))
        #expect(throws: ImageError.self) { try adapter.size(for: ImageRequest(prompt: "", width: 32, initImage: image)) }
    }

    @Test func requestValidation() throws {
        for (request, name) in [(ImageRequest(prompt: "", steps: 0), "steps 0"),
                                (ImageRequest(prompt: "", count: 0), "count 0"),
                                (ImageRequest(prompt: "", guidanceScale: .nan), "guidance scale nan"),
                                (ImageRequest(prompt: "", strength: 1.5), "strength 1.5"),
                                (ImageRequest(prompt: "", strength: -0.1), "strength -0.1")] {
            #expect(throws: ImageError.self, "\(name)") { try request.validate() }
            do { try request.validate() } catch { #expect("\(error)".hasPrefix(name), "\(error)") }
        }
        try ImageRequest(prompt: "", strength: 0).validate()
        try ImageRequest(prompt: "", strength: 1).validate()
    }

    @Test func requestJSONHoldsEveryField() throws {
        let request = ImageRequest(prompt: "a \"cat\"", negativePrompt: "dog", steps: 3, guidanceScale: 7.5,
                                   seed: TorchSeed(18_446_744_073_709_551_615), count: 2)
        let text = request.json(width: 16, height: 24, sampler: .eulerAncestral, karras: false, extra: ["model": "tiny-sd"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["prompt"] as? String == "a \"cat\"")
        #expect(object["negative_prompt"] as? String == "dog")
        #expect(object["sampler"] as? String == "euler_ancestral")
        #expect(object["height"] as? Int == 24)
        #expect(object["model"] as? String == "tiny-sd")
        #expect(text.contains("\"seed\":18446744073709551615"), "\(text)")
    }

    @Test func decodeRejectsNaN() throws {
        let latents = Tensor(shape: [1, 4, 8, 8], scalars: [Float](repeating: .nan, count: 256))
        #expect { try adapter.decodeToUnitRange(latents) } throws: { error in
            "\(error)".contains("NaN") && "\(error)".hasPrefix("image 1")
        }
    }
}

@Suite struct SchedulerMappingTests {
    @Test func tinySDIsDDIMLeading() throws {
        let mapping = try TinySD.scheduler()
        #expect(mapping.defaultSampler == .ddim)
        #expect(mapping.prediction == .epsilon)
        let schedule = try mapping.schedule(for: .ddim, karras: false).schedule(steps: 4)
        #expect(schedule.timesteps == [751, 501, 251, 1])       // leading, steps_offset 1
        #expect(schedule.sigmas.last == mapping.training.sigmas[0])  // set_alpha_to_one = false
    }

    @Test func classNamesPickTheSampler() throws {
        let cases: [(String, SamplerName)] = [
            ("EulerAncestralDiscreteScheduler", .eulerAncestral), ("EulerDiscreteScheduler", .euler),
            ("DPMSolverMultistepScheduler", .dpmpp2m), ("PNDMScheduler", .pndm), ("LMSDiscreteScheduler", .lms),
            ("UniPCMultistepScheduler", .uniPC), ("KDPM2DiscreteScheduler", .euler),
        ]
        for (name, sampler) in cases {
            let mapping = try SchedulerMapping(schedulerConfig(#"{"_class_name": "\#(name)", "beta_schedule": "scaled_linear"}"#))
            #expect(mapping.defaultSampler == sampler, "\(name)")
        }
    }

    @Test func karrasDefaultsAndErrors() throws {
        let mapping = try SchedulerMapping(schedulerConfig(#"{"_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": true}"#))
        #expect(mapping.defaultKarras(for: .dpmpp2m))
        #expect(!mapping.defaultKarras(for: .ddim))
        #expect { try mapping.schedule(for: .ddim, karras: true) } throws: { "\($0)".contains("Karras") }
        #expect { try mapping.schedule(for: .flowMatchEuler, karras: false) } throws: { "\($0)".contains("flow") }
    }

    @Test func vPredictionIsRead() throws {
        let mapping = try SchedulerMapping(schedulerConfig(#"{"_class_name": "DDIMScheduler", "prediction_type": "v_prediction"}"#))
        #expect(mapping.prediction == .vPrediction)
    }
}
