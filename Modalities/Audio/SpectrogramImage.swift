import Foundation
import MediaIO
import Tensors

/// A log-mel spectrogram drawn as an image, for people who would rather look at a sound than
/// read numbers about it: time runs left to right, low frequencies at the bottom, the
/// loudness through matplotlib's perceptually uniform "magma" colour map (black → purple →
/// orange → pale yellow), over the top 80 dB (librosa's `specshow` of `power_to_db(top_db=80)`).
public enum SpectrogramImage {
    /// The dynamic range shown, in dB below the loudest cell.
    public static let topDecibels: Float = 80

    /// Renders `logMel` [frames, mels] (natural log of magnitude, as `logMel` and AudioLDM's VAE
    /// give it). Each cell becomes a block of pixels so that the image is at least
    /// `minimumWidth` × `minimumHeight` (a 5 s AudioLDM clip, 512 frames × 64 mels, is 512 × 256).
    public static func render(logMel: Tensor, minimumWidth: Int = 512, minimumHeight: Int = 256) throws -> RGBImage {
        guard logMel.rank == 2, logMel.shape[0] >= 1, logMel.shape[1] >= 1 else {
            throw AudioError.invalidValue("spectrogram", "of shape \(logMel.shape)", "it must be [frames, mels] with at least one of each")
        }
        let (frames, mels) = (logMel.shape[0], logMel.shape[1])
        let xScale = max(1, (minimumWidth + frames - 1) / frames), yScale = max(1, (minimumHeight + mels - 1) / mels)
        let (width, height) = (frames * xScale, mels * yScale)
        guard width <= 1 << 15, height <= 1 << 15 else {
            throw AudioError.invalidValue("spectrogram", "of \(frames) frames", "the image would be wider than 32768 pixels")
        }
        // ln(magnitude) → dB of magnitude: 20·log10(e)·ln = 8.6859·ln.
        let decibelsPerNat = Float(20 / M_LN10)
        let finite = logMel.scalars.filter(\.isFinite)
        let top = finite.max() ?? 0, bottom = max(finite.min() ?? 0, top - topDecibels / decibelsPerNat)
        let span = top - bottom
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for m in 0..<mels {
            for t in 0..<frames {
                let v = logMel.scalars[t * mels + m]
                let level = span > 0 && v.isFinite ? min(max((v - bottom) / span, 0), 1) : 0
                let (r, g, b) = magma(level)
                let rowTop = (mels - 1 - m) * yScale                  // low bins at the bottom
                for y in rowTop..<(rowTop + yScale) {
                    for x in (t * xScale)..<((t + 1) * xScale) {
                        let p = (y * width + x) * 3
                        pixels[p] = r
                        pixels[p + 1] = g
                        pixels[p + 2] = b
                    }
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// matplotlib's "magma" at `t` in [0, 1], from the degree-6 polynomial fit of Matt Zucker's
    /// "Colormap polynomials" (shadertoy WlfXRN, CC0), within about 1% of the table.
    public static func magma(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let c: [(Float, Float, Float)] = [
            (-0.002136485053939582, -0.000749655052795221, -0.005386127855323933),
            (0.2516605407371642, 0.6775232436837668, 2.494026599312351),
            (8.353717279216625, -3.577719514958484, 0.3144679030132573),
            (-27.66873308576866, 14.26473078096533, -13.64921318813922),
            (52.17613981234068, -27.94360607168351, 12.94416944238394),
            (-50.76852536473588, 29.04658282127291, 4.23415299384598),
            (18.65570506591883, -11.48977351997711, -5.601961508734096),
        ]
        var (r, g, b): (Float, Float, Float) = (0, 0, 0)
        for k in stride(from: c.count - 1, through: 0, by: -1) {
            r = r * t + c[k].0
            g = g * t + c[k].1
            b = b * t + c[k].2
        }
        func byte(_ x: Float) -> UInt8 { UInt8(min(max(x, 0), 1) * 255 + 0.5) }
        return (byte(r), byte(g), byte(b))
    }
}
