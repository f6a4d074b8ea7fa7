import CBLAS
import CFFmpeg
import CSndFile
import Testing

/// The system libraries link and answer: a failure here means an apt package is missing.
@Suite struct SystemLibrariesTests {
    @Test func openBLASComputesADotProduct() {
        let x: [Float] = [1, 2, 3]
        let y: [Float] = [4, 5, 6]
        #expect(cblas_sdot(3, x, 1, y, 1) == 32)
    }

    @Test func libsndfileReportsItsVersion() {
        let version = String(cString: sf_version_string())
        #expect(version.hasPrefix("libsndfile"), "sf_version_string() = \(version)")
    }

    @Test func ffmpegFindsTheCodecsDiffuseWrites() {
        #expect(avcodec_find_encoder(AV_CODEC_ID_PNG) != nil)
        #expect(av_guess_format("mp4", nil, nil) != nil)
        #expect(diffuse_averror_eof() == -541_478_725)  // FFERRTAG('E','O','F',' ')
        #expect(diffuse_av_nopts_value() == Int64.min)
    }
}
