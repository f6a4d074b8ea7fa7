import AudioModality
import Foundation

/// eval_audio.py's sound-family classifier, read from `<audio model>/eval/classifier.json`:
/// `z = (features − mean) / scale`, `class = argmax(coef @ z + intercept)` (a standardised
/// multinomial logistic regression over `SoundFamilyClassifier.features`).
public struct SoundFamilyClassifier: Sendable, Equatable {
    /// Family names in class order.
    public let classes: [String]
    /// The standardiser's mean, [features].
    public let mean: [Double]
    /// The standardiser's scale (standard deviation), [features]; no entry is 0.
    public let scale: [Double]
    /// [classes, features], row-major.
    public let coef: [Double]
    /// [classes].
    public let intercept: [Double]

    /// Reads `url`, whose vectors must have `featureCount` entries (5 · n_mels + 4); throws
    /// `EvaluatorError` naming the file and what is wrong.
    public init(contentsOf url: URL, featureCount: Int) throws {
        let json = try EvaluatorJSON(contentsOf: url, hint: "run Models/recipes/eval_audio.py classifier")
        classes = try json.strings("classes")
        mean = try json.numbers("mean", count: featureCount)
        scale = try json.numbers("scale", count: featureCount)
        if let zero = scale.firstIndex(of: 0) {
            throw EvaluatorError(path: url.path, "scale[\(zero)] is 0 (features are divided by it)")
        }
        coef = try json.matrix("coef", rows: classes.count, columns: featureCount)
        intercept = try json.numbers("intercept", count: classes.count)
    }

    /// `coef @ ((features − mean) / scale) + intercept`, float64.
    public func logits(_ features: [Double]) -> [Double] {
        let n = mean.count
        let z = (0..<n).map { (features[$0] - mean[$0]) / scale[$0] }
        return (0..<classes.count).map { k in
            var sum = intercept[k]
            for j in 0..<n { sum += coef[k * n + j] * z[j] }
            return sum
        }
    }

    /// `eval_audio.features` of one normalised log-mel `x` [mels, frames] (row-major): per mel
    /// bin the mean, std, max over frames, mean |x[t+1] − x[t]| and the mean over the loudest
    /// quarter of frames (by the frame's mean over bins); per clip the std and max of the frame
    /// means, the fraction of frame means above −0.5 and their mean |Δt|. 5 · mels + 4 values.
    public static func features(_ x: [Float], mels: Int, frames: Int) -> [Double] {
        var frameMean = [Double](repeating: 0, count: frames)
        for m in 0..<mels {
            for t in 0..<frames { frameMean[t] += Double(x[m * frames + t]) }
        }
        for t in 0..<frames { frameMean[t] = Double(Float(frameMean[t] / Double(mels))) }
        // np.argsort(-frame)[:frames // 4]: the loudest quarter (ties: lower index first, as a stable sort)
        let loudest = frameMean.indices.sorted { frameMean[$0] > frameMean[$1] || (frameMean[$0] == frameMean[$1] && $0 < $1) }
            .prefix(frames / 4)
        var mean = [Double](repeating: 0, count: mels), std = mean, maximum = mean, delta = mean, loud = mean
        for m in 0..<mels {
            let row = (0..<frames).map { Double(x[m * frames + $0]) }
            let mu = row.reduce(0, +) / Double(frames)
            mean[m] = mu
            std[m] = (row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(frames)).squareRoot()
            maximum[m] = row.max() ?? 0
            delta[m] = frames > 1 ? (1..<frames).reduce(0) { $0 + abs(row[$1] - row[$1 - 1]) } / Double(frames - 1) : 0
            loud[m] = loudest.isEmpty ? 0 : loudest.reduce(0) { $0 + row[$1] } / Double(loudest.count)
        }
        let fmu = frameMean.reduce(0, +) / Double(frames)
        let clip = [
            (frameMean.reduce(0) { $0 + ($1 - fmu) * ($1 - fmu) } / Double(frames)).squareRoot(),
            frameMean.max() ?? 0,
            Double(frameMean.filter { $0 > -0.5 }.count) / Double(frames),
            frames > 1 ? (1..<frames).reduce(0) { $0 + abs(frameMean[$1] - frameMean[$1 - 1]) } / Double(frames - 1) : 0,
        ]
        return mean + std + maximum + delta + loud + clip
    }
}

/// The files the audio judge reads from an audio model folder: `mel/mel_config.json` (the
/// log-mel the classifier's features are computed on), `eval/classifier.json` and
/// `eval/evaluators.json` (`loudness_threshold_db`).
public struct AudioJudgeModel: Sendable {
    /// The normalised log-mel settings (`data_audio_mel.py`).
    public let mel: MelSpectrogramConfig
    /// The family classifier.
    public let classifier: SoundFamilyClassifier
    /// Soft below, loud at or above this peak 50 ms RMS level, dBFS.
    public let loudnessThresholdDB: Double
    /// `mel`'s spectrogram (STFT and filterbank), built once.
    let spectrogram: MelSpectrogram

    /// Reads the files of `folder` (e.g. `Models/diffuse-audio-16k`); throws `EvaluatorError`
    /// naming the file and what is wrong.
    public init(modelFolder folder: URL) throws {
        let melURL = folder.appendingPathComponent("mel").appendingPathComponent("mel_config.json")
        let melJSON = try EvaluatorJSON(contentsOf: melURL)
        let mel: MelSpectrogramConfig
        do {
            mel = try JSONDecoder().decode(MelSpectrogramConfig.self, from: Data(contentsOf: melURL))
        } catch DecodingError.keyNotFound(let key, _) {
            throw EvaluatorError(path: melJSON.path, "key \"\(key.stringValue)\" is missing")
        } catch {
            throw EvaluatorError(path: melJSON.path, "is not a valid mel configuration (a field has the wrong type)")
        }
        guard mel.sampleRate >= 1000, mel.frames >= 2, mel.nMels >= 1, mel.hopLength >= 1,
              mel.numSamples == mel.hopLength * (mel.frames - 1) else {
            throw EvaluatorError(path: melJSON.path, "sample_rate, frames, n_mels, hop_length and num_samples "
                                 + "must be positive with num_samples = hop_length · (frames − 1)")
        }
        guard mel.logClamp > 0, mel.normalizeScale.isFinite, mel.normalizeScale != 0, mel.normalizeBias.isFinite else {
            throw EvaluatorError(path: melJSON.path, "log_clamp must be positive and normalize_scale/bias finite (scale ≠ 0)")
        }
        do { spectrogram = try mel.melSpectrogram() } catch {
            throw EvaluatorError(path: melJSON.path, "describes no usable mel spectrogram (\(error))")
        }
        self.mel = mel
        let eval = folder.appendingPathComponent("eval")
        classifier = try SoundFamilyClassifier(contentsOf: eval.appendingPathComponent("classifier.json"),
                                               featureCount: 5 * mel.nMels + 4)
        let thresholds = try EvaluatorJSON(contentsOf: eval.appendingPathComponent("evaluators.json"),
                                           hint: "run Models/recipes/eval_audio.py classifier")
        loudnessThresholdDB = try thresholds.number("loudness_threshold_db")
    }
}
