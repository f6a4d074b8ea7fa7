"""data_audio_mel: shared definitions for the diffuse-audio-16k recipes: the log-mel representation (what the
Swift side reproduces from Models/diffuse-audio-16k/mel/mel_config.json), the Griffin-Lim
vocoder, the UNet and the label vocabulary.

Mel conventions (Modalities/Audio/DSP: STFT, melFilterbank, MelSpectrogram, GriffinLimVocoder):
16 kHz mono, 65280 samples (256 frames; GL output length hop·(frames−1) = 65280), torch.stft
with n_fft 1024, hop 256, win 1024, periodic Hann, center=True, reflect padding, magnitude
(power 1); librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, fmin=0, fmax=8000, htk=False,
norm="slaney"); log(clamp(mel, 1e-5)); normalised = log_mel * SCALE + BIAS (≈ [-1, 1]).
Vocoder: denormalise, exp, pseudo-inverse of the filterbank + ReLU (torchaudio InverseMelScale),
fast Griffin-Lim (torchaudio convention: angles = rebuilt − momentum·previous, rand_init False).
"""
import numpy as np
import torch

SAMPLE_RATE = 16000
N_FFT = 1024
HOP = 256
WIN = 1024
N_MELS = 64
FMIN = 0.0
FMAX = 8000.0
FRAMES = 256
NUM_SAMPLES = HOP * (FRAMES - 1)          # 65280 samples = 4.08 s
LOG_CLAMP = 1e-5
# log-mel range on the data set is about [-11.5, 2.5]: map [LOG_MIN, LOG_MAX] -> [-1, 1]
LOG_MIN = -11.5129                        # log(1e-5)
LOG_MAX = 2.5
SCALE = 2.0 / (LOG_MAX - LOG_MIN)
BIAS = -1.0 - LOG_MIN * SCALE
GL_ITERATIONS = 64
GL_MOMENTUM = 0.99

FAMILIES = ["piano", "strings", "brass", "woodwind", "guitar", "organ", "bass", "drums", "speech", "effect"]
REGISTERS = ["low", "middle", "high"]


def mel_config():
    return {
        "sample_rate": SAMPLE_RATE, "num_samples": NUM_SAMPLES, "frames": FRAMES,
        "n_fft": N_FFT, "hop_length": HOP, "win_length": WIN, "window": "hann_periodic",
        "center": True, "pad_mode": "reflect", "power": 1.0,
        "n_mels": N_MELS, "f_min": FMIN, "f_max": FMAX, "mel_scale": "slaney", "mel_norm": "slaney",
        "log": "natural", "log_clamp": LOG_CLAMP,
        "normalize_scale": SCALE, "normalize_bias": BIAS,
        "normalize": "x = log(max(mel, log_clamp)) * normalize_scale + normalize_bias; "
                     "inverse: log_mel = (x - normalize_bias) / normalize_scale",
        "layout": "[1, n_mels, frames]: channel 1, mel bin 0 (lowest frequency) at row 0, frame t centred at sample t*hop_length",
    }


def vocoder_config():
    return {
        "type": "griffin_lim", "iterations": GL_ITERATIONS, "momentum": GL_MOMENTUM,
        "rand_init": False, "inverse_mel": "pseudo_inverse_relu",
        "length": NUM_SAMPLES,
        "reference": "torchaudio.transforms.InverseMelScale + GriffinLim(power=1); Swift GriffinLimVocoder",
    }


_FB = {}


def filterbank():
    if "fb" not in _FB:
        import librosa
        fb = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=False,
                                 norm="slaney")
        _FB["fb"] = torch.from_numpy(fb.astype(np.float32))            # [64, 513]
        _FB["pinv"] = torch.linalg.pinv(_FB["fb"].double()).float()    # [513, 64]
        _FB["win"] = torch.hann_window(WIN, periodic=True)
    return _FB


def stft(x):
    return torch.stft(x, N_FFT, HOP, WIN, window=filterbank()["win"], center=True, pad_mode="reflect",
                      return_complex=True)


def fit_length(audio):
    """Pads or trims a mono float waveform to NUM_SAMPLES."""
    out = np.zeros(NUM_SAMPLES, np.float32)
    n = min(len(audio), NUM_SAMPLES)
    out[:n] = audio[:n]
    return out


def log_mel(audio):
    """[N, T] or [T] waveform (numpy or torch) -> natural-log mel [N, 64, frames]."""
    x = torch.as_tensor(np.asarray(audio, np.float32))
    if x.dim() == 1:
        x = x[None]
    mag = stft(x).abs()                                                # [N, 513, frames]
    mel = torch.matmul(filterbank()["fb"], mag)                        # [N, 64, frames]
    return torch.log(torch.clamp(mel, min=LOG_CLAMP))


def normalize(lm):
    return lm * SCALE + BIAS


def denormalize(x):
    return (x - BIAS) / SCALE


def griffin_lim(log_mel_spec, iterations=GL_ITERATIONS, momentum=GL_MOMENTUM):
    """[N, 64, frames] natural-log mel -> [N, hop*(frames-1)] waveform, as the Swift GriffinLimVocoder."""
    fb = filterbank()
    mel = torch.exp(torch.as_tensor(log_mel_spec, dtype=torch.float32))
    mag = torch.relu(torch.matmul(fb["pinv"], mel))                    # [N, 513, frames]
    length = HOP * (mag.shape[-1] - 1)
    angles = torch.ones_like(mag, dtype=torch.complex64)
    prev = torch.zeros_like(angles)
    for _ in range(iterations):
        inv = torch.istft(mag * angles, N_FFT, HOP, WIN, window=fb["win"], center=True, length=length)
        rebuilt = stft(inv)
        angles = rebuilt - momentum * prev
        angles = angles / (angles.abs() + 1e-16)
        prev = rebuilt
    return torch.istft(mag * angles, N_FFT, HOP, WIN, window=fb["win"], center=True, length=length)


def unet_config():
    """The diffuse-audio-16k UNet: [1, 64, 256] log-mel, cross-attention (all-MiniLM-L6-v2, 384)
    at the lowest resolution (8x32) and in the mid block only."""
    return dict(
        sample_size=[N_MELS, FRAMES],
        in_channels=1, out_channels=1,
        block_out_channels=[8, 16, 32, 64],
        layers_per_block=1,
        down_block_types=["DownBlock2D", "DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"],
        up_block_types=["CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D", "UpBlock2D"],
        mid_block_type="UNetMidBlock2DCrossAttn",
        cross_attention_dim=384,
        attention_head_dim=32,
        norm_num_groups=4,
        act_fn="silu",
    )
