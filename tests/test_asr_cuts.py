"""Where pieces end when the speech mask comes with a cut cost (Silero): constructed costs and masks.

The noisy-recording tests (espeak speech under babble, words at known places) are in test_asr_vad.py;
these pin the rules of `app.asr.pipeline.cuts` on arrays small enough to check by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.asr.pipeline.cuts import START_REACH, context_at_lowest_cost, cut_at_lowest_cost, valley
from app.asr.pipeline.levels import FRAME, band_levels, frame_levels
from app.asr.pipeline.segmentation import plan_pieces_with_cores
from app.asr.pipeline.vad import SpeechMask

SR = 16_000


def _cost_with_dips(frames: int, dips: dict[int, float]) -> np.ndarray:
    cost = np.full(frames, 1.5, dtype=np.float32)
    for frame, value in dips.items():
        cost[frame] = value
    return cost


def test_valley_takes_the_latest_of_the_nearly_lowest() -> None:
    cost = _cost_with_dips(100, {20: 0.30, 60: 0.35, 80: 0.60})
    assert valley(cost, 0.1, 0, 99) == 60  # 0.35 is within 0.1 of 0.30 and later
    assert valley(cost, 0.01, 0, 99) == 20
    assert valley(cost, 0.1, 0, 99, latest=False) == 20
    assert valley(cost, 0.1, 30, 30) == 30  # an empty range gives its end


def test_a_cut_in_a_quiet_pause_is_clean_and_leaves_the_pause_out() -> None:
    pause = ([400], [600])  # a 2 s pause, all of it quiet
    cost = _cost_with_dips(1000, {450: 0.2, 700: 0.25})
    pieces: list[tuple[int, int]] = []
    nxt = cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (pause, pause), 100, 200, 20)
    assert pieces == [(0, 420)]  # ends `pad` into the pause, not at the lowest point
    assert nxt == 450  # the next piece starts at the cut; the planner then skips on to the speech


def test_a_cut_in_a_noisy_pause_keeps_what_may_end_a_word() -> None:
    """Under babble the mask's pause may begin in a word's faint end: the piece goes on 100-300 ms, to the
    lowest cost there, never into the speech the mask sees next; the next piece starts at the cut."""
    noisy = ([440], [600])  # the mask's pause; nothing is quiet
    cost = _cost_with_dips(1000, {450: 0.2, 470: 0.4, 520: 0.5})
    pieces: list[tuple[int, int]] = []
    assert cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (noisy, ([], [])), 100, 200, 20) == 450
    assert pieces == [(0, 470)]  # the lowest point 100-300 ms after the cut
    short = ([440], [475])  # speech again at 475: the piece stops 80 ms before it
    pieces = []
    assert cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (short, ([], [])), 100, 200, 20) == 450
    assert pieces == [(0, 467)]
    pieces = []  # without overlap (no stitcher) the pieces meet at the cut
    assert cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (noisy, ([], [])), 100, 0, 20) == 450
    assert pieces == [(0, 450)]


def test_a_cut_in_speech_is_overlapped_from_the_lowest_point_before() -> None:
    none = ([], [])  # no pause at all
    cost = _cost_with_dips(1000, {700: 0.2, 430: 0.5, 150: 0.1})  # 150 is too early for a piece
    pieces: list[tuple[int, int]] = []
    nxt = cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (none, none), 100, 200, 20)
    assert pieces == [(0, 700)]
    # the next piece starts at least 2 s (200 frames) earlier, at the lowest point of the second before that
    assert 700 - 200 - START_REACH < nxt <= 500
    assert nxt == 430
    no_overlap: list[tuple[int, int]] = []  # without overlap the next piece starts at the cut
    assert cut_at_lowest_cost(no_overlap, (0, 800), (cost, 0.01), (none, none), 300, 0, 20) == 700
    assert no_overlap == [(0, 700)]


def test_a_cut_never_comes_before_the_shortest_piece() -> None:
    cost = _cost_with_dips(1000, {50: 0.0, 500: 0.9})
    pieces: list[tuple[int, int]] = []
    cut_at_lowest_cost(pieces, (0, 800), (cost, 0.01), (([], []), ([], [])), 300, 200, 20)
    assert pieces == [(0, 500)]  # frame 50 is lower but inside the first 300 frames


def test_context_starts_at_the_lowest_cost_near_the_wanted_point() -> None:
    cost = _cost_with_dips(2000, {560: 0.1, 700: 0.0})
    cores = [(0, 800), (800, 1600)]
    # 100 frames of context wanted: 700; the lowest point within half a second of it is 700
    assert context_at_lowest_cost(cores, (cost, 0.01), 100, 1100) == [(0, 800), (700, 1600)]
    # 250 frames wanted: 550, searched 125 frames either side: 560 (700 is too far)
    assert context_at_lowest_cost(cores, (cost, 0.01), 250, 1100) == [(0, 800), (560, 1600)]
    # a piece never grows beyond the limit: with at most 900 frames the start cannot go before 700
    assert context_at_lowest_cost(cores, (cost, 0.01), 250, 900) == [(0, 800), (700, 1600)]


@pytest.mark.parametrize("max_s", [8.0, 0.5])
def test_planning_by_cost_keeps_every_voiced_frame_and_the_limit(max_s: float) -> None:
    """A 3-minute synthetic mask with a noisy cost: pieces within the limit and in order, everything that
    is not quiet inside a piece."""
    rng = np.random.default_rng(5)
    frames = 18_000
    voiced = np.zeros(frames, dtype=bool)
    pos = 50
    while pos < frames:
        talk = int(rng.uniform(20, 600))
        voiced[pos : pos + talk] = True
        pos += talk + int(rng.uniform(5, 150))
    cost = (voiced + 0.8 * rng.random(frames)).astype(np.float32)
    quiet = ~voiced
    quiet[rng.random(frames) < 0.3] = False  # some pauses may hold faint speech: not to be left out
    mask = SpeechMask(voiced, cost, "synthetic", 0.1, by_cost=True, quiet=quiet)
    planned = plan_pieces_with_cores(np.zeros(frames * FRAME, np.float32), max_s, overlap_s=2.0, mask=mask)
    covered = np.zeros(frames, dtype=bool)
    for piece, _core in planned:
        assert 0 < piece.length <= max_s * SR
        covered[piece.start // FRAME : piece.end // FRAME] = True
    assert covered[~quiet].all()
    assert all(a.start < b.start and a.end <= b.end for (a, _), (b, _) in zip(planned, planned[1:], strict=False))


def test_where_the_voice_is_drowned_every_cut_is_overlapped() -> None:
    """Two minutes of phrases. In the first the pauses are quiet; in the second the voice stands barely
    above the noise (`SpeechMask.drowned`) and the mask's pauses are noisy and not to be trusted: every
    seam there is overlapped by the hard-cut overlap (the word at a cut lies whole in one piece), while the
    seams of the first minute stay clean (no overlap) and its quiet pauses are left out."""
    frames = 12_000
    voiced = np.zeros(frames, dtype=bool)
    for start in range(100, 6000, 700):  # 5 s phrases, 2 s quiet pauses
        voiced[start : start + 500] = True
    for start in range(6000, frames, 330):  # 3 s phrases, 0.3 s noisy pauses
        voiced[start : start + 300] = True
    quiet = ~voiced
    quiet[6000:] = False
    cost = np.where(voiced, 1.5, 0.2).astype(np.float32)
    drowned = np.zeros(frames, dtype=bool)
    drowned[6000:] = True
    mask = SpeechMask(voiced, cost, "synthetic", 0.05, by_cost=True, quiet=quiet, drowned=drowned)
    planned = [p for p, _ in plan_pieces_with_cores(np.zeros(frames * FRAME, np.float32), 8.0, overlap_s=2.0,
                                                   mask=mask)]
    seams = list(zip(planned, planned[1:], strict=False))
    clean = [(a, b) for a, b in seams if a.end // FRAME < 6000]
    drowned_seams = [(a, b) for a, b in seams if b.start // FRAME >= 6000]
    assert len(clean) >= 6 and len(drowned_seams) >= 6
    assert all(b.start >= a.end for a, b in clean)  # quiet pauses: the next piece starts after this one
    assert all(a.end - b.start >= 2 * SR for a, b in drowned_seams)
    covered = np.zeros(frames, dtype=bool)
    for piece in planned:
        assert piece.length <= 8 * SR
        covered[piece.start // FRAME : piece.end // FRAME] = True
    assert covered[~quiet].all()
    assert covered[quiet].mean() < 0.3
    without = SpeechMask(voiced, cost, "synthetic", 0.05, by_cost=True, quiet=quiet)  # the same, all trusted
    plain = [p for p, _ in plan_pieces_with_cores(np.zeros(frames * FRAME, np.float32), 8.0, overlap_s=2.0,
                                                 mask=without)]
    assert all(a.end - b.start < SR for a, b in zip(plain, plain[1:], strict=False))


def test_a_long_silence_counted_as_drowned_still_ends_the_piece_before_it() -> None:
    """A minute of silence between two stretches of speech: its contrast is nil, so `drowned` may cover it,
    but Silero is sure no voice is there (`quiet`). The piece before it still ends `pad` into the silence
    instead of carrying up to the model's limit of it (silence a model decodes for nothing, or fills with
    words that were never said), and the next piece starts `pad` before the speech."""
    frames = 9_000
    voiced = np.zeros(frames, dtype=bool)
    for start in (100, 1000, 2000, 6500, 7400, 8300):  # 6 s phrases around a 45 s silence (2600-6500)
        voiced[start : start + 600] = True
    quiet = ~voiced
    cost = np.where(voiced, 1.5, 0.2).astype(np.float32)
    drowned = np.zeros(frames, dtype=bool)
    drowned[2900:6200] = True  # where the +-15 s window holds only silence
    mask = SpeechMask(voiced, cost, "synthetic", 0.05, by_cost=True, quiet=quiet, drowned=drowned)
    planned = [p for p, _ in plan_pieces_with_cores(np.zeros(frames * FRAME, np.float32), 30.0, overlap_s=2.0,
                                                   mask=mask)]
    assert all(p.length <= 30 * SR for p in planned)
    silence = [(p.start // FRAME, p.end // FRAME) for p in planned if p.end // FRAME > 2620 and p.start // FRAME < 6480]
    assert silence == [], planned  # no piece reaches more than `pad` (0.2 s) into the silence
    covered = np.zeros(frames, dtype=bool)
    for piece in planned:
        covered[piece.start // FRAME : piece.end // FRAME] = True
    assert covered[voiced].all()


def test_band_levels_hear_the_voice_band_and_not_the_hum() -> None:
    t = np.arange(SR) / SR
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    hum = (0.3 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    signal = np.concatenate([tone, hum, np.zeros(100, np.float32)])
    levels = band_levels(signal)
    assert levels.shape == frame_levels(signal).shape
    assert abs(levels[50] - frame_levels(signal)[50]) < 0.5  # the same dB scale inside the band
    assert levels[150] < levels[50] - 60  # the hum is as loud but outside the band
    assert band_levels(np.zeros(0, np.float32)).size == 0
