import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// The A1111 "parameters" line and the JSON document.
    @Suite struct GenerationMetadataTests {
        @Test func parametersFollowTheA1111Convention() {
            let metadata = GenerationMetadata(prompt: "a cat", negativePrompt: "blurry", model: "sd15",
                                              sampler: "Euler a", steps: 20, guidance: 7, seed: 42,
                                              width: 512, height: 512, engineVersion: "0.1.0")
            #expect(metadata.a1111Parameters == """
                a cat
                Negative prompt: blurry
                Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, Model: sd15, Version: Diffuse 0.1.0
                """)
        }

        @Test func emptyNegativeIsLeftOutAndValuesWithCommasAreQuoted() {
            let metadata = GenerationMetadata(prompt: "rain, thunder", model: "audio:ldm, small", sampler: "DPM++ 2M",
                                              steps: 50, guidance: 2.5, seed: UInt64.max, duration: 5.12,
                                              engineVersion: "0.1.0",
                                              additionalParameters: [.init("Schedule type", "Karras")])
            #expect(metadata.a1111Parameters == """
                rain, thunder
                Steps: 50, Sampler: DPM++ 2M, CFG scale: 2.5, Seed: 18446744073709551615, Duration: 5.12s, \
                Model: "audio:ldm, small", Schedule type: Karras, Version: Diffuse 0.1.0
                """)
        }

        @Test func jsonEmbedsTheRequestOrQuotesInvalidJSON() throws {
            var metadata = GenerationMetadata(prompt: "p", model: "m", sampler: "s", steps: 1, guidance: 1, seed: 0,
                                              engineVersion: "1.2", requestJSON: #"{"a":[1,2.5,"\"x\""]}"#)
            #expect(metadata.json == #"{"engine":"Diffuse 1.2","request":{"a":[1,2.5,"\"x\""]}}"#)
            metadata.requestJSON = "not json\n"
            #expect(metadata.json == #"{"engine":"Diffuse 1.2","request":"not json\n"}"#)
            _ = try JSONSerialization.jsonObject(with: Data(metadata.json.utf8))
        }
    }
}
