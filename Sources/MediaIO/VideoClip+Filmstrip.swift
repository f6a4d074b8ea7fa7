extension VideoClip {
    /// Every frame side by side, left to right, as one image.
    public func filmstrip() throws -> RGBImage {
        let (width, height) = (frames[0].width, frames[0].height)
        let (total, overflow) = width.multipliedReportingOverflow(by: frames.count)
        guard !overflow, total <= 65535 else {
            throw MediaIOError(.invalidInput, "cannot write the filmstrip", path: "", "\(frames.count) frames of \(width) pixels exceed PNG's practical width")
        }
        let row = width * 3, stripRow = total * 3
        var pixels = [UInt8](repeating: 0, count: stripRow * height)
        for (f, frame) in frames.enumerated() {
            for y in 0..<height {
                let target = y * stripRow + f * row
                let source = frame.pixels[(y * row)..<((y + 1) * row)]
                pixels.replaceSubrange(target..<(target + row), with: source)
            }
        }
        return try RGBImage(width: total, height: height, pixels: pixels)
    }
}
