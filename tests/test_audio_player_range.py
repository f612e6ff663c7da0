"""Playing a selection: the player stops at its end, or loops back to its start, sample-exactly at 1x."""

from __future__ import annotations

import time

import numpy as np

from app.audio.player import FADE_SAMPLES, RATE, Player


def _ramp(seconds: float) -> np.ndarray:
    """Every sample tells where it came from: sample k holds (k + 1) / 1e6."""
    return (np.arange(int(seconds * RATE), dtype=np.float64) + 1).astype(np.float32) / 1e6


def _render_until_stopped(p: Player, frames: int = 512, limit: int = 50) -> np.ndarray:
    out = []
    for _ in range(limit):
        out.append(p.render(frames))
        if p._pos + p._anchor_span >= p._end_sample():
            break
    return np.concatenate(out)


def test_a_range_played_once_ends_at_its_last_sample() -> None:
    x = _ramp(3.0)
    p = Player(x)
    p.set_range(1000, 1100)
    p.seek(1000)
    audio = _render_until_stopped(p)
    first, n = 16_000, 1600  # 1.000 s .. 1.100 s
    fade = FADE_SAMPLES // 2
    assert np.array_equal(audio[: n - fade], x[first : first + n - fade])  # the range as recorded
    assert np.all(audio[n - fade : n] <= x[first + n - fade : first + n])  # a short fade-out at its end
    assert audio[n - 1] == 0.0 and not np.any(audio[n:])  # nothing after the range's end is played
    assert p.range_ms == (0, 1100, False)


def test_a_looped_range_goes_back_to_its_start() -> None:
    x = _ramp(3.0)
    p = Player(x)
    p.set_range(1000, 1100, loop=True)
    p.seek(1000)
    audio = np.concatenate([p.render(512) for _ in range(8)])  # 4096 samples: two passes of 1600 and more
    expected = x[16_000 + np.arange(len(audio)) % 1600]
    fade = FADE_SAMPLES // 2
    joints = np.zeros(len(audio), dtype=bool)
    for joint in (1600, 3200):
        joints[joint - fade : joint + fade] = True
    assert np.array_equal(audio[~joints], expected[~joints])  # away from the joints: the range, again and again
    assert np.all(audio[joints] <= expected[joints])  # at the joints: faded, never another part of the recording
    assert p.range_ms == (1000, 1100, True)


def test_the_clock_stops_at_the_end_of_a_range_without_a_device() -> None:
    p = Player(_ramp(3.0), clock_only=True)
    p.set_range(500, 650)
    p.seek(500)
    p.play()
    deadline = time.monotonic() + 3.0
    while p.playing and time.monotonic() < deadline:
        time.sleep(0.02)
        _ = p.position_ms
    assert not p.playing and p.position_ms == 650
    p.set_range(None, None)
    assert p.range_ms is None
