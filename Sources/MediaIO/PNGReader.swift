import CFFmpeg
import Foundation

/// A decoded PNG: its pixels as RGB8 and its text chunks in file order.
public struct PNGFile: Sendable, Equatable {
    /// The pixels, converted to RGB8.
    public var image: RGBImage
    /// tEXt, zTXt and iTXt chunks in file order (compressed ones as FFmpeg decoded them).
    public var textChunks: [PNGTextChunk]

    /// The text of the first chunk with `keyword` (e.g. `parameters`), or nil.
    public func text(_ keyword: String) -> String? {
        textChunks.first { $0.keyword == keyword }?.text
    }
}

/// Reads PNG files: pixels through FFmpeg's `png` decoder, text chunks parsed from the bytes
/// (every chunk's CRC checked). For `--init-image` and tests.
///
/// Other pixel formats (grey, palette, 16-bit, with alpha) are converted to RGB8 by
/// libswscale; alpha is dropped, not composited (as PIL's `convert("RGB")`, which diffusers'
/// `load_image` uses). zTXt text (and compressed iTXt, if this FFmpeg decodes it) comes
/// from FFmpeg's frame metadata; a compressed chunk FFmpeg does not decode is left out.
public enum PNGReader {
    /// Reads and decodes the PNG file at `url`.
    public static func read(contentsOf url: URL) throws -> PNGFile {
        let bytes = try FileBytes.read(url.path, operation: "cannot read PNG")
        return try decode(bytes, path: url.path)
    }

    /// Decodes PNG `bytes`; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String = "") throws -> PNGFile {
        let chunks = try PNGChunks.parse(bytes, path: path)
        let (image, metadata) = try decodePixels(bytes, path: path)
        var texts: [PNGTextChunk] = []
        for chunk in chunks {
            guard let (keyword, text, kind) = try PNGChunks.decodeText(chunk, path: path) else { continue }
            if let text {
                texts.append(PNGTextChunk(keyword: keyword, text: text, kind: kind))
            } else if let text = metadata[keyword] {
                texts.append(PNGTextChunk(keyword: keyword, text: text, kind: kind))
            }
        }
        return PNGFile(image: image, textChunks: texts)
    }

    /// The first frame through libavcodec's PNG decoder, as RGB8, and the frame's metadata.
    static func decodePixels(_ bytes: [UInt8], path: String) throws -> (RGBImage, [String: String]) {
        let operation = "cannot decode PNG"
        guard bytes.count < Int(Int32.max) else {
            throw MediaIOError(.invalidInput, operation, path: path, "the file is larger than 2 GiB")
        }
        guard let codec = avcodec_find_decoder(AV_CODEC_ID_PNG) else {
            throw MediaIOError(.codec, operation, path: path, "this FFmpeg has no PNG decoder")
        }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        var frame = av_frame_alloc()
        defer { av_frame_free(&frame) }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let context, let frame, let packet else {
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating the decoder")
        }
        context.pointee.thread_count = 1
        try FFmpegCall.check(avcodec_open2(context, codec, nil), "avcodec_open2", operation, path: path)
        try FFmpegCall.check(av_new_packet(packet, Int32(bytes.count)), "av_new_packet", operation, path: path)
        bytes.withUnsafeBufferPointer { packet.pointee.data.update(from: $0.baseAddress!, count: $0.count) }
        try FFmpegCall.check(avcodec_send_packet(context, packet), "avcodec_send_packet", operation, path: path)
        try FFmpegCall.check(avcodec_send_packet(context, nil), "avcodec_send_packet (flush)", operation, path: path)
        try FFmpegCall.check(avcodec_receive_frame(context, frame), "avcodec_receive_frame", operation, path: path)

        var metadata: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(frame.pointee.metadata, "", entry, AV_DICT_IGNORE_SUFFIX) {
            metadata[String(cString: next.pointee.key)] = String(cString: next.pointee.value)
            entry = next
        }
        let image = try rgb(frame, path: path)
        return (image, metadata)
    }

    /// The frame's pixels as RGB8, converted by libswscale unless already `rgb24`.
    static func rgb(_ frame: UnsafeMutablePointer<AVFrame>, path: String) throws -> RGBImage {
        let operation = "cannot decode PNG"
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        let rowBytes = try RGBImage.byteCount(width: width, height: 1)
        var pixels = [UInt8](repeating: 0, count: try RGBImage.byteCount(width: width, height: height))
        if frame.pointee.format == AV_PIX_FMT_RGB24.rawValue {
            guard let plane = frame.pointee.data.0 else {
                throw MediaIOError(.codec, operation, path: path, "the decoder returned no pixels")
            }
            let stride = Int(frame.pointee.linesize.0)
            pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    (dst.baseAddress! + y * rowBytes).update(from: plane + y * stride, count: rowBytes)
                }
            }
            return try RGBImage(width: width, height: height, pixels: pixels)
        }
        let source = AVPixelFormat(rawValue: frame.pointee.format)
        guard let scaler = sws_getContext(Int32(width), Int32(height), source, Int32(width), Int32(height),
                                          AV_PIX_FMT_RGB24, Int32(SWS_POINT | SWS_ACCURATE_RND), nil, nil, nil)
        else {
            let name = av_get_pix_fmt_name(source).map { String(cString: $0) } ?? "format \(frame.pointee.format)"
            throw MediaIOError(.unsupportedFormat, operation, path: path, "cannot convert pixel format \(name) to rgb24")
        }
        defer { sws_freeContext(scaler) }
        let rows = pixels.withUnsafeMutableBufferPointer { dst -> Int32 in
            var dstPlanes: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
            var dstStrides: [Int32] = [Int32(rowBytes), 0, 0, 0]
            let srcPlanes: [UnsafePointer<UInt8>?] = withUnsafeBytes(of: frame.pointee.data) {
                Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4)).map { $0.map { UnsafePointer($0) } }
            }
            let srcStrides: [Int32] = withUnsafeBytes(of: frame.pointee.linesize) {
                Array($0.bindMemory(to: Int32.self).prefix(4))
            }
            return sws_scale(scaler, srcPlanes, srcStrides, 0, Int32(height), &dstPlanes, &dstStrides)
        }
        try FFmpegCall.check(rows, "sws_scale", operation, path: path)
        guard rows == Int32(height) else {
            throw MediaIOError(.codec, operation, path: path, "sws_scale converted \(rows) of \(height) rows")
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
