import CSndFile
import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// libsndfile output: round trips per format, metadata per container, clipping, errors.
    @Suite struct AudioFileTests {
        /// A stereo test signal: a 440 Hz sine on the left, a ramp over [-0.9, 0.9] on the right,
        /// plus exact full-scale edges.
        static func signal(rate: Int = 22050, frames: Int = 2205) throws -> PCMAudio {
            var samples = [Float](repeating: 0, count: frames * 2)
            for i in 0..<frames {
                samples[2 * i] = 0.7 * sin(2 * .pi * 440 * Float(i) / Float(rate))
                samples[2 * i + 1] = -0.9 + 1.8 * Float(i) / Float(frames - 1)
            }
            samples[0] = 1
            samples[1] = -1
            return try PCMAudio(sampleRate: rate, channels: 2, samples: samples)
        }

        static func metadata(prompt: String = "rain on a tin roof — 雨") -> GenerationMetadata {
            GenerationMetadata(prompt: prompt, negativePrompt: "low quality", model: "audioldm-s", sampler: "DDIM",
                               steps: 10, guidance: 2.5, seed: 7, duration: 0.1, engineVersion: "0.1.0",
                               requestJSON: #"{"prompt":"\#(prompt)","seconds":0.1}"#,
                               created: Date(timeIntervalSince1970: 1_700_000_000))
        }

        /// Writes `audio` in `format`, reads it back and checks samples (within `tolerance` each)
        /// and the four metadata strings.
        func roundTrip(_ format: AudioFileFormat, name: String, tolerance: Float) throws {
            let folder = try TestFolder()
            let url = folder.file(name)
            let audio = try Self.signal()
            let metadata = Self.metadata()
            let report = try AudioWriter.write(audio, to: url, format: format, metadata: metadata)
            #expect(report == AudioWriteReport(format: format, sampleRate: 22050, frames: 2205, clippedSamples: 0))
            #expect(try folder.names() == [name])

            let read = try AudioReader.read(contentsOf: url)
            #expect(read.audio.sampleRate == 22050 && read.audio.channels == 2)
            #expect(read.audio.frameCount == audio.frameCount)
            var worst: Float = 0, worstAt = 0
            for i in 0..<min(read.audio.samples.count, audio.samples.count) {
                let d = abs(read.audio.samples[i] - audio.samples[i])
                if d > worst { worst = d; worstAt = i }
            }
            #expect(worst <= tolerance, "\(format): max-abs \(worst) at sample \(worstAt), tolerance \(tolerance)")
            #expect(read.tags[.title] == metadata.prompt, "\(format) title")
            #expect(read.tags[.comment] == metadata.json, "\(format) comment")
            // libsndfile appends its own version to the software string: "Diffuse 0.1.0 (libsndfile-1.2.0)".
            #expect(read.tags[.software]?.hasPrefix("Diffuse 0.1.0") == true, "\(format) software")
            #expect(read.tags[.date] == "2023-11-14T22:13:20Z", "\(format) date")
        }

        @Test func wav16RoundTripWithinOneLSB() throws { try roundTrip(.wavPCM16, name: "a.wav", tolerance: 1.0 / 32768) }
        @Test func wav24RoundTripWithinOneLSB() throws { try roundTrip(.wavPCM24, name: "a.wav", tolerance: 1.0 / 8_388_608) }
        @Test func wavFloatRoundTripIsExact() throws { try roundTrip(.wavFloat32, name: "a.wav", tolerance: 0) }
        @Test func flac16RoundTripWithinOneLSB() throws { try roundTrip(.flac16, name: "a.flac", tolerance: 1.0 / 32768) }
        @Test func flac24RoundTripWithinOneLSB() throws { try roundTrip(.flac24, name: "a.flac", tolerance: 1.0 / 8_388_608) }

        /// Vorbis is lossy: a 1 s, 440 Hz sine at quality 0.5 must come back with SNR ≥ 30 dB (41 dB
        /// measured with libvorbis 1.3.7),
        /// sample-aligned (libsndfile/libvorbisfile trim the codec delay), with its comments.
        @Test func oggVorbisRoundTripBySNR() throws {
            let folder = try TestFolder()
            let url = folder.file("clip.ogg")
            let rate = 44100
            let audio = try PCMAudio(sampleRate: rate, mono: (0..<rate).map { 0.5 * sin(2 * .pi * 440 * Float($0) / Float(rate)) })
            let metadata = Self.metadata(prompt: "ひぐらしの声")
            let report = try AudioWriter.write(audio, to: url, metadata: metadata)
            #expect(report.format == .oggVorbis(quality: 0.5))
            let read = try AudioReader.read(contentsOf: url)
            #expect(read.audio.frameCount == rate && read.audio.sampleRate == rate)
            var signal: Double = 0, noise: Double = 0
            for i in 0..<min(rate, read.audio.frameCount) {
                signal += Double(audio.samples[i] * audio.samples[i])
                let d = Double(read.audio.samples[i] - audio.samples[i])
                noise += d * d
            }
            let snr = 10 * log10(signal / max(noise, 1e-30))
            #expect(snr >= 30, "Vorbis SNR \(snr) dB")
            #expect(read.tags[.title] == metadata.prompt)
            #expect(read.tags[.comment] == metadata.json)
            #expect(read.tags[.software]?.hasPrefix("Diffuse 0.1.0") == true)
            #expect(read.tags[.date] == "2023-11-14T22:13:20Z")
            #expect(read.sndfileFormat == Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS))
        }

        /// Samples beyond ±1 are clipped and counted; 16-bit full scale reads back as 32767/32768.
        @Test func clippingIsCountedAndSaturates() throws {
            let folder = try TestFolder()
            let url = folder.file("loud.wav")
            let audio = try PCMAudio(sampleRate: 8000, mono: [1.5, -2, 0.5, 1, -1, .infinity.nextDown, 0])
            let report = try AudioWriter.write(audio, to: url)
            #expect(report.clippedSamples == 3)
            let read = try AudioReader.read(contentsOf: url)
            let top: Float = 32767.0 / 32768
            let expected: [Float] = [top, -1, 0.5, top, -1, top, 0]
            #expect(read.audio.samples == expected)
        }

        @Test func resamplesWhenAskedForAnotherRate() throws {
            let folder = try TestFolder()
            let url = folder.file("up.flac")
            let audio = try PCMAudio(sampleRate: 16000, mono: (0..<1600).map { 0.5 * sin(Float($0) * 0.3) })
            let report = try AudioWriter.write(audio, to: url, sampleRate: 48000)
            #expect(report.sampleRate == 48000 && report.frames == 4800)
            let read = try AudioReader.read(contentsOf: url)
            #expect(read.audio.sampleRate == 48000 && read.audio.frameCount == 4800)
        }

        /// A NaN sample is an error naming it, and nothing is written.
        @Test func nanIsAnErrorAndNothingIsWritten() throws {
            let folder = try TestFolder()
            let audio = try PCMAudio(sampleRate: 8000, channels: 2, samples: [0, 0, 0.1, .nan])
            #expect {
                try AudioWriter.write(audio, to: folder.file("x.wav"))
            } throws: { error in
                "\(error)".contains("frame 1, channel 1 is nan") && "\(error)".contains("x.wav")
            }
            #expect(try folder.names().isEmpty)
        }

        @Test func unknownExtensionIsAnError() throws {
            let folder = try TestFolder()
            #expect {
                try AudioWriter.write(try PCMAudio(sampleRate: 8000, mono: [0]), to: folder.file("x.mp3"))
            } throws: { error in
                (error as? MediaIOError)?.kind == .unsupportedFormat && "\(error)".contains(".mp3")
            }
            #expect(throws: MediaIOError.self) { _ = try AudioFileFormat(name: "aiff") }
            #expect(try AudioFileFormat(name: "wav24") == .wavPCM24)
        }

        /// A long prompt (and so a long JSON comment) survives in every container.
        @Test func longMetadataReadsBackInEveryContainer() throws {
            let folder = try TestFolder()
            let prompt = String(repeating: "a very detailed prompt, ", count: 400)  // 9600 characters
            let metadata = Self.metadata(prompt: prompt)
            let audio = try PCMAudio(sampleRate: 16000, mono: [Float](repeating: 0.1, count: 1600))
            for (name, format) in [("l.wav", AudioFileFormat.wavPCM16), ("l.flac", .flac24), ("l.ogg", .oggVorbis(quality: 0.2))] {
                try AudioWriter.write(audio, to: folder.file(name), format: format, metadata: metadata)
                let read = try AudioReader.read(contentsOf: folder.file(name))
                let title = read.tags[.title], comment = read.tags[.comment]
                let titleKept = title == prompt, commentKept = comment == metadata.json
                #expect(titleKept, "\(format): title of \(title?.count ?? -1) characters, expected \(prompt.count)")
                #expect(commentKept, "\(format): comment of \(comment?.count ?? -1) characters, expected \(metadata.json.count)")
            }
        }

        @Test func missingFileIsAnErrorNamingIt() {
            #expect {
                _ = try AudioReader.read(contentsOf: URL(fileURLWithPath: "/nonexistent/clip.wav"))
            } throws: { error in
                "\(error)".contains("/nonexistent/clip.wav") && (error as? MediaIOError)?.kind == .notFound
            }
        }
    }
}
