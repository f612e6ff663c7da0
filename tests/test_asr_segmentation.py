"""Cutting recordings at pauses: constructed tone/silence signals and real (espeak) speech.

These hold the planning walk itself, on the energy detector (Silero hears tones as noise); Silero and
noisy recordings are tested in test_asr_vad.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.asr.pipeline.segmentation import SAMPLE_RATE, Piece, frame_levels, plan_pieces, voiced_frames

SR = SAMPLE_RATE


def tones(layout: list[tuple[str, float]], noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, list]:
    """A signal from ("tone"|"quiet", seconds) parts; returns it and the tone spans in samples."""
    rng = np.random.default_rng(seed)
    parts, spans, pos = [], [], 0
    for i, (kind, secs) in enumerate(layout):
        n = int(secs * SR)
        if kind == "tone":
            t = np.arange(n) / SR
            part = 0.3 * np.sin(2 * np.pi * (200 + 40 * (i % 5)) * t)
            spans.append((pos, pos + n))
        else:
            part = np.zeros(n)
        parts.append(part)
        pos += n
    sig = np.concatenate(parts).astype(np.float32)
    if noise:
        sig += (noise * rng.standard_normal(sig.size)).astype(np.float32)
    return sig, spans


def assert_valid(pieces: list[Piece], spans: list[tuple[int, int]], max_s: float) -> None:
    assert pieces, "speech must give pieces"
    for p in pieces:
        assert 0 <= p.start < p.end
        assert p.duration_s <= max_s + 1e-9
    for a, b in zip(pieces, pieces[1:]):
        assert a.start < b.start and a.end <= b.end
    for s0, s1 in spans:  # every tone sample lies in some piece, and no tone is cut in half
        covered = np.zeros(s1 - s0, dtype=bool)
        for p in pieces:
            lo, hi = max(p.start, s0), min(p.end, s1)
            if lo < hi:
                covered[lo - s0 : hi - s0] = True
                whole = p.start <= s0 and p.end >= s1
                assert whole, f"tone {s0 / SR:.2f}-{s1 / SR:.2f}s is cut by piece {p}"
        assert covered.all()


def test_levels_follow_the_signal() -> None:
    sig, _ = tones([("quiet", 0.5), ("tone", 0.5)])
    levels = frame_levels(sig)
    assert levels.size == 100
    assert levels[:50].max() <= -99 and levels[60:].min() > -15
    assert voiced_frames(sig)[60:].all() and not voiced_frames(sig)[:50].any()


def test_cuts_fall_in_silences_and_no_piece_exceeds_max() -> None:
    layout = []
    for i in range(12):
        layout += [("tone", 1.0 + 0.3 * (i % 3)), ("quiet", 0.4 + 0.2 * (i % 2))]
    sig, spans = tones(layout, noise=0.002)
    pieces = plan_pieces(sig, max_piece_s=5.0, detector="energy")
    assert len(pieces) >= 4
    assert_valid(pieces, spans, 5.0)


def test_long_silences_are_dropped_but_times_stay_absolute() -> None:
    sig, spans = tones([("quiet", 3.0), ("tone", 1.0), ("quiet", 20.0), ("tone", 1.0), ("quiet", 2.0)])
    pieces = plan_pieces(sig, max_piece_s=10.0, detector="energy")
    assert_valid(pieces, spans, 10.0)
    assert pieces[0].start >= 2.5 * SR  # the leading silence is skipped
    total = sum(p.length for p in pieces)
    assert total < 5 * SR  # the 20 s silence is not decoded
    assert pieces[-1].start >= 23.5 * SR  # the second tone keeps its place in time


def test_prefers_a_long_pause_to_a_short_one() -> None:
    sig, spans = tones([("tone", 2.0), ("quiet", 1.0), ("tone", 1.5), ("quiet", 0.16), ("tone", 1.5)])
    pieces = plan_pieces(sig, max_piece_s=5.5, min_piece_s=1.0, detector="energy")
    assert_valid(pieces, spans, 5.5)
    assert 2.0 * SR <= pieces[0].end <= 3.0 * SR


def test_hard_cut_only_without_pauses_then_overlapped() -> None:
    sig, spans = tones([("tone", 12.0)])
    pieces = plan_pieces(sig, max_piece_s=5.0, overlap_s=1.0, detector="energy")
    assert len(pieces) == 3
    for a, b in zip(pieces, pieces[1:]):
        assert a.end - b.start == SR  # one second shared
        assert a.duration_s <= 5.0
    assert pieces[0].start == 0 and pieces[-1].end == len(sig)


def test_silence_and_empty_give_no_pieces() -> None:
    assert plan_pieces(np.zeros(SR * 3, dtype=np.float32), 30.0) == []
    assert plan_pieces(np.zeros(0, dtype=np.float32), 30.0) == []
    faint = (1e-5 * np.random.default_rng(1).standard_normal(SR * 2)).astype(np.float32)
    assert plan_pieces(faint, 30.0) == []


def test_a_few_words_in_a_mostly_muted_recording_are_kept() -> None:
    """Five minutes of digital zeros (a muted microphone) around 6 s of talk: the energy detector's loud
    level is measured above digital silence, so the talk is speech; at the 95th percentile of every frame it
    fell on the zeros and the whole recording counted as silence (every word lost)."""
    sig, spans = tones([("quiet", 100.0), ("tone", 2.0), ("quiet", 0.5), ("tone", 3.5), ("quiet", 194.0)])
    pieces = plan_pieces(sig, 30.0, detector="energy")
    assert_valid(pieces, spans, 30.0)
    assert sum(p.duration_s for p in pieces) < 10.0  # the zeros themselves stay out


def test_short_audio_is_one_piece() -> None:
    sig, spans = tones([("quiet", 0.1), ("tone", 0.4), ("quiet", 0.1)])
    pieces = plan_pieces(sig, 30.0, detector="energy")
    assert len(pieces) == 1
    assert_valid(pieces, spans, 30.0)


def test_context_makes_neighbours_share_speech() -> None:
    layout = []
    for i in range(10):
        layout += [("tone", 1.0), ("quiet", 0.3 + 0.1 * (i % 3))]
    sig, spans = tones(layout)
    pieces = plan_pieces(sig, max_piece_s=6.0, context_s=2.0, detector="energy")
    assert len(pieces) >= 3
    for a, b in zip(pieces, pieces[1:]):
        assert b.start < a.end  # shared audio
        shared = [s for s in spans if s[0] >= b.start and s[1] <= a.end]
        assert shared, "the shared stretch holds at least one whole tone"
    assert all(p.duration_s <= 6.0 for p in pieces)


@pytest.mark.parametrize("max_s", [1.5, 2.5])
def test_speech_is_cut_in_pauses(speech_16k: np.ndarray, max_s: float) -> None:
    pieces = plan_pieces(speech_16k, max_piece_s=max_s, overlap_s=0.5, detector="energy")
    voiced = voiced_frames(speech_16k)
    assert len(pieces) >= 2
    assert all(p.duration_s <= max_s + 1e-9 for p in pieces)
    # every voiced frame is inside a piece
    frames = np.flatnonzero(voiced) * 160
    inside = np.zeros(frames.size, dtype=bool)
    for p in pieces:
        inside |= (frames >= p.start) & (frames < p.end)
    assert inside.all()
    # cuts between pieces that do not overlap fall in quiet frames
    for a, b in zip(pieces, pieces[1:]):
        if b.start >= a.end:
            assert not voiced[min(a.end // 160, voiced.size - 1)]
            assert not voiced[max(b.start // 160 - 1, 0)]


def test_speech_pause_is_found(speech_16k: np.ndarray) -> None:
    """The fixture has a long pause in the middle; with a max just above its first half, the cut is there."""
    voiced = voiced_frames(speech_16k)
    quiet = [(a, b) for a, b in _quiet_runs(voiced) if b - a >= 30]
    assert quiet, "the espeak pause is detected"
    a, b = quiet[0]
    pieces = plan_pieces(speech_16k, max_piece_s=(b * 160) / SR + 0.5, detector="energy")
    assert a * 160 <= pieces[0].end <= b * 160 + 1


def _quiet_runs(voiced: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, v in enumerate(voiced):
        if not v and start is None:
            start = i
        elif v and start is not None:
            if start > 0:
                runs.append((start, i))
            start = None
    return runs
