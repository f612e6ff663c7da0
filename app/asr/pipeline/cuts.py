"""Where exactly a piece ends: at the frame whose cut cost is lowest, pause or not.

`app.asr.pipeline.segmentation` walks through a recording piece by piece. With the energy detector it cuts
at the pauses that the speech mask shows. Under babble or street noise at 5-0 dB SNR that mask is not
precise enough: its pauses miss some of the real ones and hold a few quiet word endings, and the
short gaps between the words of a phrase never show as pauses at all. Silero's mask therefore comes with
a cut cost per 10 ms frame (`app.asr.pipeline.vad.cut_cost`: speech probability plus voice-band level,
lowest between words and lowest of all between phrases), and every cut goes to the lowest cost within
reach. The mask still says how sure a cut is:

- a cut that the mask calls a pause is clean: the next piece starts at the cut. Where the pause is quiet
  (a stretch the pieces may leave out) this piece keeps at most `pad` of it. Where it is only noisy,
  this piece goes on 100-300 ms past the cut, to the lowest cost there but not into the next speech
  the mask sees: under babble the mask's pause can begin in the faint end of a word (in 7 of the tests'
  recordings at 0 and 5 dB SNR, 4 of 221 cuts fell 4-110 ms before a word's end), and that word must
  lie whole in this piece;
- any other cut may be inside a word: the next piece starts at least `overlap` earlier, at the lowest
  cost of the second before that, so every word lies whole in one piece or the other. Where the voice
  is drowned in noise (`SpeechMask.drowned`) the planner passes no mask pauses, so every cut there is
  of this kind.

Each search scans one window of the cost array: planning stays linear in the recording's length.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

START_REACH = 100  # frames (1 s) before `cut - overlap` in which an overlapped piece's start is chosen
TAIL_MIN, TAIL_MAX = 10, 30  # frames a piece keeps after a cut in a noisy pause (100-300 ms), see above
ONSET_GUARD = 8  # frames kept clear before the speech that the mask sees next
CONTEXT_REACH = 51  # the least (frames) searched either side of the wanted context start


def valley(cost: np.ndarray, tolerance: float, lo: int, hi: int, latest: bool = True) -> int:
    """The latest (or earliest) frame in (lo, hi] whose cost is within `tolerance` of the lowest there
    (hi if the range is empty)."""
    window = cost[lo + 1 : hi + 1]
    if window.size == 0:
        return hi
    good = np.flatnonzero(window <= window.min() + tolerance)
    return lo + 1 + int(good[-1] if latest else good[0])


def _run_holding(runs: tuple[list[int], list[int]], frame: int) -> tuple[int, int] | None:
    """The run [start, end) of `runs` (sorted starts, ends) that holds `frame`, or None."""
    starts, ends = runs
    k = bisect_right(starts, frame) - 1
    return (starts[k], ends[k]) if k >= 0 and ends[k] > frame else None


def cut_at_lowest_cost(
    pieces: list[tuple[int, int]],
    span: tuple[int, int],
    cost: tuple[np.ndarray, float],
    pauses: tuple[tuple[list[int], list[int]], tuple[list[int], list[int]]],
    min_len: int,
    overlap: int,
    pad: int,
) -> int:
    """Append the piece that starts at `span[0]` and ends at the lowest cost after `min_len` frames and
    up to `span[1]` (the model's limit); return the frame where the next piece starts.

    `pauses` holds the mask's pauses and the quiet ones (pieces may leave those out), each as sorted
    starts and ends.
    """
    cursor, limit = span
    values, tolerance = cost
    mask_pauses, quiet = pauses
    cut = valley(values, tolerance, cursor + max(min_len, overlap + 1), limit)
    pause = _run_holding(mask_pauses, cut)
    if pause is not None:  # clean: the next piece starts at the cut
        silent = _run_holding(quiet, cut)
        if silent is not None:
            end = min(cut, silent[0] + pad)
        elif overlap > 0:  # noisy: keep what may be the faint end of a word
            # (never as far as the next piece's earliest end: pieces stay in order)
            hi = max(cut, min(cut + min(TAIL_MAX, min_len - 1), pause[1] - ONSET_GUARD, limit))
            lo = min(cut + TAIL_MIN, hi)
            end = valley(values, 0.0, lo, hi) if hi > lo else hi
        else:
            end = cut
        pieces.append((cursor, max(end, cursor + 1)))
        return cut
    pieces.append((cursor, cut))
    if overlap <= 0:  # the caller wants no overlap (no stitcher would rejoin the words)
        return cut
    # a start close to `cut - overlap` decodes less twice: twice the tolerance lets it be later
    return valley(values, 2 * tolerance, max(cut - overlap - START_REACH, cursor + 1), cut - overlap)


def context_at_lowest_cost(
    cores: list[tuple[int, int]], cost: tuple[np.ndarray, float], context: int, max_len: int
) -> list[tuple[int, int]]:
    """Start every piece after the first about `context` frames earlier, at the lowest cost within half the
    context (at least half a second) of that point; never before the previous piece's start, never more
    than `max_len` in all. A wide search finds a pause between phrases, not just a gap between words."""
    values, tolerance = cost
    reach = max(CONTEXT_REACH, context // 2)
    out = cores[:1]
    for (p_start, p_end), (start, end) in zip(cores, cores[1:], strict=False):
        lowest = max(p_start, end - max_len)
        want = max(lowest, min(start, p_end) - context)
        lo, hi = max(lowest, want - reach) - 1, min(want + reach, start - 1)
        point = valley(values, tolerance, lo, hi, latest=False) if hi > lo else start
        out.append((point, end) if lowest <= point < start else (start, end))
    return out
