"""Log-mel features for the NAR model, computed per waveform so that a batch never changes an input.

As in IBM's remote code, which the checkpoint was trained with: of the n // 160 + 1 centred mel frames
only the first 2 * (n // 320) are kept (the trailing centre frame always goes, and one more when
n // 160 is odd; nothing is padded), the dynamic-range floor uses the maximum over the kept frames, and
an input has n // 320 encoder frames of 50 Hz. (A later transformers port appends a zero frame instead
and counts one frame more; the weights do not expect that.) Each waveform is transformed on its own;
the batch is then right-padded with zero frames and the valid lengths say where each input ends.
`batch_features(..., isolate=False)` reproduces the reference's batch instead: every waveform is
zero-padded to the longest before the transform, so padding leaks into the last valid frames.
"""

from __future__ import annotations

import numpy as np
import torch

SAMPLE_RATE = 16_000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160
N_MELS = 80

_MEL_BANKS: dict[str, torch.Tensor] = {}


def _hz_to_mel(f: torch.Tensor | float) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)


def _mel_to_hz(m: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_bank(device: torch.device | str = "cpu") -> torch.Tensor:
    """[257, 80] HTK-scale triangular filters over 0-8000 Hz, no normalisation."""
    key = str(device)
    if key not in _MEL_BANKS:
        n_freqs = N_FFT // 2 + 1
        freqs = torch.linspace(0, SAMPLE_RATE // 2, n_freqs, dtype=torch.float64)
        top = float(_hz_to_mel(SAMPLE_RATE / 2))
        m_pts = torch.linspace(float(_hz_to_mel(0.0)), top, N_MELS + 2, dtype=torch.float64)
        f_pts = _mel_to_hz(m_pts)
        f_diff = f_pts[1:] - f_pts[:-1]
        slopes = f_pts.unsqueeze(0) - freqs.unsqueeze(1)
        down = -slopes[:, :-2] / f_diff[:-1]
        up = slopes[:, 2:] / f_diff[1:]
        _MEL_BANKS[key] = torch.clamp(torch.minimum(down, up), min=0.0).to(device=device, dtype=torch.float32)
    return _MEL_BANKS[key]


def encoder_frames(n_samples: int) -> int:
    """Valid 50 Hz encoder frames for a waveform of `n_samples` samples."""
    return n_samples // (2 * HOP_LENGTH)


def log_mel_single(waveform: np.ndarray | torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """[frames, 160] float32 features of one mono 16 kHz waveform, computed on `device`."""
    samples = np.asarray(waveform, dtype=np.float32)
    if not samples.flags.writeable:  # a read-only buffer (e.g. audio shared by the server): torch needs a copy
        samples = samples.copy()
    x = torch.as_tensor(samples).reshape(-1).to(device)
    kept = 2 * encoder_frames(x.numel())
    if kept == 0:  # shorter than one encoder frame (20 ms): nothing to transcribe
        return torch.zeros(0, 2 * N_MELS, device=x.device)
    window = torch.hann_window(WIN_LENGTH, periodic=True, device=x.device)
    spec = torch.stft(
        x, N_FFT, HOP_LENGTH, WIN_LENGTH, window, center=True, pad_mode="reflect", return_complex=True
    )
    power = spec.abs().pow(2)  # [257, frames]
    mel = (power.transpose(0, 1) @ mel_bank(x.device))[:kept]  # [kept frames, 80]
    logmel = torch.log10(torch.clamp(mel, min=1e-10))
    logmel = torch.maximum(logmel, logmel.max() - 8.0) / 4.0 + 1.0
    return logmel.reshape(-1, 2 * N_MELS)


def batch_features(waveforms: list[np.ndarray], device: torch.device | str = "cpu",
                   isolate: bool = True) -> tuple[torch.Tensor, list[int]]:
    """([B, T_max, 160] zero-padded float32 features on `device`, valid frame counts) for a list of waveforms.

    `isolate=False` zero-pads the waveforms to the longest before the transform, as the reference does.
    """
    lengths = [encoder_frames(len(w)) for w in waveforms]
    if isolate:
        feats = [log_mel_single(w, device) for w in waveforms]
    else:
        longest = max((len(w) for w in waveforms), default=0)
        feats = [log_mel_single(np.pad(np.asarray(w, dtype=np.float32).reshape(-1), (0, longest - len(w))), device)
                 for w in waveforms]
    out = torch.zeros(len(feats), max((f.shape[0] for f in feats), default=0), 2 * N_MELS, device=device)
    for i, f in enumerate(feats):
        out[i, : f.shape[0]] = f
    return out, lengths
