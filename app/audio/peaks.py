"""A min/max peak pyramid of 16 kHz samples, so a waveform of any length draws at any zoom in milliseconds.

Level 0 holds the min and max of every block of 256 samples; each next level halves the number of bins.
`envelope` answers a visible time range with the coarsest level that still has at least `max_points`
bins there, or straight from the samples when zoomed in further than level 0. Bins are aligned to
multiples of their size (bin i covers samples [i*b, (i+1)*b)), and `times_s` are the bins' start times.
Level 0 is built by streaming (`PeakBuilder`), so a memory-mapped recording is only read sequentially,
and it can be saved next to the decode cache (`save` / `load`, npz, no pickle).
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

BLOCK = 256
FORMAT_VERSION = 1
_CHUNK = BLOCK * 4096  # samples read at a time from a (memory-mapped) array

Envelope = tuple[np.ndarray, np.ndarray, np.ndarray]


class PeakBuilder:
    """Level 0 of a pyramid, fed block by block (for instance while a file is being decoded)."""

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block
        self.n_samples = 0
        self._rest = np.zeros(0, np.float32)
        self._mins: list[np.ndarray] = []
        self._maxs: list[np.ndarray] = []

    def add(self, x: np.ndarray) -> None:
        """Take the next consecutive samples."""
        x = np.asarray(x, dtype=np.float32)
        self.n_samples += len(x)
        if len(self._rest):
            x = np.concatenate([self._rest, x])
        whole = len(x) // self.block * self.block
        if whole:
            v = x[:whole].reshape(-1, self.block)
            self._mins.append(v.min(axis=1))
            self._maxs.append(v.max(axis=1))
        self._rest = x[whole:].copy()

    def level0(self) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) of every block, the last one possibly partial."""
        mins, maxs = list(self._mins), list(self._maxs)
        if len(self._rest):
            mins.append(self._rest.min(keepdims=True))
            maxs.append(self._rest.max(keepdims=True))
        if not mins:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        return np.concatenate(mins), np.concatenate(maxs)

    def pyramid(self, samples: np.ndarray, rate: int = 16_000) -> PeakPyramid:
        """The finished pyramid over `samples` (the same samples that were added)."""
        if len(samples) != self.n_samples:
            raise ValueError("the samples differ from the ones the builder saw")
        mins, maxs = self.level0()
        return PeakPyramid(samples, mins, maxs, rate, self.block)

    def save(self, path: str | os.PathLike[str], rate: int = 16_000) -> None:
        """Write level 0 as `PeakPyramid.save` does, without needing the samples at hand."""
        write_level0(path, *self.level0(), self.n_samples, rate, self.block)


class PeakPyramid:
    """Min/max bins at block sizes 256, 512, 1024, ... samples over one recording."""

    def __init__(self, samples: np.ndarray, mins0: np.ndarray, maxs0: np.ndarray, rate: int = 16_000,
                 block: int = BLOCK) -> None:
        if len(mins0) != math.ceil(len(samples) / block) or len(maxs0) != len(mins0):
            raise ValueError("level 0 does not match the samples")
        self.samples, self.rate, self.block = samples, rate, block
        self.levels: list[tuple[np.ndarray, np.ndarray]] = [(mins0, maxs0)]
        mins, maxs = mins0, maxs0
        while len(mins) > 1:
            if len(mins) % 2:
                mins, maxs = np.append(mins, mins[-1]), np.append(maxs, maxs[-1])
            mins = np.minimum(mins[0::2], mins[1::2])
            maxs = np.maximum(maxs[0::2], maxs[1::2])
            self.levels.append((mins, maxs))

    @classmethod
    def from_samples(cls, samples: np.ndarray, rate: int = 16_000) -> PeakPyramid:
        """Build from an array or memmap, reading it sequentially in chunks."""
        builder = PeakBuilder()
        for i in range(0, len(samples), _CHUNK):
            builder.add(samples[i : i + _CHUNK])
        return builder.pyramid(samples, rate)

    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        return len(self.samples) / self.rate

    def envelope(self, start_s: float, end_s: float, max_points: int) -> Envelope:
        """(times_s, mins, maxs) for [start_s, end_s): at least `max_points` bins (where the range has
        that many samples), from the coarsest level that has them, or from the samples when zoomed far in."""
        n = len(self.samples)
        s0 = max(0, math.floor(start_s * self.rate))
        s1 = min(n, math.ceil(end_s * self.rate))
        if s1 <= s0 or max_points <= 0:
            empty = np.zeros(0, np.float32)
            return np.zeros(0, np.float64), empty, empty
        for k in range(len(self.levels) - 1, -1, -1):
            b = self.block << k
            if math.ceil(s1 / b) - s0 // b >= max_points:
                i0, i1 = s0 // b, math.ceil(s1 / b)
                mins, maxs = self.levels[k]
                return np.arange(i0, i1) * (b / self.rate), mins[i0:i1], maxs[i0:i1]
        return self._raw_envelope(s0, s1, max(1, (s1 - s0) // max_points))

    def _raw_envelope(self, s0: int, s1: int, b: int) -> Envelope:
        i0, i1 = s0 // b, math.ceil(s1 / b)
        x = np.asarray(self.samples[i0 * b : min(len(self.samples), i1 * b)], dtype=np.float32)
        times = np.arange(i0, i1) * (b / self.rate)
        if b == 1:
            return times, x.copy(), x.copy()
        whole = len(x) // b * b
        v = x[:whole].reshape(-1, b)
        mins, maxs = v.min(axis=1), v.max(axis=1)
        if whole < len(x):
            mins = np.append(mins, x[whole:].min())
            maxs = np.append(maxs, x[whole:].max())
        return times, mins, maxs

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write level 0 atomically as npz (the other levels are rebuilt on load in milliseconds)."""
        write_level0(path, *self.levels[0], len(self.samples), self.rate, self.block)

    @classmethod
    def load(cls, path: str | os.PathLike[str], samples: np.ndarray, rate: int = 16_000) -> PeakPyramid | None:
        """The saved pyramid of `samples`, or None when the file is missing, stale or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta, mins0, maxs0 = data["meta"], data["mins0"], data["maxs0"]
            version, n, saved_rate, block = (int(v) for v in meta)
            if (version, n, saved_rate) != (FORMAT_VERSION, len(samples), rate):
                return None
            return cls(samples, mins0.astype(np.float32), maxs0.astype(np.float32), rate, block)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None


def write_level0(path: str | os.PathLike[str], mins0: np.ndarray, maxs0: np.ndarray, n_samples: int,
                 rate: int, block: int = BLOCK) -> None:
    """Save level 0 and what it belongs to as npz, atomically (temporary file + rename)."""
    path = Path(path)
    meta = np.array([FORMAT_VERSION, n_samples, rate, block], dtype=np.int64)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, meta=meta, mins0=mins0, maxs0=maxs0)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
