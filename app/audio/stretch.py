"""Time-stretching that keeps the pitch: a small WSOLA (waveform-similarity overlap-add).

Playback at 0.5x-2x must not turn voices into chipmunks. WSOLA cuts the input into overlapping
Hann-windowed frames taken every `hop * speed` samples and lays them down every `hop` samples; each
frame's exact position is nudged within a small tolerance so that it continues the waveform of the
previous frame (maximum cross-correlation), which avoids phase jumps. It is cheap (one numpy
correlation per 16 ms of output) and streams, so the player can call it block by block.
"""

from __future__ import annotations

import numpy as np

FRAME = 512  # 32 ms at 16 kHz: long enough for a pitch period of a low voice
HOP = FRAME // 2
TOLERANCE = 160  # +-10 ms search for the best-matching frame position
MIN_SPEED = 0.5
MAX_SPEED = 2.0


def _window(n: int) -> np.ndarray:
    # periodic Hann: copies shifted by n/2 add up to exactly 1
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


class WsolaStretcher:
    """Streams the samples from `start` onwards at `speed`, pitch kept.

    `read(n)` returns the next n output samples (zeros after the end). `input_position` maps the
    output produced so far back to the input timeline (the sample that is "now" being heard).
    """

    def __init__(self, samples: np.ndarray, start: int = 0, speed: float = 1.0) -> None:
        self._x = samples
        self._n = len(samples)
        self.speed = float(min(MAX_SPEED, max(MIN_SPEED, speed)))
        self._start = int(max(0, min(start, self._n)))
        self._win = _window(FRAME)
        self._frame_index = 0
        self._prev: int | None = None  # input position of the last frame laid down
        self._tail = np.zeros(FRAME - HOP, dtype=np.float32)  # overlap still waiting for the next frame
        self._ready = np.zeros(0, dtype=np.float32)  # finished output not yet read
        self._emitted = 0  # output samples handed out by read()

    @property
    def input_position(self) -> int:
        """The input sample index that corresponds to the output read so far."""
        return min(self._n, self._start + int(round(self._emitted * self.speed)))

    @property
    def finished(self) -> bool:
        """True once the output has passed the end of the input."""
        return self.input_position >= self._n

    def _segment(self, pos: int, length: int) -> np.ndarray:
        """x[pos:pos+length], zero-padded outside the signal."""
        out = np.zeros(length, dtype=np.float32)
        lo, hi = max(pos, 0), min(pos + length, self._n)
        if hi > lo:
            out[lo - pos : hi - pos] = self._x[lo:hi]
        return out

    def _best_position(self, nominal: int) -> int:
        if self._prev is None:
            return nominal
        template = self._segment(self._prev + HOP, FRAME)
        if not template.any():
            return nominal
        region = self._segment(nominal - TOLERANCE, FRAME + 2 * TOLERANCE)
        scores = np.correlate(region, template, mode="valid")
        return nominal - TOLERANCE + int(np.argmax(scores))

    def _step(self) -> None:
        nominal = self._start + int(round(self._frame_index * HOP * self.speed))
        pos = self._best_position(nominal)
        frame = self._segment(pos, FRAME) * self._win
        frame[: FRAME - HOP] += self._tail
        self._ready = np.concatenate([self._ready, frame[:HOP]])
        self._tail = frame[HOP:].copy()
        self._prev = pos
        self._frame_index += 1

    def read(self, n: int) -> np.ndarray:
        """The next `n` output samples as float32."""
        while len(self._ready) < n:
            self._step()
        out, self._ready = self._ready[:n], self._ready[n:]
        self._emitted += n
        return out


def time_stretch(samples: np.ndarray, speed: float) -> np.ndarray:
    """The whole signal played at `speed` (0.5-2.0) with its pitch kept; length ~ len(samples) / speed."""
    speed = float(min(MAX_SPEED, max(MIN_SPEED, speed)))
    samples = np.asarray(samples, dtype=np.float32)
    if abs(speed - 1.0) < 1e-6:
        return samples.copy()
    length = int(round(len(samples) / speed))
    return WsolaStretcher(samples, 0, speed).read(length)
