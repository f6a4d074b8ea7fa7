import CFFmpeg
import Foundation

/// Writes PNG files through FFmpeg's `png` encoder (libavcodec `AV_CODEC_ID_PNG`, `rgb24`,
/// default zlib level, no filter search), then inserts text chunks after IHDR:
/// - `parameters`: the A1111 / stable-diffusion.cpp line (`tEXt`, or `iTXt` when the text is
///   not Latin-1, as PIL writes it),
/// - `diffuse`: `iTXt` UTF-8 JSON `{"engine": …, "request": …}` (`GenerationMetadata.json`),
/// - `Software`: `tEXt` `Diffuse <version>` (a PNG-registered keyword).
public enum PNGWriter {
    /// The text chunks written for `metadata`.
    public static func textChunks(for metadata: GenerationMetadata) -> [PNGTextChunk] {
        [
            PNGTextChunk(keyword: "parameters", text: metadata.a1111Parameters),
            PNGTextChunk(keyword: "diffuse", text: metadata.json, kind: .iTXt),
            PNGTextChunk(keyword: "Software", text: metadata.software),
        ]
    }

    /// Encodes `image` and writes it atomically to `url` (see `AtomicFile`), with the text
    /// chunks of `metadata` when given. Nothing is created if encoding fails.
    public static func write(_ image: RGBImage, to url: URL, metadata: GenerationMetadata?) throws {
        try write(image, to: url, text: metadata.map(textChunks(for:)) ?? [])
    }

    /// Encodes `image` with `text` chunks and writes it atomically to `url`.
    public static func write(_ image: RGBImage, to url: URL, text: [PNGTextChunk]) throws {
        let bytes = try encode(image, text: text, path: url.path)
        try AtomicFile.write(bytes, to: url)
    }

    /// The PNG bytes of `image` with `text` chunks inserted after IHDR. `path` only names the
    /// destination in errors.
    public static func encode(_ image: RGBImage, text: [PNGTextChunk] = [], path: String = "") throws -> [UInt8] {
        let extra = try text.flatMap { try PNGChunks.encode($0, path: path) }
        let png = try encodeWithFFmpeg(image, path: path)
        return try PNGChunks.insertAfterHeader(png, extra, path: path)
    }

    /// One frame through libavcodec's PNG encoder: send the frame, flush, drain the packet.
    static func encodeWithFFmpeg(_ image: RGBImage, path: String) throws -> [UInt8] {
        let operation = "cannot encode PNG for"
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw MediaIOError(.invalidInput, operation, path: path, "size \(image.width)x\(image.height) is too large for FFmpeg")
        }
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw MediaIOError(.codec, operation, path: path, "this FFmpeg has no PNG encoder")
        }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        var frame = av_frame_alloc()
        defer { av_frame_free(&frame) }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let context, let frame, let packet else {
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating the encoder")
        }
        context.pointee.width = Int32(image.width)
        context.pointee.height = Int32(image.height)
        context.pointee.pix_fmt = AV_PIX_FMT_RGB24
        context.pointee.time_base = AVRational(num: 1, den: 1)
        context.pointee.thread_count = 1
        try FFmpegCall.check(avcodec_open2(context, codec, nil), "avcodec_open2", operation, path: path)

        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        frame.pointee.width = Int32(image.width)
        frame.pointee.height = Int32(image.height)
        try FFmpegCall.check(av_frame_get_buffer(frame, 0), "av_frame_get_buffer", operation, path: path)
        try FFmpegCall.check(av_frame_make_writable(frame), "av_frame_make_writable", operation, path: path)
        let rowBytes = image.width * 3
        let stride = Int(frame.pointee.linesize.0)
        guard let plane = frame.pointee.data.0 else {
            throw MediaIOError(.codec, operation, path: path, "av_frame_get_buffer returned no plane")
        }
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<image.height {
                (plane + y * stride).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
            }
        }

        try FFmpegCall.check(avcodec_send_frame(context, frame), "avcodec_send_frame", operation, path: path)
        try FFmpegCall.check(avcodec_send_frame(context, nil), "avcodec_send_frame (flush)", operation, path: path)
        var output: [UInt8] = []
        var packets = 0
        while true {
            let status = avcodec_receive_packet(context, packet)
            if status == diffuse_averror_eof() { break }
            try FFmpegCall.check(status, "avcodec_receive_packet", operation, path: path)
            if let data = packet.pointee.data, packet.pointee.size > 0 {
                output += UnsafeBufferPointer(start: data, count: Int(packet.pointee.size))
            }
            packets += 1
            av_packet_unref(packet)
        }
        guard packets == 1, !output.isEmpty else {
            throw MediaIOError(.codec, operation, path: path, "the encoder returned \(packets) packets for one image")
        }
        return output
    }
}
