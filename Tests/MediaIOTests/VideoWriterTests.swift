import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// FFmpeg video output, checked by decoding the written files with libavformat:
    /// codec, frame count, frame rate, per-frame timestamps, duration, size, PSNR against
    /// the frames that were encoded, metadata, and the soundtrack's codec and length.
    @Suite struct VideoWriterTests {
        /// `count` frames of a smooth moving gradient (a sine in red that drifts right, a
        /// vertical ramp in green, a diagonal cosine in blue that drifts down-left).
        static func clip(width: Int = 64, height: Int = 48, count: Int = 8, fps: Double = 8) throws -> VideoClip {
            let frames = try (0..<count).map { t in
                var pixels = [UInt8](repeating: 0, count: width * height * 3)
                for y in 0..<height {
                    for x in 0..<width {
                        let phase = Double(x) / Double(width) + Double(t) / Double(count)
                        let i = (y * width + x) * 3
                        pixels[i] = UInt8((128 + 100 * sin(2 * .pi * phase)).rounded())
                        pixels[i + 1] = UInt8((Double(y) * 255 / Double(height - 1)).rounded())
                        pixels[i + 2] = UInt8((128 + 90 * cos(2 * .pi * (Double(x + y) / Double(width + height) - Double(t) / 16))).rounded())
                    }
                }
                return try RGBImage(width: width, height: height, pixels: pixels)
            }
            return try VideoClip(frames: frames, fps: fps)
        }

        static func metadata(prompt: String = "a paper boat on a river — 紙の船") -> GenerationMetadata {
            GenerationMetadata(prompt: prompt, model: "tiny-t2v", sampler: "DDIM", steps: 4, guidance: 9, seed: 3,
                               width: 64, height: 48, duration: 1, frames: 8, frameRate: 8, engineVersion: "0.1.0",
                               requestJSON: #"{"prompt":"\#(prompt)","frames":8}"#)
        }

        /// A 440 Hz sine at half scale.
        static func sine(seconds: Double, rate: Int = 44100, channels: Int = 1) throws -> PCMAudio {
            let frames = Int((seconds * Double(rate)).rounded())
            var samples = [Float](repeating: 0, count: frames * channels)
            for i in 0..<frames {
                for c in 0..<channels { samples[i * channels + c] = 0.5 * sin(2 * .pi * 440 * Float(i) / Float(rate)) }
            }
            return try PCMAudio(sampleRate: rate, channels: channels, samples: samples)
        }

        /// PSNR in dB over all RGB bytes of `expected` against the top-left crop of `actual`
        /// (decoded frames of a padded odd size are one column / row larger).
        static func psnr(_ actual: [RGBImage], _ expected: [RGBImage]) -> Double {
            var squared = 0.0
            var count = 0
            for (a, e) in zip(actual, expected) {
                for y in 0..<e.height {
                    for x in 0..<(e.width * 3) {
                        let d = Double(a.pixels[y * a.width * 3 + x]) - Double(e.pixels[y * e.width * 3 + x])
                        squared += d * d
                        count += 1
                    }
                }
            }
            return squared == 0 ? .infinity : 10 * log10(255 * 255 / (squared / Double(count)))
        }

        /// Writes `clip`, decodes the file and checks timing, size, codec, PSNR and metadata.
        @discardableResult
        func roundTrip(_ name: String, codec: String, minimumPSNR: Double, clip: VideoClip? = nil,
                       soundtrack: PCMAudio? = nil, timeTolerance: Double = 1e-6) throws -> (VideoFile, Double) {
            let folder = try TestFolder()
            let url = folder.file(name)
            let clip = try clip ?? Self.clip()
            let metadata = Self.metadata()
            try VideoWriter.write(clip, to: url, metadata: metadata, soundtrack: soundtrack)
            #expect(try folder.names() == [name])

            let file = try VideoReader.read(contentsOf: url)
            #expect(file.codecName == codec)
            #expect(file.frames.count == clip.frames.count)
            #expect(file.width == clip.width + (codec == "gif" ? 0 : clip.width & 1))
            #expect(file.height == clip.height + (codec == "gif" ? 0 : clip.height & 1))
            if codec == "gif" {
                // GIF stores per-frame delays only; libavformat guesses avg_frame_rate from them.
                let fps = Double(file.frames.count) / file.videoDuration
                #expect(abs(fps - clip.frameRate.framesPerSecond) < 0.01 * fps, "\(name): \(fps) fps from the delays")
            } else {
                let fps = Double(file.frameRate.numerator) / Double(file.frameRate.denominator)
                #expect(abs(fps - clip.frameRate.framesPerSecond) < 1e-9, "\(name): fps \(file.frameRate)")
            }
            #expect(abs(file.videoDuration - clip.duration) <= timeTolerance, "\(name): duration \(file.videoDuration)")
            for (i, time) in file.frameTimes.enumerated() {
                let expected = Double(i) / clip.frameRate.framesPerSecond
                #expect(abs(time - expected) <= timeTolerance, "\(name): frame \(i) at \(time) s, expected \(expected)")
            }
            let psnr = Self.psnr(file.frames, clip.frames)
            #expect(psnr >= minimumPSNR, "\(name): PSNR \(psnr) dB")
            #expect(file.metadata("comment") == metadata.json, "\(name): metadata \(file.metadata)")
            if codec != "gif" {
                #expect(file.metadata("title") == metadata.prompt)
                #expect(file.metadata("encoder") == metadata.software, "\(name): metadata \(file.metadata)")
            }
            return (file, psnr)
        }

        /// H.264 at `.high` (CRF 18). Measured 41.8 dB here (38.0 dB at 33×17, where 4:2:0
        /// chroma costs more); 35 dB leaves room for other x264 builds while a wrong colour
        /// matrix or range (≈ 20–28 dB), a swapped plane or a frame off by one (< 20 dB) fails.
        @Test func mp4H264RoundTrip() throws {
            try roundTrip("clip.mp4", codec: "h264", minimumPSNR: 35)
        }

        /// `+faststart`: the `moov` box comes before `mdat`, so players can start streaming.
        @Test func mp4IsFastStart() throws {
            let folder = try TestFolder()
            let url = folder.file("fast.mp4")
            try VideoWriter.write(try Self.clip(), to: url, metadata: Self.metadata())
            let bytes = [UInt8](try Data(contentsOf: url))
            func offset(_ box: String) -> Int? {
                let tag = Array(box.utf8)
                return (0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual(tag) }
            }
            let moov = try #require(offset("moov")), mdat = try #require(offset("mdat"))
            #expect(moov < mdat)
        }

        /// The same clip gives the same bytes, whatever the heap held before: each write follows
        /// freed blocks of a different junk pattern. Before libx264 was held to AVX2 on AVX-512
        /// CPUs its output followed its buffers' old contents; WebM drew random track UIDs.
        @Test(arguments: ["same.mp4", "same.webm", "same.gif"])
        func sameClipSameBytes(_ name: String) throws {
            let folder = try TestFolder()
            let clip = try Self.clip(count: 16)
            var files: [[UInt8]] = []
            for junk in UInt8(1)...3 {
                for size in [1 << 12, 1 << 16, 1 << 20] {
                    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
                    block.initializeMemory(as: UInt8.self, repeating: junk &* 85, count: size)
                    block.deallocate()
                }
                let url = folder.file("\(junk)-\(name)")
                try VideoWriter.write(clip, to: url, metadata: Self.metadata())
                files.append([UInt8](try Data(contentsOf: url)))
            }
            for (i, other) in files.enumerated().dropFirst() {
                let first = zip(files[0], other).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? (files[0].count == other.count ? nil : min(files[0].count, other.count))
                #expect(first == nil, "\(name): write \(i + 1) differs from write 1 from byte \(first ?? 0) (\(files[0].count) and \(other.count) bytes)")
            }
        }

        /// VP9 at `.high` (CRF 24): measured 41.6 dB (37.9 dB at 33×17); threshold as H.264.
        @Test func webmVP9RoundTrip() throws {
            try roundTrip("clip.webm", codec: "vp9", minimumPSNR: 35)
        }

        /// A GIF with a median-cut palette and dithering: measured 26.6 dB (28.6 dB without
        /// dithering), the limit of 256 colours for a gradient that fills the RGB cube plus
        /// the dither noise; 25 dB, while a broken palette or index map gives under 15 dB. GIF times are in 1/100 s: frame `i` of an
        /// 8 fps clip starts at `round(12.5 · i)` hundredths, so a 5 ms tolerance; the clip's
        /// end is exact (the last delay is set so the total is `round(100 · frames / fps)`).
        @Test func gifRoundTrip() throws {
            try roundTrip("clip.gif", codec: "gif", minimumPSNR: 25, timeTolerance: 0.0051)
        }

        /// With at most 256 colours the palette is exact and the GIF is lossless.
        @Test func gifWithFewColoursIsLossless() throws {
            let frames = try (0..<4).map { t in
                try RGBImage(width: 5, height: 3, pixels: (0..<15).flatMap { i in [UInt8(i * 17), UInt8(t * 60), UInt8(255 - i * 3)] })
            }
            let folder = try TestFolder()
            let url = folder.file("few.gif")
            try VideoWriter.write(try VideoClip(frames: frames, fps: 10), to: url, metadata: Self.metadata())
            let file = try VideoReader.read(contentsOf: url)
            #expect(file.frames == frames)
            #expect(abs(file.videoDuration - 0.4) < 1e-9)
        }

        /// AAC in MP4: a 1.5 s sine under a 1 s clip is cut to the video's length (within one
        /// AAC frame of 1024 samples).
        @Test func mp4WithAACSoundtrackIsCutToTheVideo() throws {
            let (file, _) = try roundTrip("sound.mp4", codec: "h264", minimumPSNR: 35, soundtrack: try Self.sine(seconds: 1.5))
            let audio = try #require(file.audio)
            #expect(audio.codecName == "aac")
            #expect(audio.sampleRate == 44100 && audio.channels == 1)
            #expect(abs(audio.decodedDuration - 1) <= 1024 / 44100, "decoded \(audio.decodedSamples) samples")
            let stream = try #require(audio.streamDuration)
            #expect(abs(stream - 1) <= 1024 / 44100, "stream duration \(stream)")
        }

        /// Opus in WebM: a 0.6 s stereo sine at 16 kHz under a 1 s clip is resampled to
        /// 48 kHz and padded with silence to 1 s (within one 20 ms Opus frame).
        @Test func webmWithOpusSoundtrackIsPaddedToTheVideo() throws {
            let (file, _) = try roundTrip("sound.webm", codec: "vp9", minimumPSNR: 35,
                                          soundtrack: try Self.sine(seconds: 0.6, rate: 16000, channels: 2))
            let audio = try #require(file.audio)
            #expect(audio.codecName == "opus")
            #expect(audio.sampleRate == 48000 && audio.channels == 2)
            #expect(abs(audio.decodedDuration - 1) <= 960 / 48000, "decoded \(audio.decodedSamples) samples")
        }

        /// A 1 s sine under a 1 s clip: the AAC stream lasts the video's duration.
        @Test func mp4WithOneSecondSine() throws {
            let (file, _) = try roundTrip("sine.mp4", codec: "h264", minimumPSNR: 35,
                                          soundtrack: try Self.sine(seconds: 1, rate: 48000, channels: 2))
            let audio = try #require(file.audio)
            #expect(audio.codecName == "aac" && audio.sampleRate == 48000 && audio.channels == 2)
            #expect(abs(audio.decodedDuration - 1) <= 1024 / 48000, "decoded \(audio.decodedSamples) samples")
        }

        /// An odd size is padded to even for H.264 / VP9 by repeating the last column and row.
        @Test func oddSizeIsPaddedForYUV420() throws {
            let clip = try Self.clip(width: 33, height: 17)
            let folder = try TestFolder()
            let report = try VideoWriter.write(clip, to: folder.file("odd.mp4"), metadata: Self.metadata())
            #expect(report.encodedWidth == 34 && report.encodedHeight == 18)
            let (file, _) = try roundTrip("odd.webm", codec: "vp9", minimumPSNR: 35, clip: clip)
            #expect(file.width == 34 && file.height == 18)
            // The padding repeats the last column and row (up to the codec's error).
            var difference = 0
            for frame in file.frames {
                for y in 0..<18 {
                    for c in 0..<3 { difference += abs(Int(frame.pixels[(y * 34 + 33) * 3 + c]) - Int(frame.pixels[(y * 34 + 32) * 3 + c])) }
                }
                for x in 0..<34 {
                    for c in 0..<3 { difference += abs(Int(frame.pixels[(17 * 34 + x) * 3 + c]) - Int(frame.pixels[(16 * 34 + x) * 3 + c])) }
                }
            }
            let mean = Double(difference) / Double(file.frames.count * (18 + 34) * 3)
            #expect(mean < 4, "mean |padding - last column/row| = \(mean)")
            try roundTrip("odd.mp4", codec: "h264", minimumPSNR: 35, clip: clip)
            try roundTrip("odd.gif", codec: "gif", minimumPSNR: 25, clip: clip, timeTolerance: 0.0051)
        }

        /// 30000/1001 fps keeps its exact rate and timestamps in MP4.
        @Test func ntscFrameRateIsExact() throws {
            let frames = try Self.clip(count: 5).frames
            let clip = try VideoClip(frames: frames, frameRate: VideoFrameRate(30000, 1001))
            let (file, _) = try roundTrip("ntsc.mp4", codec: "h264", minimumPSNR: 35, clip: clip)
            #expect(file.frameRate.numerator * 1001 == file.frameRate.denominator * 30000)
        }

        /// A PNG sequence to a printf pattern and to a folder: exact pixels and metadata.
        @Test func pngSequenceToPatternAndFolder() throws {
            let folder = try TestFolder()
            let clip = try Self.clip(width: 8, height: 6, count: 3)
            let report = try VideoWriter.write(clip, to: folder.file("shot_%03d.png"), metadata: Self.metadata())
            #expect(try folder.names() == ["shot_001.png", "shot_002.png", "shot_003.png"])
            #expect(report.files.count == 3)
            for (i, url) in report.files.enumerated() {
                let png = try PNGReader.read(contentsOf: url)
                #expect(png.image == clip.frames[i])
                #expect(png.text("diffuse") == Self.metadata().json)
            }
            try FileManager.default.createDirectory(at: folder.file("frames"), withIntermediateDirectories: false)
            try VideoWriter.write(clip, to: folder.file("frames"), format: .pngSequence, metadata: Self.metadata())
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("frames").path).sorted()
                == ["frame_0001.png", "frame_0002.png", "frame_0003.png"])
        }
    }
}
