"""Where exactly a piece ends: at the frame whose cut cost is lowest, pause or not.

`app.asr.pipeline.segmentation` walks through a recording piece by piece. With the energy detector it cuts
at the pauses that the speech mask shows. Under babble or street noise at 5-0 dB SNR that mask is not
precise enough: its pauses miss some of the real ones and hold a few quiet word endings, and the
half-second between words of a phrase never shows as a pause at all. Silero's mask therefore comes with
a cut cost per 10 ms frame (`app.asr.pipeline.vad.cut_cost`: speech probability plus voice-band level,
lowest between words and lowest of all between phrases), and every cut goes to the lowest cost within
reach. The mask still says how sure a cut is:

- a cut that the mask calls a pause is clean: the next piece starts where this one ends (and where the
  pause is quiet, the stretch the pieces may leave out, this piece keeps at most `pad` of it);
- any other cut may be inside a word: the next piece starts at least `overlap` earlier, at the lowest
  cost of the second before that, so every word lies whole in one piece or the other.

Each search scans one window of the cost array: planning stays linear in the recording's length.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

START_REACH = 100  # frames (1 s) before `cut - overlap` in which an overlapped piece's start is chosen
CONTEXT_REACH = 51  # frames (half a second) around the wanted context start that are searched


def valley(cost: np.ndarray, tolerance: float, lo: int, hi: int, latest: bool = True) -> int:
    """The latest (or earliest) frame in (lo, hi] whose cost is within `tolerance` of the lowest there
    (hi if the range is empty)."""
    window = cost[lo + 1 : hi + 1]
    if window.size == 0:
        return hi
    good = np.flatnonzero(window <= window.min() + tolerance)
    return lo + 1 + int(good[-1] if latest else good[0])


def cut_at_lowest_cost(
    pieces: list[tuple[int, int]],
    span: tuple[int, int],
    cost: tuple[np.ndarray, float],
    voiced: np.ndarray,
    quiet: tuple[list[int], list[int]],
    min_len: int,
    overlap: int,
    pad: int,
) -> int:
    """Append the piece that starts at `span[0]` and ends at the lowest cost after `min_len` frames and
    up to `span[1]` (the model's limit); return the frame where the next piece starts.

    `quiet` holds the starts and ends (sorted) of the pauses that pieces may leave out.
    """
    cursor, limit = span
    values, tolerance = cost
    cut = valley(values, tolerance, cursor + max(min_len, overlap + 1), limit)
    if cut >= voiced.size or not voiced[cut]:  # a pause: clean
        starts, ends = quiet
        k = bisect_right(starts, cut) - 1  # the quiet run that holds the cut, if one does
        end = min(cut, starts[k] + pad) if k >= 0 and ends[k] > cut else cut
        pieces.append((cursor, max(end, cursor + 1)))
        return cut
    pieces.append((cursor, cut))
    if overlap <= 0:  # the caller wants no overlap (no stitcher would rejoin the words)
        return cut
    return valley(values, tolerance, max(cut - overlap - START_REACH, cursor + 1), cut - overlap)


def context_at_lowest_cost(
    cores: list[tuple[int, int]], cost: tuple[np.ndarray, float], context: int, max_len: int
) -> list[tuple[int, int]]:
    """Start every piece after the first up to `context` frames earlier, at the lowest cost within half a
    second of that point (never before the previous piece's start, never more than `max_len` in all)."""
    values, tolerance = cost
    out = cores[:1]
    for (p_start, p_end), (start, end) in zip(cores, cores[1:], strict=False):
        lowest = max(p_start, end - max_len)
        want = max(lowest, min(start, p_end) - context)
        lo, hi = max(lowest, want - CONTEXT_REACH) - 1, min(want + CONTEXT_REACH, start - 1)
        point = valley(values, tolerance, lo, hi, latest=False) if hi > lo else start
        out.append((point, end) if lowest <= point < start else (start, end))
    return out
