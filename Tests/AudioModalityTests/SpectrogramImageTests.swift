import AudioModality
import MediaIO
import Testing
import Tensors

/// The `--spectrogram` picture: size, orientation (low bins at the bottom), magma colours.
@Suite struct SpectrogramImageTests {
    @Test func magmaEnds() {
        let (r0, g0, b0) = SpectrogramImage.magma(0), (r1, g1, b1) = SpectrogramImage.magma(1)
        // matplotlib: magma(0) = (0, 0, 4), magma(0.5) = (183, 55, 121), magma(1) = (252, 253, 191).
        #expect(r0 <= 2 && g0 <= 2 && b0 <= 6, "\((r0, g0, b0))")
        #expect(r1 >= 250 && g1 >= 247 && b1 >= 183 && b1 <= 195, "\((r1, g1, b1))")
        let (r, g, b) = SpectrogramImage.magma(0.5)
        #expect(abs(Int(r) - 183) <= 3 && abs(Int(g) - 55) <= 3 && abs(Int(b) - 121) <= 3, "\((r, g, b))")
    }

    @Test func lowBinsAtTheBottom() throws {
        // 40 frames × 8 mels: bin 0 loud (0), the others 100 dB below (ln = −11.5).
        let logMel = Tensor(shape: [40, 8]) { out in
            for t in 0..<40 { for m in 0..<8 { out[t * 8 + m] = m == 0 ? 0 : -11.5 } }
        }
        let image = try SpectrogramImage.render(logMel: logMel)
        #expect(image.width == 520 && image.height == 256)        // 13 px a frame, 32 px a bin
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * image.width + x) * 3)..<((y * image.width + x) * 3 + 3)]) }
        #expect(pixel(10, 255) == [SpectrogramImage.magma(1).0, SpectrogramImage.magma(1).1, SpectrogramImage.magma(1).2])
        #expect(pixel(10, 0) == [SpectrogramImage.magma(0).0, SpectrogramImage.magma(0).1, SpectrogramImage.magma(0).2])
        #expect(throws: AudioError.self) { try SpectrogramImage.render(logMel: Tensor(shape: [0, 8], scalars: [])) }
    }
}
