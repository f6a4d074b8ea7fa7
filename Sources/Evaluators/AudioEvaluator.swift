import AudioModality
import Foundation
import MediaIO
import Tensors

/// What the audio judge measured (`Models/recipes/eval_audio.py`).
public struct AudioAnalysis: Sendable {
    /// `SoundFamilyClassifier.features` of the clip's normalised log-mel.
    public var features: [Double]
    /// The family classifier's logits, in `classifier.classes` order.
    public var logits: [Double]
    /// Softmax of `logits` (scikit-learn's `predict_proba`).
    public var probabilities: [Double]
    /// The predicted family (`np.argmax` of the logits).
    public var family: String
    /// Its coarse class: instrument, speech or effect.
    public var coarseFamily: String
    /// Median YIN f0 of the voiced frames, Hz; nil when no frame is voiced.
    public var f0: Double?
    /// Voiced frames.
    public var voicedFrames: Int
    /// "low" (< 170 Hz), "middle" (170–480 Hz), "high" (≥ 480 Hz) or "none".
    public var register: String
    /// Peak of the 50 ms RMS envelope, dBFS (`eval_audio.peak_db`).
    public var peakDB: Double
    /// "soft" or "loud" by the model's calibrated threshold.
    public var loudness: String
}

/// The prompt-adherence judge of Diffuse's default audio model, a port of
/// `Models/recipes/eval_audio.py`. The clip is mixed to mono, resampled to the model's rate and
/// padded with zeros or cut to the model's length (`data_audio.fit_length`), as the evaluators'
/// data are; then:
/// family = the logistic-regression classifier of `eval/classifier.json` on the statistics of
/// the normalised log-mel (`mel/mel_config.json`, computed by AudioModality's `MelSpectrogram`);
/// register = median f0 over voiced frames, low < 170 Hz ≤ middle < 480 Hz ≤ high, with a YIN
/// estimate where eval_audio.py runs `librosa.pyin` (the one deliberate deviation, see `YINPitch`);
/// loudness = peak of the 50 ms RMS envelope against `eval/evaluators.json`'s threshold.
/// `mainPassed` is the coarse family (instrument / speech / effect), eval_audio.py's `coarse`
/// score; the fine family is judged too when the prompt names one.
public enum AudioEvaluator {
    /// Judges `audio` against `prompt` with the bundled `Models/diffuse-audio-16k` files.
    public static func judge(_ audio: PCMAudio, prompt: String) throws -> Adherence {
        try judge(audio, prompt: prompt, modelFolder: EvaluatorFiles.bundledAudioModel())
    }

    /// Judges with the files of `folder` (`mel/`, `eval/`).
    public static func judge(_ audio: PCMAudio, prompt: String, modelFolder folder: URL) throws -> Adherence {
        try judge(audio, prompt: prompt, model: try AudioJudgeModel(modelFolder: folder))
    }

    /// Judges with files already loaded (for many clips).
    public static func judge(_ audio: PCMAudio, prompt: String, model: AudioJudgeModel) throws -> Adherence {
        let asked = AudioPromptAttributes(prompt: prompt)
        let a = try analyze(audio, model: model)
        var judgements: [AttributeJudgement] = []
        if let family = asked.family {
            judgements.append(AttributeJudgement(attribute: "family", expected: family, observed: a.family,
                                                 passed: a.family == family))
        }
        if let coarse = asked.coarseFamily {
            judgements.append(AttributeJudgement(attribute: "coarse family", expected: coarse, observed: a.coarseFamily,
                                                 passed: a.coarseFamily == coarse))
        }
        if let register = asked.register {
            judgements.append(AttributeJudgement(attribute: "register", expected: register, observed: a.register,
                                                 passed: a.register == register))
        }
        if let loudness = asked.loudness {
            judgements.append(AttributeJudgement(attribute: "loudness", expected: loudness, observed: a.loudness,
                                                 passed: a.loudness == loudness))
        }
        return Adherence(judgements: judgements, mainPassed: judgements.first { $0.attribute == "coarse family" }?.passed)
    }

    /// Every measurement of `audio`.
    public static func analyze(_ audio: PCMAudio, model: AudioJudgeModel) throws -> AudioAnalysis {
        let mel = model.mel
        let wave = try waveform(audio, sampleRate: mel.sampleRate, length: mel.numSamples)
        let x = try normalisedLogMel(wave, mel: mel, spectrogram: model.spectrogram)    // [mels, frames]
        let features = SoundFamilyClassifier.features(x, mels: mel.nMels, frames: mel.frames)
        let logits = model.classifier.logits(features)
        let family = model.classifier.classes[logits.firstIndex(of: logits.max()!)!]     // np.argmax: first maximum
        let f0s = try YINPitch(sampleRate: mel.sampleRate).f0(wave).compactMap { $0 }
        let f0 = f0s.isEmpty ? nil : median(f0s)
        let register = f0.map { $0 < 170 ? "low" : $0 < 480 ? "middle" : "high" } ?? "none"
        let db = peakDB(wave, sampleRate: mel.sampleRate)
        return AudioAnalysis(features: features, logits: logits, probabilities: ImageEvaluator.softmax(logits),
                             family: family, coarseFamily: SoundVocabulary.coarse(family), f0: f0,
                             voicedFrames: f0s.count, register: register, peakDB: db,
                             loudness: db >= model.loudnessThresholdDB ? "loud" : "soft")
    }

    /// The clip as the evaluators' data: the mean of its channels, at `sampleRate`, zero-padded
    /// or cut to `length` samples (`data_audio.fit_length`). Throws for NaN or infinite samples.
    public static func waveform(_ audio: PCMAudio, sampleRate: Int, length: Int) throws -> [Float] {
        if let bad = audio.firstNonFinite {
            throw EvaluatorError(media: "the audio has a non-finite sample at frame \(bad.frame), channel \(bad.channel)")
        }
        let channels = audio.channels
        var mono = [Float](repeating: 0, count: audio.frameCount)
        for f in 0..<audio.frameCount {
            var sum: Float = 0
            for c in 0..<channels { sum += audio.samples[f * channels + c] }
            mono[f] = sum / Float(channels)
        }
        if audio.sampleRate != sampleRate, !mono.isEmpty {
            mono = try AudioResampler.resample(try PCMAudio(sampleRate: audio.sampleRate, mono: mono), to: sampleRate).samples
        }
        var out = [Float](repeating: 0, count: length)
        for i in 0..<min(length, mono.count) { out[i] = mono[i] }
        return out
    }

    /// `data_audio_mel.normalize(log_mel(wave))` for one clip: [mels, frames], row-major.
    public static func normalisedLogMel(_ wave: [Float], mel: MelSpectrogramConfig) throws -> [Float] {
        try normalisedLogMel(wave, mel: mel, spectrogram: try mel.melSpectrogram())
    }

    static func normalisedLogMel(_ wave: [Float], mel: MelSpectrogramConfig, spectrogram melSpectrogram: MelSpectrogram) throws -> [Float] {
        let spectrogram = try melSpectrogram(Tensor(shape: [1, wave.count], scalars: wave))          // [1, mels, frames]
        guard spectrogram.shape == [1, mel.nMels, mel.frames] else {
            throw EvaluatorError(media: "the mel spectrogram is \(spectrogram.shape), expected [1, \(mel.nMels), \(mel.frames)]")
        }
        let (clamp, scale, bias) = (Float(mel.logClamp), Float(mel.normalizeScale), Float(mel.normalizeBias))
        return spectrogram.scalars.map { log(max($0, clamp)) * scale + bias }
    }

    /// `eval_audio.peak_db`: 20·log10(max 50 ms RMS + 1e-9), the RMS over every full window
    /// (`np.convolve(a², ones(n)/n, "valid")`); −180 dB for a clip shorter than one window.
    public static func peakDB(_ wave: [Float], sampleRate: Int) -> Double {
        let n = Int(0.05 * Double(sampleRate))
        guard n >= 1, wave.count >= n else { return 20 * log10(1e-9) }
        var prefix = [Double](repeating: 0, count: wave.count + 1)
        for i in wave.indices { prefix[i + 1] = prefix[i] + Double(wave[i]) * Double(wave[i]) }
        var peak = 0.0
        for start in 0...(wave.count - n) { peak = max(peak, (prefix[start + n] - prefix[start]) / Double(n)) }
        return 20 * log10(peak.squareRoot() + 1e-9)
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
