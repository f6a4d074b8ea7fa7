import MediaIO
import Testing

extension AllMediaIOTests {
    /// `RGBImage(planes:…)` against diffusers' postprocess + `numpy_to_pil`, bit for bit.
    @Suite struct RGBImageTests {
        /// Inputs (float32 bit patterns) and the bytes diffusers makes of them, printed by
        /// (torch 2.15, numpy 2.4.6, /work/venv/torch):
        /// ```python
        /// t = torch.tensor(vals, dtype=torch.float32)
        /// img = (t * 0.5 + 0.5).clamp(0, 1)                         # VaeImageProcessor.denormalize
        /// out = (img.numpy() * 255).round().astype("uint8")          # numpy_to_pil
        /// ```
        /// where `vals` are -1, 1, 0, ±1.5, ±inf, -0, and for k in 0, 1, 2, 127, 253, 254 the
        /// float32 x = ((k + 0.5) / 255) * 2 - 1 and its two neighbours (nextafter).
        static let minusOneToOne: [(UInt32, UInt8)] = [
            (0xbf80_0000, 0), (0x3f80_0000, 255), (0x0000_0000, 128), (0xbfc0_0000, 0), (0x3fc0_0000, 255),
            (0x7f80_0000, 255), (0xff80_0000, 0), (0x8000_0000, 128),
            (0xbf7e_ff00, 0), (0xbf7e_feff, 0), (0xbf7e_fefe, 1),
            (0xbf7c_fcfe, 1), (0xbf7c_fcfd, 1), (0xbf7c_fcfc, 2),
            (0xbf7a_fafc, 2), (0xbf7a_fafb, 2), (0xbf7a_fafa, 3),
            (0x8000_0001, 128), (0x0000_0000, 128), (0x0000_0001, 128),
            (0x3f7c_fcfb, 254), (0x3f7c_fcfc, 254), (0x3f7c_fcfd, 254),
            (0x3f7e_fefd, 254), (0x3f7e_fefe, 254), (0x3f7e_feff, 254),
        ]

        /// The same for inputs already in [0, 1] (`numpy_to_pil` alone): for k as above, the
        /// float32 (k + 0.5) / 255 and its neighbours. 0.5 → 127.5 → 128 and 0.5/255 → 0 show
        /// numpy's round-half-to-even.
        static let zeroToOne: [(UInt32, UInt8)] = [
            (0x3b00_8080, 0), (0x3b00_8081, 0), (0x3b00_8082, 1),
            (0x3bc0_c0c0, 1), (0x3bc0_c0c1, 2), (0x3bc0_c0c2, 2),
            (0x3c20_a0a0, 2), (0x3c20_a0a1, 2), (0x3c20_a0a2, 3),
            (0x3eff_ffff, 127), (0x3f00_0000, 128), (0x3f00_0001, 128),
            (0x3f7e_7e7d, 253), (0x3f7e_7e7e, 254), (0x3f7e_7e7f, 254),
            (0x3f7f_7f7e, 254), (0x3f7f_7f7f, 254), (0x3f7f_7f80, 254),
        ]

        private func check(_ table: [(UInt32, UInt8)], _ range: RGBImage.FloatRange) throws {
            let values = table.map { Float(bitPattern: $0.0) }
            // One row, grey planes: every value lands in R, G and B.
            let image = try RGBImage(planes: values, channels: 1, width: values.count, height: 1, range: range)
            for (i, (bits, expected)) in table.enumerated() {
                let got = image.pixels[i * 3]
                #expect(got == expected, "input \(Float(bitPattern: bits)) (0x\(String(bits, radix: 16))): got \(got), diffusers gives \(expected)")
                #expect(image.pixels[i * 3 + 1] == got && image.pixels[i * 3 + 2] == got)
            }
        }

        @Test func quantisesLikeDiffusersFromMinusOneToOne() throws { try check(Self.minusOneToOne, .minusOneToOne) }

        @Test func quantisesLikeNumpyFromZeroToOne() throws { try check(Self.zeroToOne, .zeroToOne) }

        @Test func planesAreInterleavedAsRGB() throws {
            // [3, H=1, W=2] planes: R = (0, 1), G = (0.5, 0), B = (1, 0.25) in [0, 1].
            let image = try RGBImage(planes: [0, 1, 0.5, 0, 1, 0.25], width: 2, height: 1, range: .zeroToOne)
            #expect(image.pixels == [0, 128, 255, 255, 0, 64])
            let back = image.floatPlanes(range: .zeroToOne)
            #expect(back == [0, 1, Float(128) / 255, 0, 1, Float(64) / 255])
            #expect(image.floatPlanes(range: .minusOneToOne)[1] == 1)
        }

        /// numpy turns NaN into 0 (with a RuntimeWarning); we refuse it, naming where it is.
        @Test func nanIsAnErrorNamingThePixel() {
            var planes = [Float](repeating: 0, count: 3 * 2 * 2)
            planes[4 + 3] = .nan  // channel 1, row 1, column 1
            #expect {
                _ = try RGBImage(planes: planes, width: 2, height: 2, range: .minusOneToOne)
            } throws: { error in
                "\(error)".contains("channel 1, row 1, column 1 is NaN")
            }
        }

        @Test func badSizesAreErrors() {
            #expect(throws: MediaIOError.self) { _ = try RGBImage(width: 0, height: 4, pixels: []) }
            #expect(throws: MediaIOError.self) { _ = try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]) }
            #expect(throws: MediaIOError.self) { _ = try RGBImage(width: Int.max / 2, height: 3, pixels: []) }
            #expect(throws: MediaIOError.self) {
                _ = try RGBImage(planes: [0, 0], channels: 2, width: 1, height: 1, range: .zeroToOne)
            }
        }
    }
}
