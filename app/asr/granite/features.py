"""The Granite Speech audio front end in plain torch: 160-dim stacked log-mel features at 50 Hz.

Same formula as transformers' `GraniteSpeechFeatureExtractor` (which needs torchaudio): an STFT with
n_fft 512, a periodic Hann window of 400 samples centred in 512, hop 160, reflect padding (center=True),
power 2, 80 HTK mel bands without normalisation, log10(max(x, 1e-10)), then max(x, per-sample max - 8),
x / 4 + 1; an odd last frame is dropped and pairs of frames are stacked into 160-dim vectors.

Each waveform is processed on its own (its own reflect padding and its own maximum), so a piece gets the
same features alone or in a batch; the batch is then right-padded with that sample's silence floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

SAMPLE_RATE = 16_000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160
N_MELS = 80
FEATURE_DIM = 2 * N_MELS
PROJECTOR_WINDOW = 15
PROJECTOR_DOWNSAMPLE = 5
# Reflect padding needs more than n_fft // 2 samples; shorter audio is zero-padded up to this length.
MIN_SAMPLES = 400


def _hz_to_mel(freq: np.ndarray | float) -> np.ndarray | float:
    return 2595.0 * np.log10(1.0 + np.asarray(freq) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=4)
def mel_filterbank(n_freqs: int = N_FFT // 2 + 1, n_mels: int = N_MELS, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Triangular HTK-scale mel filters, no area normalisation: a [n_freqs, n_mels] float32 tensor."""
    all_freqs = np.linspace(0.0, sample_rate // 2, n_freqs)
    mel_points = np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2)
    f_pts = _mel_to_hz(mel_points)
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    banks = np.maximum(0.0, np.minimum(down, up))
    return torch.from_numpy(banks.astype(np.float32))


@lru_cache(maxsize=4)
def _window(device_str: str) -> torch.Tensor:
    return torch.hann_window(WIN_LENGTH, periodic=True, dtype=torch.float32, device=torch.device(device_str))


def effective_samples(n_samples: int) -> int:
    """The sample count the front end actually sees (very short audio is zero-padded)."""
    return max(int(n_samples), MIN_SAMPLES)


def feature_frames(n_samples: int) -> int:
    """Number of 160-dim feature frames (= encoder frames) for `n_samples` of audio."""
    mel_len = effective_samples(n_samples) // HOP_LENGTH + 1
    return mel_len // 2


def audio_token_count(n_samples: int) -> int:
    """How many `<|audio|>` tokens the AR models expect for a piece of `n_samples` (about 10 per second)."""
    blocks = math.ceil(feature_frames(n_samples) / PROJECTOR_WINDOW)
    return blocks * (PROJECTOR_WINDOW // PROJECTOR_DOWNSAMPLE)


def _one(wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[n] float32 -> ([frames, 160] stacked log-mel of one waveform, its silence floor value)."""
    if wave.numel() < MIN_SAMPLES:
        wave = torch.nn.functional.pad(wave, (0, MIN_SAMPLES - wave.numel()))
    spec = torch.stft(
        wave,
        n_fft=N_FFT,
        hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH,
        window=_window(str(wave.device)),
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    power = spec.real.square() + spec.imag.square()  # [257, mel_len]
    mel = power.transpose(0, 1) @ mel_filterbank().to(wave.device)  # [mel_len, 80]
    logmel = mel.clamp_min(1e-10).log10()
    floor = logmel.max() - 8.0
    logmel = torch.maximum(logmel, floor) / 4.0 + 1.0
    if logmel.shape[0] % 2 == 1:
        logmel = logmel[:-1]
    return logmel.reshape(-1, FEATURE_DIM), floor / 4.0 + 1.0


def log_mel_features(
    waveforms: Sequence[np.ndarray], device: torch.device | str | None = None
) -> tuple[torch.Tensor, list[int]]:
    """Features of a batch of 16 kHz mono float waveforms.

    Returns a float32 tensor [B, T, 160] (right-padded with each sample's silence floor, T the longest)
    and the number of valid frames of each sample.
    """
    if len(waveforms) == 0:
        raise ValueError("log_mel_features needs at least one waveform")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    feats: list[torch.Tensor] = []
    floors: list[torch.Tensor] = []
    with torch.no_grad():
        for wave in waveforms:
            arr = np.array(wave, dtype=np.float32)  # a copy: pieces are often slices of a read-only memmap
            if arr.ndim != 1:
                raise ValueError("each waveform must be 1-D mono audio (mix stereo down first)")
            feat, floor = _one(torch.from_numpy(arr).to(dev))
            feats.append(feat)
            floors.append(floor)
        lengths = [int(f.shape[0]) for f in feats]
        out = torch.empty((len(feats), max(lengths), FEATURE_DIM), dtype=torch.float32, device=dev)
        for i, f in enumerate(feats):
            out[i, : lengths[i]] = f
            if lengths[i] < out.shape[1]:
                out[i, lengths[i] :] = floors[i]  # what silence gives: (max - 8) / 4 + 1
    return out, lengths
