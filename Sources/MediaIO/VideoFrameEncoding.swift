import CFFmpeg

/// Turning `RGBImage`s into the `AVFrame`s the video encoders take: `yuv420p` through
/// libswscale (BT.601 limited range, tagged so in the stream), or `pal8` through a
/// `GIFPalette`. Frames are numbered in the encoder's time base of one tick per frame.
enum VideoFrameEncoding {
    /// The frame size a `yuv420p` encoder gets for `width × height`: odd sizes are padded
    /// up to even (4:2:0 chroma covers 2×2 pixels; libx264 refuses odd sizes).
    static func evenSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (width + (width & 1), height + (height & 1))
    }

    /// `image` padded to `width × height` by repeating its last column and last row.
    static func padded(_ image: RGBImage, width: Int, height: Int) -> [UInt8] {
        if width == image.width, height == image.height { return image.pixels }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let sy = min(y, image.height - 1)
            for x in 0..<width {
                let sx = min(x, image.width - 1)
                let s = (sy * image.width + sx) * 3, d = (y * width + x) * 3
                out[d] = image.pixels[s]
                out[d + 1] = image.pixels[s + 1]
                out[d + 2] = image.pixels[s + 2]
            }
        }
        return out
    }

    /// A writable frame of `format` and size, with buffers.
    static func allocateFrame(format: AVPixelFormat, width: Int, height: Int,
                              operation: String, path: String) throws -> UnsafeMutablePointer<AVFrame> {
        guard let frame = av_frame_alloc() else {
            throw MediaIOError(.codec, operation, path: path, "out of memory allocating a frame")
        }
        frame.pointee.format = format.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        let status = av_frame_get_buffer(frame, 0)
        if status < 0 {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            try FFmpegCall.check(status, "av_frame_get_buffer", operation, path: path)
        }
        return frame
    }

    /// Converts RGB frames to `yuv420p` of one size (the clip's size padded to even).
    final class YUVConverter {
        let width: Int
        let height: Int
        private let scaler: OpaquePointer
        private let frame: UnsafeMutablePointer<AVFrame>
        private let operation: String
        private let path: String

        init(width: Int, height: Int, operation: String, path: String) throws {
            self.width = width
            self.height = height
            self.operation = operation
            self.path = path
            guard let scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24,
                                              Int32(width), Int32(height), AV_PIX_FMT_YUV420P,
                                              Int32(SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP), nil, nil, nil)
            else {
                throw MediaIOError(.codec, operation, path: path, "sws_getContext(rgb24 → yuv420p) failed")
            }
            self.scaler = scaler
            do {
                frame = try allocateFrame(format: AV_PIX_FMT_YUV420P, width: width, height: height,
                                          operation: operation, path: path)
            } catch {
                sws_freeContext(scaler)
                throw error
            }
        }

        deinit {
            sws_freeContext(scaler)
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
        }

        /// The frame holding `image` (padded) with `pts`; valid until the next call.
        func frame(for image: RGBImage, pts: Int64) throws -> UnsafeMutablePointer<AVFrame> {
            try FFmpegCall.check(av_frame_make_writable(frame), "av_frame_make_writable", operation, path: path)
            let rgb = padded(image, width: width, height: height)
            let rows = rgb.withUnsafeBufferPointer { src -> Int32 in
                let srcPlanes: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
                let srcStrides: [Int32] = [Int32(width * 3), 0, 0, 0]
                let dstPlanes: [UnsafeMutablePointer<UInt8>?] = withUnsafeBytes(of: frame.pointee.data) {
                    Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4))
                }
                let dstStrides: [Int32] = withUnsafeBytes(of: frame.pointee.linesize) {
                    Array($0.bindMemory(to: Int32.self).prefix(4))
                }
                return sws_scale(scaler, srcPlanes, srcStrides, 0, Int32(height), dstPlanes, dstStrides)
            }
            try FFmpegCall.check(rows, "sws_scale", operation, path: path)
            guard rows == Int32(height) else {
                throw MediaIOError(.codec, operation, path: path, "sws_scale converted \(rows) of \(height) rows")
            }
            frame.pointee.pts = pts
            return frame
        }
    }

    /// Converts RGB frames to `pal8` on one palette for the whole clip.
    final class PaletteConverter {
        private var palette: GIFPalette
        private let dither: Bool
        private let frame: UnsafeMutablePointer<AVFrame>
        private let operation: String
        private let path: String

        init(clip: VideoClip, dither: Bool, operation: String, path: String) throws {
            palette = GIFPalette(frames: clip.frames)
            self.dither = dither
            self.operation = operation
            self.path = path
            frame = try allocateFrame(format: AV_PIX_FMT_PAL8, width: clip.width, height: clip.height,
                                      operation: operation, path: path)
        }

        deinit {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
        }

        /// The frame holding `image` as palette indices with `pts`; valid until the next call.
        func frame(for image: RGBImage, pts: Int64) throws -> UnsafeMutablePointer<AVFrame> {
            try FFmpegCall.check(av_frame_make_writable(frame), "av_frame_make_writable", operation, path: path)
            guard let plane = frame.pointee.data.0, let colors = frame.pointee.data.1 else {
                throw MediaIOError(.codec, operation, path: path, "av_frame_get_buffer returned no pal8 planes")
            }
            let indices = palette.indices(of: image, dither: dither)
            let stride = Int(frame.pointee.linesize.0)
            indices.withUnsafeBufferPointer { src in
                for y in 0..<image.height {
                    (plane + y * stride).update(from: src.baseAddress! + y * image.width, count: image.width)
                }
            }
            palette.entries.withUnsafeBytes { src in
                UnsafeMutableRawPointer(colors).copyMemory(from: src.baseAddress!, byteCount: src.count)
            }
            frame.pointee.pts = pts
            return frame
        }
    }
}
