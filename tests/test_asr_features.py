"""The Granite log-mel front end against an independent numpy reference, and the audio token count."""

from __future__ import annotations

import importlib.util
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from app.asr.granite.features import audio_token_count, feature_frames, log_mel_features


def _reference_features(wave: np.ndarray) -> np.ndarray:
    """The GRANITE.md formula written independently in float64 numpy: frames, rfft, HTK mel bank."""
    n_fft, win, hop, n_mels, sr = 512, 400, 160, 80, 16000
    x = np.asarray(wave, dtype=np.float64)
    padded = np.pad(x, (n_fft // 2, n_fft // 2), mode="reflect")
    n_frames = 1 + (len(padded) - n_fft) // hop
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win) / win)  # periodic
    window = np.zeros(n_fft)
    left = (n_fft - win) // 2
    window[left : left + win] = hann
    frames = np.stack([padded[i * hop : i * hop + n_fft] * window for i in range(n_frames)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # [frames, 257]

    def mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    edges_mel = np.linspace(mel(0.0), mel(sr / 2), n_mels + 2)
    edges_hz = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.arange(n_fft // 2 + 1) * (sr / n_fft)
    bank = np.zeros((n_fft // 2 + 1, n_mels))
    for m in range(n_mels):
        lo, mid, hi = edges_hz[m], edges_hz[m + 1], edges_hz[m + 2]
        rising = (freqs - lo) / (mid - lo)
        falling = (hi - freqs) / (hi - mid)
        bank[:, m] = np.clip(np.minimum(rising, falling), 0.0, None)
    logmel = np.log10(np.maximum(power @ bank, 1e-10))
    logmel = np.maximum(logmel, logmel.max() - 8.0) / 4.0 + 1.0
    if logmel.shape[0] % 2:
        logmel = logmel[:-1]
    return logmel.reshape(-1, 2 * n_mels)


def _signals() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(16000 * 2) / 16000
    chirp = 0.4 * np.sin(2 * np.pi * (200 + 1500 * t) * t)
    return [
        chirp.astype(np.float32),  # 32000 samples: 201 mel frames (odd, last dropped)
        (0.05 * rng.standard_normal(16160)).astype(np.float32),  # 102 mel frames (even)
        (0.3 * np.sin(2 * np.pi * 300 * t[:5000])).astype(np.float32),
        np.zeros(4000, dtype=np.float32),  # silence: everything at the floor
    ]


def test_features_match_numpy_reference(speech_16k: np.ndarray) -> None:
    for wave in _signals() + [speech_16k]:
        feats, lengths = log_mel_features([wave])
        ref = _reference_features(wave)
        assert feats.dtype == torch.float32 and feats.shape == (1, ref.shape[0], 160)
        assert lengths == [ref.shape[0]] == [feature_frames(len(wave))]
        assert np.abs(feats[0].numpy() - ref).max() <= 1e-4


def test_batch_is_right_padded_and_each_sample_equals_its_solo_features() -> None:
    waves = _signals()
    feats, lengths = log_mel_features(waves)
    assert feats.shape == (len(waves), max(lengths), 160)
    for i, wave in enumerate(waves):
        solo, solo_len = log_mel_features([wave])
        assert solo_len == [lengths[i]]
        assert torch.equal(feats[i, : lengths[i]], solo[0])
        pad = feats[i, lengths[i] :]
        if pad.numel():
            # padding is this sample's silence floor, the smallest value the formula can produce
            assert torch.all(pad == pad[0, 0]) and pad[0, 0] <= solo[0].min() + 1e-6


def test_very_short_audio_is_padded_not_rejected() -> None:
    feats, lengths = log_mel_features([np.full(100, 0.1, dtype=np.float32)])
    assert lengths[0] == feature_frames(100) >= 1 and feats.shape[1] == lengths[0]
    assert audio_token_count(100) == 3


def test_stereo_is_rejected() -> None:
    with pytest.raises(ValueError, match="mono"):
        log_mel_features([np.zeros((2, 16000), dtype=np.float32)])


def test_audio_token_count_matches_formula_and_transformers() -> None:
    from transformers import GraniteSpeechFeatureExtractor

    lengths = [400, 4799, 4800, 16000, 47999, 48000, 160_000, 480_000, 480_159]
    fake_self = SimpleNamespace(
        melspec_kwargs={"hop_length": 160}, projector_window_size=15, projector_downsample_rate=5
    )
    upstream = GraniteSpeechFeatureExtractor._get_num_audio_features(fake_self, lengths)
    for n, expected in zip(lengths, upstream):
        blocks = math.ceil(((n // 160 + 1) // 2) / 15)
        assert audio_token_count(n) == 3 * blocks == expected
    assert audio_token_count(480_000) == 300  # 30 s -> about 10 tokens per second


@pytest.mark.skipif(importlib.util.find_spec("torchaudio") is None, reason="torchaudio is not installed")
def test_features_match_transformers_extractor(speech_16k: np.ndarray) -> None:
    from transformers import GraniteSpeechFeatureExtractor

    extractor = GraniteSpeechFeatureExtractor()
    for wave in _signals()[:3] + [speech_16k]:
        ref = extractor([wave])["input_features"][0].numpy()
        ours, _ = log_mel_features([wave])
        assert ours.shape[1:] == ref.shape
        assert np.abs(ours[0].numpy() - ref).max() <= 1e-4
