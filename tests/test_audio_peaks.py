"""The peak pyramid against brute-force min/max on random data, at several zooms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from app.audio.peaks import BLOCK, PeakBuilder, PeakPyramid

RATE = 16_000


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    rng = np.random.default_rng(7)
    x = rng.standard_normal(RATE * 37 + 123).astype(np.float32)  # not a multiple of any block
    x[RATE * 10 : RATE * 11] *= 5  # a loud second somewhere
    return x


@pytest.fixture(scope="module")
def pyramid(samples: np.ndarray) -> PeakPyramid:
    return PeakPyramid.from_samples(samples, RATE)


def brute_force(x: np.ndarray, start_s: float, end_s: float, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s0, s1 = max(0, math.floor(start_s * RATE)), min(len(x), math.ceil(end_s * RATE))
    bins = range(s0 // b, math.ceil(s1 / b))
    mins = np.array([x[i * b : (i + 1) * b].min() for i in bins], np.float32)
    maxs = np.array([x[i * b : (i + 1) * b].max() for i in bins], np.float32)
    return np.array([i * b / RATE for i in bins]), mins, maxs


@pytest.mark.parametrize(
    ("start_s", "end_s", "max_points"),
    [
        (0.0, 40.0, 100),  # the whole file, coarse
        (0.0, 37.1, 2000),  # the whole file, fine
        (9.5, 12.25, 800),  # around the loud second
        (36.9, 40.0, 300),  # running off the end
        (20.0, 21.0, 1000),  # one second: finer than level 0, straight from the samples
        (5.0, 5.01, 400),  # 160 samples: one bin per sample
        (-3.0, 0.2, 40),  # starting before zero
    ],
)
def test_envelope_equals_brute_force(samples: np.ndarray, pyramid: PeakPyramid, start_s: float, end_s: float,
                                     max_points: int) -> None:
    times, mins, maxs = pyramid.envelope(start_s, end_s, max_points)
    span = min(len(samples), math.ceil(end_s * RATE)) - max(0, math.floor(start_s * RATE))
    b = round((times[1] - times[0]) * RATE)
    assert len(times) >= min(max_points, span)
    if b >= BLOCK:  # a pyramid level: the coarsest with enough bins, so the next one up has too few
        assert b & (b - 1) == 0
        s0, s1 = max(0, math.floor(start_s * RATE)), min(len(samples), math.ceil(end_s * RATE))
        next_bins = math.ceil(s1 / (2 * b)) - s0 // (2 * b)
        assert next_bins < max_points
    bt, bmins, bmaxs = brute_force(samples, start_s, end_s, b)
    np.testing.assert_allclose(times, bt)
    np.testing.assert_array_equal(mins, bmins)
    np.testing.assert_array_equal(maxs, bmaxs)


def test_levels_halve_and_agree(pyramid: PeakPyramid, samples: np.ndarray) -> None:
    assert len(pyramid.levels[0][0]) == math.ceil(len(samples) / BLOCK)
    for (m0, x0), (m1, x1) in zip(pyramid.levels, pyramid.levels[1:]):
        assert len(m1) == math.ceil(len(m0) / 2)
        assert m1.min() == m0.min() and x1.max() == x0.max()
    assert len(pyramid.levels[-1][0]) == 1
    assert pyramid.levels[-1][0][0] == samples.min() and pyramid.levels[-1][1][0] == samples.max()


def test_empty_and_reversed_ranges(pyramid: PeakPyramid) -> None:
    for args in ((5.0, 5.0, 100), (6.0, 5.0, 100), (50.0, 60.0, 100), (0.0, 1.0, 0)):
        times, mins, maxs = pyramid.envelope(*args)
        assert len(times) == len(mins) == len(maxs) == 0


def test_builder_fed_in_odd_pieces_matches(samples: np.ndarray, pyramid: PeakPyramid) -> None:
    builder = PeakBuilder()
    rng = np.random.default_rng(1)
    i = 0
    while i < len(samples):
        step = int(rng.integers(1, 40_000))
        builder.add(samples[i : i + step])
        i += step
    built = builder.pyramid(samples, RATE)
    np.testing.assert_array_equal(built.levels[0][0], pyramid.levels[0][0])
    np.testing.assert_array_equal(built.levels[0][1], pyramid.levels[0][1])


def test_from_a_memmap_and_saved_round_trip(samples: np.ndarray, pyramid: PeakPyramid, tmp_path: Path) -> None:
    raw = tmp_path / "x.f32"
    samples.tofile(raw)
    mapped = np.memmap(raw, dtype=np.float32, mode="r")
    from_map = PeakPyramid.from_samples(mapped, RATE)
    np.testing.assert_array_equal(from_map.levels[3][1], pyramid.levels[3][1])
    npz = tmp_path / "x.peaks.npz"
    from_map.save(npz)
    loaded = PeakPyramid.load(npz, mapped, RATE)
    assert loaded is not None and len(loaded.levels) == len(pyramid.levels)
    for a, b in zip(loaded.envelope(1.0, 30.0, 500), pyramid.envelope(1.0, 30.0, 500)):
        np.testing.assert_array_equal(a, b)
    assert PeakPyramid.load(npz, mapped[:-1], RATE) is None  # other samples: stale
    npz.write_bytes(b"garbage")
    assert PeakPyramid.load(npz, mapped, RATE) is None
    assert PeakPyramid.load(tmp_path / "missing.npz", mapped, RATE) is None
