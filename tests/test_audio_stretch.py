"""WSOLA time-stretch: the length follows the speed and the pitch stays where it was."""

from __future__ import annotations

import numpy as np
import pytest

from app.audio.stretch import WsolaStretcher, time_stretch

RATE = 16_000


def _dominant_hz(x: np.ndarray) -> float:
    n = 8192
    seg = x[len(x) // 4 : len(x) // 4 + n]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return float(np.fft.rfftfreq(len(seg), 1 / RATE)[np.argmax(spectrum)])


def _tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize("speed", [0.5, 0.8, 1.3, 2.0])
def test_length_follows_speed_and_pitch_is_kept(speed: float) -> None:
    x = _tone(220.0, 3.0)
    y = time_stretch(x, speed)
    assert abs(len(y) - len(x) / speed) <= 2
    assert abs(_dominant_hz(y) - 220.0) < 4.0  # one FFT bin is ~2 Hz
    # no dropouts or clipping: the level of a steady tone stays steady
    mid = y[len(y) // 8 : -len(y) // 8]
    frames = mid[: len(mid) // 800 * 800].reshape(-1, 800)  # 50 ms windows
    rms = np.sqrt(np.mean(frames**2, axis=1))
    assert rms.min() > 0.3 and rms.max() < 0.4  # a sine's RMS is 0.354
    assert np.abs(y).max() <= 0.55


def test_speech_keeps_its_pitch_at_double_speed(speech_16k: np.ndarray) -> None:
    y = time_stretch(speech_16k, 2.0)
    assert abs(len(y) - len(speech_16k) / 2) <= 2
    # the voice's spectral centroid barely moves (resampling would double it)
    def centroid(x: np.ndarray) -> float:
        s = np.abs(np.fft.rfft(x))
        f = np.fft.rfftfreq(len(x), 1 / RATE)
        return float((s * f).sum() / s.sum())

    assert abs(centroid(y) / centroid(speech_16k) - 1.0) < 0.15


def test_streaming_reads_match_the_whole_signal_and_track_position() -> None:
    x = _tone(330.0, 2.0)
    whole = WsolaStretcher(x, 0, 1.5).read(8000)
    s = WsolaStretcher(x, 0, 1.5)
    parts = np.concatenate([s.read(n) for n in (100, 1000, 2900, 4000)])
    np.testing.assert_allclose(parts, whole, atol=1e-6)
    assert s.input_position == 12000  # 8000 output samples at 1.5x


def test_speed_is_clamped_and_one_is_a_copy() -> None:
    x = _tone(440.0, 1.0)
    assert len(time_stretch(x, 5.0)) == len(x) // 2
    assert len(time_stretch(x, 0.1)) == len(x) * 2
    np.testing.assert_array_equal(time_stretch(x, 1.0), x)
