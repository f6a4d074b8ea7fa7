import DiffusionCore
import Foundation
import MediaIO
import Networks
import PipelineComponents
import Tensors

/// The geometry of one clip: how a duration becomes mel frames, latents and samples, as
/// diffusers' `AudioLDMPipeline.__call__` computes it.
public struct AudioGeometry: Sendable, Equatable {
    /// The duration asked for (`audio_length_in_s`).
    public var seconds: Double
    /// Mel frames the VAE decodes (`height`): `int(seconds / vocoder_upsample_factor)` rounded
    /// up to a multiple of the VAE's factor.
    public var frames: Int
    /// Mel bins (the vocoder's `model_in_dim`).
    public var melBins: Int
    /// Samples kept from the vocoder's output (`original_waveform_length = int(seconds · sampling_rate)`).
    public var samples: Int
    /// The vocoder's sample rate.
    public var sampleRate: Int
    /// The latent's [C, frames/f, melBins/f].
    public var latentShape: [Int]

    /// The geometry of a clip of `seconds` for a vocoder making `hopLength` samples per frame at
    /// `sampleRate` from `melBins` bins, and a VAE of factor `vaeFactor`:
    /// `vocoder_upsample_factor = hopLength / sampleRate`, `height = int(seconds /
    /// vocoder_upsample_factor)` rounded up to a multiple of `vaeFactor`,
    /// `original_waveform_length = int(seconds · sampleRate)`, in Double as Python computes them.
    /// Throws `AudioError.invalidValue` for a duration that is not finite and positive, is below
    /// `vocoder_upsample_factor · vaeFactor` (diffusers' `check_inputs`) or above
    /// `AudioAdapter.maximumSeconds`, and `.unsupportedModel` for mel bins not divisible by `vaeFactor`.
    public init(seconds: Double, hopLength: Int, sampleRate: Int, melBins: Int, vaeFactor: Int, latentChannels: Int) throws {
        let name = "duration", value = "\(seconds) s"
        guard seconds.isFinite, seconds > 0 else {
            throw AudioError.invalidValue(name, value, "it must be a positive number of seconds")
        }
        guard hopLength >= 1, sampleRate >= 1, vaeFactor >= 1, melBins % vaeFactor == 0 else {
            throw AudioError.unsupportedModel("\(melBins) mel bins are not divisible by the VAE's factor \(vaeFactor)")
        }
        let upsampleFactor = Double(hopLength) / Double(sampleRate)            // vocoder_upsample_factor
        let minimum = upsampleFactor * Double(vaeFactor)
        guard seconds >= minimum else {
            throw AudioError.invalidValue(name, value, "this model needs at least \(minimum) s (vocoder_upsample_factor × VAE factor)")
        }
        guard seconds <= AudioAdapter.maximumSeconds else {
            throw AudioError.invalidValue(name, value, "it must be at most \(Int(AudioAdapter.maximumSeconds)) s")
        }
        var frames = Int(seconds / upsampleFactor)                             // height
        if frames % vaeFactor != 0 { frames = Int((Double(frames) / Double(vaeFactor)).rounded(.up)) * vaeFactor }
        self.seconds = seconds
        self.frames = frames
        self.melBins = melBins
        samples = Int(seconds * Double(sampleRate))                            // original_waveform_length
        self.sampleRate = sampleRate
        latentShape = [latentChannels, frames / vaeFactor, melBins / vaeFactor]
    }
}

/// The audio modality's adapter (the `ModalityAdapter` shape of ARCHITECTURE.md): what an
/// AudioLDM latent looks like (a VAE latent of a log-mel "image" [frames, mel bins]), and how
/// latents become waveforms (VAE → log-mel → vocoder) and waveforms latents (log-mel → VAE).
///
/// Reference: diffusers `AudioLDMPipeline.__call__` (duration → height, trimming),
/// `prepare_latents` (shape), `decode_latents` and `mel_spectrogram_to_waveform` (decode);
/// encode follows AudioLDM's style transfer (audioldm `wav_to_fbank`: `normalize_wav`, then the
/// log-mel of `TacotronSTFT`), which diffusers does not ship.
public struct AudioAdapter: Sendable {
    /// Clips whose peak is below this (−100 dBFS) are reported as silent, never written.
    public static let silenceThreshold: Float = 1e-5
    /// The longest clip accepted (seconds): ten minutes, far beyond AudioLDM's 10 s training clips.
    public static let maximumSeconds: Double = 600

    /// The VAE over log-mel images [B, 1, frames, mels].
    public let vae: any LatentImageCodec
    /// The vocoder (log-mel frames → waveform).
    public let vocoder: SpeechT5HifiGan
    /// The duration used when a request gives none (`unet.config.sample_size · vae_scale_factor ·
    /// vocoder_upsample_factor`).
    public let defaultSeconds: Double
    /// The memory a duration may need (bytes; default: the machine's physical memory).
    public let memoryLimit: UInt64

    /// An adapter over `vae` and `vocoder`; `sampleSize` is the UNet's `sample_size`.
    public init(vae: any LatentImageCodec, vocoder: SpeechT5HifiGan, sampleSize: Int,
                memoryLimit: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        let f = vae.downsamplingFactor
        guard f >= 1, vocoder.config.modelInDim % f == 0 else {
            throw AudioError.unsupportedModel("the vocoder's \(vocoder.config.modelInDim) mel bins are not divisible by the VAE's factor \(f)")
        }
        self.vae = vae
        self.vocoder = vocoder
        self.memoryLimit = memoryLimit
        defaultSeconds = Double(sampleSize * f) * (Double(vocoder.config.hopLength) / Double(vocoder.config.samplingRate))
    }

    /// Seconds of audio per mel frame: `prod(upsample_rates) / sampling_rate`.
    public var vocoderUpsampleFactor: Double { Double(vocoder.config.hopLength) / Double(vocoder.config.samplingRate) }

    /// The shortest duration the model can make: `vocoder_upsample_factor · vae_scale_factor`.
    public var minimumSeconds: Double { vocoderUpsampleFactor * Double(vae.downsamplingFactor) }

    /// The geometry of `request`'s clip (its duration, else the init clip's, else the default).
    /// Throws `AudioError.invalidValue` for a duration that is not finite, below
    /// `minimumSeconds`, above `maximumSeconds`, or whose decoding would not fit in `memoryLimit`.
    public func geometry(for request: AudioRequest) throws -> AudioGeometry {
        try geometry(seconds: request.seconds ?? request.initAudio?.duration ?? defaultSeconds)
    }

    /// The geometry of a clip of `seconds` (see `geometry(for:)`).
    public func geometry(seconds: Double) throws -> AudioGeometry {
        let config = vocoder.config
        let geometry = try AudioGeometry(seconds: seconds, hopLength: config.hopLength, sampleRate: config.samplingRate,
                                         melBins: config.modelInDim, vaeFactor: vae.downsamplingFactor,
                                         latentChannels: vae.latentChannels)
        let needed = vae.estimatedBytes(width: geometry.melBins, height: geometry.frames), available = Double(memoryLimit)
        guard needed <= available else {
            throw AudioError.invalidValue("duration", "\(seconds) s", String(
                format: "decoding it needs about %.1f GiB, more than the %.1f GiB of memory here", needed / 0x1p30, available / 0x1p30))
        }
        return geometry
    }

    /// The latent's shape for `request`: [count, C, frames/f, mels/f].
    public func latentShape(for request: AudioRequest) throws -> [Int] {
        [request.count] + (try geometry(for: request)).latentShape
    }

    /// Final latents [B, C, h, w] → the log-mel spectrograms [B, frames, mels]
    /// (`vae.decode(latents / scaling_factor).sample.squeeze(1)`). Throws
    /// `AudioError.nonFiniteWaveform` when the decoder produced NaN or infinity.
    public func decodeMel(_ latents: Tensor) throws -> Tensor {
        let image = try vae.decodeImages(latents)                               // [B, 1, frames, mels]
        guard image.rank == 4, image.shape[1] == 1 else {
            throw AudioError.unsupportedModel("the VAE decodes \(image.shape[1]) channels; a mel spectrogram has 1")
        }
        let (batch, frames, mels) = (image.shape[0], image.shape[2], image.shape[3])
        if let bad = image.scalars.firstIndex(where: { !$0.isFinite }) {
            let per = frames * mels, within = bad % per
            throw AudioError.nonFiniteWaveform(index: bad / per, detail: "the VAE decoder produced \(image.scalars[bad]) "
                                               + "at mel frame \(within / mels), bin \(within % mels)")
        }
        return image.reshaped([batch, frames, mels])                            // [B, frames, mels]
    }

    /// Log-mel [B, frames, mels] → waveforms [B, samples] trimmed to `geometry.samples`
    /// (`vocoder(mel)[:, :original_waveform_length]`). Throws `AudioError.nonFiniteWaveform`
    /// or `.silentWaveform` for a clip that must not be written.
    public func waveforms(fromMel mel: Tensor, geometry: AudioGeometry) throws -> Tensor {
        let full = try vocoder(mel)                                             // [B, N]
        let (batch, produced) = (full.shape[0], full.shape[1])
        let kept = min(produced, geometry.samples)
        let wave = Tensor(shape: [batch, kept]) { out in                        // [B, samples]
            full.scalars.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    (out.baseAddress! + b &* kept).update(from: src.baseAddress! + b &* produced, count: kept)
                }
            }
        }
        try Self.checkAudible(wave)
        return wave
    }

    /// Final latents → one mono clip per batch item at the vocoder's rate.
    public func decode(_ latents: Tensor, geometry: AudioGeometry) throws -> [PCMAudio] {
        try clips(try waveforms(fromMel: try decodeMel(latents), geometry: geometry), sampleRate: geometry.sampleRate)
    }

    /// [B, samples] → B mono clips at `sampleRate`.
    public func clips(_ waveforms: Tensor, sampleRate: Int) throws -> [PCMAudio] {
        let (batch, samples) = (waveforms.shape[0], waveforms.shape[1])
        return try (0..<batch).map { b in
            try PCMAudio(sampleRate: sampleRate, mono: Array(waveforms.scalars[(b * samples)..<((b + 1) * samples)]))
        }
    }

    /// Throws for a waveform row [B, samples] that holds NaN or infinity, or is silent.
    public static func checkAudible(_ waveforms: Tensor) throws {
        let batch = waveforms.shape[0], samples = waveforms.count / max(batch, 1)
        for b in 0..<batch {
            var peak: Float = 0
            for i in 0..<samples {
                let s = waveforms.scalars[b * samples + i]
                guard s.isFinite else {
                    throw AudioError.nonFiniteWaveform(index: b, detail: "the vocoder produced \(s) at sample \(i)")
                }
                peak = max(peak, abs(s))
            }
            if peak < silenceThreshold { throw AudioError.silentWaveform(index: b, peak: peak) }
        }
    }

    /// The log-mel analysis matching the vocoder (`MelSpectrogram.audioLDM()` for AudioLDM's
    /// 16 kHz, 64 bins, hop 160; otherwise the same recipe: n_fft the power of two ≥ 4·hop,
    /// Hann window of n_fft, Slaney mels from 0 to min(8000, sr/2) Hz, magnitude).
    public func melSpectrogram() throws -> MelSpectrogram {
        let config = vocoder.config, hop = config.hopLength
        if config.samplingRate == 16000, config.modelInDim == 64, hop == 160 { return try .audioLDM() }
        var nFFT = 1
        while nFFT < 4 * hop { nFFT *= 2 }
        return try MelSpectrogram(stft: STFT(nFFT: nFFT, hopLength: hop, winLength: nFFT),
                                  filterbank: melFilterbank(sampleRate: config.samplingRate, nFFT: nFFT, nMels: config.modelInDim,
                                                            fMin: 0, fMax: min(8000, Double(config.samplingRate) / 2)),
                                  power: 1)
    }

    /// `audio` → the log-mel image the VAE encodes, [1, 1, frames, mels]: mixed to mono,
    /// resampled to the vocoder's rate, normalised as AudioLDM's `normalize_wav` (mean removed,
    /// peak 0.5), padded with silence or cut to `geometry.frames · hop` samples.
    public func logMelImage(of audio: PCMAudio, geometry: AudioGeometry) throws -> Tensor {
        let hop = vocoder.config.hopLength
        var clip = audio
        if clip.channels > 1 {
            var mono = [Float](repeating: 0, count: clip.frameCount)
            for i in 0..<clip.frameCount {
                var sum: Float = 0
                for c in 0..<clip.channels { sum += clip.samples[i * clip.channels + c] }
                mono[i] = sum / Float(clip.channels)
            }
            clip = try PCMAudio(sampleRate: clip.sampleRate, mono: mono)
        }
        if clip.sampleRate != geometry.sampleRate { clip = try AudioResampler.resample(clip, to: geometry.sampleRate) }
        if let (frame, _) = clip.firstNonFinite {
            throw AudioError.invalidValue("init audio", "sample \(frame)", "it is not a finite number")
        }
        let length = geometry.frames * hop
        var wave = Array(clip.samples.prefix(length))
        let mean = wave.isEmpty ? 0 : wave.reduce(0, +) / Float(wave.count)
        var peak: Float = 0
        for i in wave.indices { wave[i] -= mean; peak = max(peak, abs(wave[i])) }
        for i in wave.indices { wave[i] = wave[i] / (peak + 1e-8) * 0.5 }
        wave += [Float](repeating: 0, count: length - wave.count)
        let mel = logMel(try melSpectrogram()(Tensor(shape: [length], scalars: wave)))   // [mels, T']
        let (mels, available) = (mel.shape[0], mel.shape[1])
        let floor = log(Float(1e-5))
        return Tensor(shape: [1, 1, geometry.frames, mels]) { out in             // [1, 1, frames, mels]
            for t in 0..<geometry.frames {
                for m in 0..<mels { out[t * mels + m] = t < available ? mel.scalars[m * available + t] : floor }
            }
        }
    }

    /// Audio-to-audio's start: `audio` → log-mel → VAE posterior sample (its noise drawn first
    /// from `noise`) · `scaling_factor`, encoded once and repeated `count` times: [count, C, h, w].
    public func encode(_ audio: PCMAudio, geometry: AudioGeometry, count: Int, noise: inout some NoiseSource) throws -> Tensor {
        let image = try logMelImage(of: audio, geometry: geometry)             // [1, 1, frames, mels]
        let latent = try vae.encodeImages(image) { noise.randn($0) }            // [1, C, h, w]
        return repeatedAlongBatch(latent, count)                                 // [count, C, h, w]
    }
}
