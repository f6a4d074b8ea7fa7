import CFFmpeg
import Foundation
import MediaIO
import Testing

extension AllMediaIOTests {
    /// PNG writing and reading: pixels, text chunks, CRCs, and what FFmpeg's decoder makes of it.
    @Suite struct PNGTests {
        static func testImage(width: Int = 7, height: Int = 5) throws -> RGBImage {
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            var state: UInt32 = 12345
            for i in pixels.indices {
                state = state &* 1_664_525 &+ 1_013_904_223
                pixels[i] = UInt8(state >> 24)
            }
            pixels[0] = 0
            pixels[1] = 255
            return try RGBImage(width: width, height: height, pixels: pixels)
        }

        static func metadata(prompt: String) -> GenerationMetadata {
            GenerationMetadata(prompt: prompt, negativePrompt: "blurry, low quality", model: "tiny-sd",
                               sampler: "Euler a", steps: 20, guidance: 7.5, seed: 42, width: 7, height: 5,
                               engineVersion: "0.1.0", requestJSON: #"{"prompt":"\#(prompt)","steps":20}"#)
        }

        @Test func roundTripKeepsPixelsAndNonLatin1Text() throws {
            let folder = try TestFolder()
            let url = folder.file("out.png")
            let image = try Self.testImage()
            let metadata = Self.metadata(prompt: "月の猫 on the moon, ünïcödé 🐱")
            try PNGWriter.write(image, to: url, metadata: metadata)
            #expect(try folder.names() == ["out.png"])

            let file = try PNGReader.read(contentsOf: url)
            #expect(file.image == image)
            #expect(file.text("parameters") == metadata.a1111Parameters)
            #expect(file.textChunks.first { $0.keyword == "parameters" }?.kind == .iTXt)
            #expect(file.text("diffuse") == metadata.json)
            #expect(file.textChunks.first { $0.keyword == "diffuse" }?.kind == .iTXt)
            #expect(file.text("Software") == "Diffuse 0.1.0")
            let json = try JSONSerialization.jsonObject(with: Data(file.text("diffuse")!.utf8)) as? [String: Any]
            #expect(json?["engine"] as? String == "Diffuse 0.1.0")
            #expect((json?["request"] as? [String: Any])?["prompt"] as? String == metadata.prompt)
        }

        /// Latin-1 text goes into tEXt as Latin-1 bytes (é = 0xE9), as PIL / A1111 write it.
        @Test func latin1PromptIsATextChunkInLatin1() throws {
            let metadata = Self.metadata(prompt: "café crème")
            let png = try PNGWriter.encode(try Self.testImage(), text: PNGWriter.textChunks(for: metadata))
            let chunks = pngChunks(png)
            let text = try #require(chunks.first { $0.type == "tEXt" && $0.data.starts(with: Array("parameters\0".utf8)) })
            #expect(text.data.contains(0xE9))
            let expected = Array("parameters".utf8) + [0] + metadata.a1111Parameters.unicodeScalars.map { UInt8($0.value) }
            #expect(text.data == expected)
            #expect(try PNGReader.decode(png).text("parameters") == metadata.a1111Parameters)
        }

        /// Every chunk's CRC, recomputed with an independent table; text chunks sit after IHDR.
        @Test func chunkCRCsAndOrderAreValid() throws {
            let png = try PNGWriter.encode(try Self.testImage(), text: PNGWriter.textChunks(for: Self.metadata(prompt: "ö")))
            #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            let chunks = pngChunks(png)
            #expect(chunks.first?.type == "IHDR")
            #expect(chunks.last?.type == "IEND")
            #expect(Array(chunks.map(\.type).dropFirst().prefix(3)) == ["tEXt", "iTXt", "tEXt"])  // "ö" is Latin-1
            #expect(chunks.map { 12 + $0.data.count }.reduce(8, +) == png.count)
            for chunk in chunks {
                #expect(chunk.stored == chunk.computed, "\(chunk.type): stored CRC \(chunk.stored), computed \(chunk.computed)")
            }
        }

        /// libavformat (png_pipe demuxer) + libavcodec with CRC checking and `explode` decode the
        /// file to the same pixels, and refuse a copy with one CRC byte flipped (so the check is live).
        @Test func ffmpegDecodesTheFileWithCRCChecks() throws {
            let folder = try TestFolder()
            let url = folder.file("check.png")
            let image = try Self.testImage(width: 9, height: 4)
            try PNGWriter.write(image, to: url, metadata: Self.metadata(prompt: "a ☃ snowman"))
            #expect(try Self.decodeWithFFmpeg(url) == image.pixels)

            var bytes = try [UInt8](Data(contentsOf: url))
            let parametersCRC = 33 + 12 + (pngChunks(bytes)[1].data.count) - 1
            bytes[parametersCRC] ^= 1
            let corrupt = folder.file("corrupt.png")
            try Data(bytes).write(to: corrupt)
            #expect(try Self.decodeWithFFmpeg(corrupt) == nil)
        }

        /// The RGB24 pixels FFmpeg decodes from `url` with CRC checks, or nil if it refuses.
        static func decodeWithFFmpeg(_ url: URL) throws -> [UInt8]? {
            var format: UnsafeMutablePointer<AVFormatContext>? = nil
            try #require(avformat_open_input(&format, url.path, nil, nil) == 0)
            defer { avformat_close_input(&format) }
            try #require(avformat_find_stream_info(format, nil) >= 0)
            let stream = try #require(format?.pointee.streams[0])
            let codec = try #require(avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id))
            var context = avcodec_alloc_context3(codec)
            defer { avcodec_free_context(&context) }
            try #require(avcodec_parameters_to_context(context, stream.pointee.codecpar) >= 0)
            context?.pointee.err_recognition = AV_EF_CRCCHECK | AV_EF_EXPLODE
            try #require(avcodec_open2(context, codec, nil) == 0)
            var packet = av_packet_alloc()
            defer { av_packet_free(&packet) }
            var frame = av_frame_alloc()
            defer { av_frame_free(&frame) }
            try #require(av_read_frame(format, packet) == 0)
            guard avcodec_send_packet(context, packet) == 0, avcodec_receive_frame(context, frame) == 0 else { return nil }
            let f = try #require(frame)
            try #require(f.pointee.format == AV_PIX_FMT_RGB24.rawValue)
            var decoded: [UInt8] = []
            for y in 0..<Int(f.pointee.height) {
                let row = f.pointee.data.0! + y * Int(f.pointee.linesize.0)
                decoded += UnsafeBufferPointer(start: row, count: Int(f.pointee.width) * 3)
            }
            return decoded
        }

        @Test func corruptCRCIsRejected() throws {
            var png = try PNGWriter.encode(try Self.testImage(), text: [PNGTextChunk(keyword: "k", text: "value")])
            png[33 + 8 + 2] ^= 0x20  // a byte inside the first inserted chunk's data
            #expect {
                _ = try PNGReader.decode(png, path: "bad.png")
            } throws: { error in
                "\(error)".contains("bad.png") && "\(error)".contains("CRC")
            }
        }

        @Test func notAPNGIsAnError() {
            #expect {
                _ = try PNGReader.decode(Array("GIF89a....".utf8), path: "x.png")
            } throws: { error in
                (error as? MediaIOError)?.kind == .malformed && "\(error)".contains("signature")
            }
        }

        @Test func invalidKeywordIsAnError() throws {
            let image = try Self.testImage()
            #expect(throws: MediaIOError.self) { _ = try PNGWriter.encode(image, text: [PNGTextChunk(keyword: "", text: "x")]) }
            #expect(throws: MediaIOError.self) {
                _ = try PNGWriter.encode(image, text: [PNGTextChunk(keyword: String(repeating: "k", count: 80), text: "x")])
            }
            #expect(throws: MediaIOError.self) { _ = try PNGWriter.encode(image, text: [PNGTextChunk(keyword: "a", text: "nul\0")]) }
            #expect(throws: MediaIOError.self) {
                _ = try PNGWriter.encode(image, text: [PNGTextChunk(keyword: "a", text: "猫", kind: .tEXt)])
            }
        }

        /// A grey PNG with a zTXt chunk, built by hand here (zlib stored blocks, independent CRC):
        /// the reader expands grey to RGB through libswscale and takes zTXt text from FFmpeg.
        @Test func readsGreyPNGWithCompressedText() throws {
            func zlibStored(_ data: [UInt8]) -> [UInt8] {
                var a: UInt32 = 1, b: UInt32 = 0
                for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
                let n = UInt16(data.count)
                return [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + data
                    + [UInt8(b >> 8), UInt8(b & 0xFF), UInt8(a >> 8), UInt8(a & 0xFF)]
            }
            func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
                let body = Array(type.utf8) + data
                let crc = referenceCRC32(body[...])
                let be = { (v: UInt32) in [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
                return be(UInt32(data.count)) + body + be(crc)
            }
            let ihdr: [UInt8] = [0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0]  // 3x2, 8-bit grey
            let rows: [UInt8] = [0, 0, 128, 255, 0, 7, 70, 200]          // filter byte 0 per row
            let png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
                + chunk("zTXt", Array("Comment".utf8) + [0, 0] + zlibStored(Array("squeezed text".utf8)))
                + chunk("IDAT", zlibStored(rows)) + chunk("IEND", [])
            let file = try PNGReader.decode(png)
            #expect(file.image.width == 3 && file.image.height == 2)
            #expect(file.image.pixels == [0, 128, 255, 7, 70, 200].flatMap { [$0, $0, $0] })
            #expect(file.text("Comment") == "squeezed text")
            #expect(file.textChunks.first?.kind == .zTXt)
        }

        @Test func missingFolderIsAnErrorAndNoFileIsCreated() throws {
            let folder = try TestFolder()
            let url = folder.file("nope/out.png")
            #expect {
                try PNGWriter.write(try Self.testImage(), to: url, metadata: nil)
            } throws: { error in
                (error as? MediaIOError)?.kind == .folderMissing && "\(error)".contains(folder.file("nope").path)
            }
            #expect(try folder.names().isEmpty)
        }
    }
}
