import Evaluators
import Foundation
import MediaIO
import Testing
import Tensors

/// `AudioEvaluator` against `Models/recipes/eval_audio.py` on clips rendered by data_audio.py
/// (FluidSynth piano, trumpet and cello notes, an espeak-ng voice, a procedural siren; 1 s each,
/// padded to the model's 4.08 s as `fit_length` does): fixture "evaluators_audio" and
/// `evaluators/cases.json` from tools/fixtures/fx_evaluators.py, with the classifier files the
/// Python verdicts used (`Tests/Fixtures/evaluators/audio/`).
@Suite struct AudioEvaluatorTests {
    static let model = Result { try AudioJudgeModel(modelFolder: EvaluatorFixtures.audioModel) }

    /// Features of the normalised log-mel within 2e-4 + 1e-3 relative (the mel is float32 on
    /// both sides, via AudioModality's STFT; measured ≤ 7e-5, on the siren), logits within 5e-3
    /// (measured ≤ 1.4e-3), probabilities within 1e-4; the peak level within 1e-5 dB.
    @Test func measurementsMatchPython() throws {
        let file = try Fixtures.load("evaluators_audio")
        let model = try Self.model.get()
        let cases = try EvaluatorFixtures.cases().audio
        #expect(cases.count == 5)
        for k in cases.indices {
            let a = try AudioEvaluator.analyze(try EvaluatorFixtures.audio(try file.tensor("audio_\(k)")), model: model)
            expectClose(EvaluatorFixtures.tensor(a.features), try file.tensor("features_\(k)"), abs: 2e-4, rel: 1e-3,
                        "features \(k)")
            expectClose(EvaluatorFixtures.tensor(a.logits), try file.tensor("logits_\(k)"), abs: 5e-3, rel: 0,
                        "family logits \(k)")
            expectClose(EvaluatorFixtures.tensor(a.probabilities), try file.tensor("probabilities_\(k)"), abs: 1e-4,
                        "family probabilities \(k)")
            expectClose(EvaluatorFixtures.tensor([a.peakDB]), try file.tensor("peak_db_\(k)"), abs: 1e-5, "peak dB \(k)")
        }
    }

    /// Family, coarse family and loudness verdicts exactly Python's.
    @Test func verdictsMatchPython() throws {
        let file = try Fixtures.load("evaluators_audio")
        let model = try Self.model.get()
        for (k, c) in try EvaluatorFixtures.cases().audio.enumerated() {
            let audio = try EvaluatorFixtures.audio(try file.tensor("audio_\(k)"))
            let adherence = try AudioEvaluator.judge(audio, prompt: c.prompt, model: model)
            #expect(adherence.judgement("family") == AttributeJudgement(attribute: "family", expected: c.family,
                                                                        observed: c.observed_family, passed: c.family_ok),
                    "\(c.prompt)")
            #expect(adherence.judgement("coarse family") == AttributeJudgement(
                attribute: "coarse family", expected: c.coarse, observed: c.observed_coarse, passed: c.coarse_ok), "\(c.prompt)")
            #expect(adherence.mainPassed == c.coarse_ok, "\(c.prompt)")
            #expect(adherence.judgement("loudness")?.passed == c.loudness_ok, "\(c.prompt)")
            #expect(adherence.judgement("loudness")?.expected == c.loudness, "\(c.prompt)")
            #expect(adherence.judgement("register")?.expected == c.register, "\(c.prompt)")
        }
    }

    /// The register: YIN (Swift) against pyin (Python), see `YINPitch`. The verdicts agree on
    /// the fixture's notes and voice; the median f0 within 5 % where both find voiced frames
    /// (measured: ≤ 0.5 % on the notes, 2.4 % on the voice, whose pitch moves). The siren is an
    /// effect, whose register is never judged.
    @Test func registerAgreesWithPyin() throws {
        let file = try Fixtures.load("evaluators_audio")
        let model = try Self.model.get()
        for (k, c) in try EvaluatorFixtures.cases().audio.enumerated() where c.family != "effect" {
            let audio = try EvaluatorFixtures.audio(try file.tensor("audio_\(k)"))
            let a = try AudioEvaluator.analyze(audio, model: model)
            #expect(a.register == c.observed_register, "\(c.prompt): YIN f0 \(a.f0 ?? 0) Hz (\(a.voicedFrames) voiced frames)")
            let pyin = Double(try file.tensor("f0_\(k)").scalars[0])
            let f0 = try #require(a.f0, "\(c.prompt): no voiced frame")
            #expect(abs(f0 / pyin - 1) < 0.05, "\(c.prompt): YIN \(f0) Hz, pyin \(pyin) Hz")
            if let register = c.register {
                let judged = try AudioEvaluator.judge(audio, prompt: c.prompt, model: model).judgement("register")
                #expect(judged == AttributeJudgement(attribute: "register", expected: register, observed: a.register,
                                                     passed: c.register_ok ?? false), "\(c.prompt)")
            }
        }
    }

    /// YIN on pure tones: 110, 220, 440 and 1000 Hz within 0.5 %.
    @Test func yinFindsPureTones() throws {
        for hz in [110.0, 220, 440, 1000] {
            let tone = (0..<16000).map { Float(0.5 * sin(2 * Double.pi * hz * Double($0) / 16000)) }
            let f0 = try YINPitch().f0(tone).compactMap { $0 }
            #expect(f0.count > 25, "\(hz) Hz: \(f0.count) voiced frames")
            let median = f0.sorted()[f0.count / 2]
            #expect(abs(median / hz - 1) < 0.005, "\(hz) Hz: median f0 \(median)")
        }
        #expect(try YINPitch().f0([Float](repeating: 0, count: 16000)).allSatisfy { $0 == nil }, "silence is unvoiced")
    }

    /// Stereo and other rates: the channels are averaged and the clip resampled to 16 kHz, so a
    /// 32 kHz stereo copy of a clip gets the same verdicts.
    @Test func stereoAndOtherRatesAreConverted() throws {
        let file = try Fixtures.load("evaluators_audio")
        let model = try Self.model.get()
        let mono = try EvaluatorFixtures.audio(try file.tensor("audio_0"))
        let upsampled = try AudioResampler.resample(mono, to: 32000)
        let stereo = try PCMAudio(sampleRate: 32000, channels: 2, samples: upsampled.samples.flatMap { [$0, $0] })
        let a = try AudioEvaluator.analyze(mono, model: model)
        let b = try AudioEvaluator.analyze(stereo, model: model)
        #expect(a.family == b.family && a.register == b.register && a.loudness == b.loudness)
        #expect(abs(a.peakDB - b.peakDB) < 0.5, "peak \(a.peakDB) vs \(b.peakDB) dB")
    }
}
