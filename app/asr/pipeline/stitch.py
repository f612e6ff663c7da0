"""Joining the words of two overlapping pieces so that no word is lost or doubled at the seam.

Both pieces heard the overlap, so the words there appear twice, with slightly different times (and,
near a hard cut, a garbled word at either piece's edge). We align the two copies of the overlap
(same normalized text, centres within a tolerance, the longest such monotonic pairing) and cut at the
matched word nearest the middle of the overlap, where both pieces had context on both sides: the
first piece's words before it, the second piece's from it on. A word straddling the middle is one of
the matched words, so it is kept once. Without any match (the pieces disagree), the cut is by time: a
word belongs to the piece whose side of the middle holds its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from app.asr.pipeline.merge import normalize_word
from app.core.document import Word


def _centre(w: Word) -> float:
    return (w.start_ms + w.end_ms) / 2


def align_overlap(
    a: Sequence[Word], b: Sequence[Word], overlap_start_ms: int, overlap_end_ms: int, tolerance_ms: int = 600
) -> list[tuple[int, int]]:
    """Pairs (index in a, index in b) of the same words heard by both pieces in the overlap, in order."""
    # only words whose centre lies in the shared audio: words beyond it were heard by one piece only,
    # and letting them in would let a shifted pairing of repeated words outnumber the true one
    ia = [i for i, w in enumerate(a) if overlap_start_ms <= _centre(w) <= overlap_end_ms]
    ib = [j for j, w in enumerate(b) if overlap_start_ms <= _centre(w) <= overlap_end_ms]
    if not ia or not ib:
        return []
    ia, ib = list(range(ia[0], ia[-1] + 1)), list(range(ib[0], ib[-1] + 1))
    na, nb = [normalize_word(a[i].text) for i in ia], [normalize_word(b[j].text) for j in ib]
    ca, cb = [_centre(a[i]) for i in ia], [_centre(b[j]) for j in ib]
    n, m = len(ia), len(ib)
    # the most matches (equal text, centres within the tolerance), closer in time worth more
    gain = [
        [
            1.0 - 0.5 * abs(ca[x] - cb[y]) / (tolerance_ms + 1)
            if na[x] and na[x] == nb[y] and abs(ca[x] - cb[y]) <= tolerance_ms
            else 0.0
            for y in range(m)
        ]
        for x in range(n)
    ]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for x in range(n - 1, -1, -1):
        row, below, g = score[x], score[x + 1], gain[x]
        for y in range(m - 1, -1, -1):
            best = below[y] if below[y] >= row[y + 1] else row[y + 1]
            if g[y] and below[y + 1] + g[y] > best:
                best = below[y + 1] + g[y]
            row[y] = best
    pairs: list[tuple[int, int]] = []
    x = y = 0
    while x < n and y < m:
        if gain[x][y] and score[x][y] == score[x + 1][y + 1] + gain[x][y]:
            pairs.append((ia[x], ib[y]))
            x, y = x + 1, y + 1
        elif score[x + 1][y] >= score[x][y + 1]:
            x += 1
        else:
            y += 1
    return pairs


def stitch(
    a: Sequence[Word],
    b: Sequence[Word],
    overlap_start_ms: int,
    overlap_end_ms: int,
    tolerance_ms: int = 600,
    pairs: list[tuple[int, int]] | None = None,
) -> list[Word]:
    """The words of `a` then `b` (pieces sharing [overlap_start_ms, overlap_end_ms]) with one copy of the overlap.

    `pairs` may pass a ready `align_overlap` result (the speaker linker needs it too).
    """
    if overlap_end_ms <= overlap_start_ms or not a or not b:
        return _monotonic([*a, *b], 0)
    if pairs is None:
        pairs = align_overlap(a, b, overlap_start_ms, overlap_end_ms, tolerance_ms)
    mid = (overlap_start_ms + overlap_end_ms) / 2
    if pairs:
        i, j = min(pairs, key=lambda p: abs(_centre(a[p[0]]) - mid))
        joined, seam = [*a[:i], *b[j:]], i
    else:
        joined, seam = _cut_by_time(a, b, mid, tolerance_ms)
    return _monotonic(joined, seam)


def _same_speech(x: Word, y: Word, tolerance_ms: int) -> bool:
    """Two pieces' copies of one spoken word, spelled alike ("colour"/"color") and heard at about one time."""
    nx, ny = normalize_word(x.text), normalize_word(y.text)
    close = abs(_centre(x) - _centre(y)) <= tolerance_ms
    return close and bool(nx) and bool(ny) and SequenceMatcher(None, nx, ny, autojunk=False).ratio() >= 0.6


def _cut_by_time(a: Sequence[Word], b: Sequence[Word], mid: float, tolerance_ms: int) -> tuple[list[Word], int]:
    """With no word matched exactly: `a` up to the middle of the overlap, `b` after it, and one copy of a
    word whose two copies fell on opposite sides of the middle (kept twice, or dropped twice)."""
    head = [w for w in a if _centre(w) < mid]
    tail = [w for w in b if _centre(w) >= mid]
    dropped_a = a[len(head):]
    dropped_b = [w for w in b if _centre(w) < mid]
    if head and tail and _same_speech(head[-1], tail[0], tolerance_ms):
        tail = tail[1:]  # kept twice
    elif dropped_a and dropped_b and _same_speech(dropped_a[0], dropped_b[-1], tolerance_ms):
        head.append(dropped_a[0])  # dropped twice
    return [*head, *tail], len(head)


def _monotonic(words: list[Word], seam: int) -> list[Word]:
    """Push words after the seam forward where they start before the previous word ended."""
    out = words[: max(seam, 1)]
    for w in words[len(out) :]:
        prev_end = out[-1].end_ms
        if w.start_ms < prev_end:
            w = w.replace(start_ms=prev_end, end_ms=max(w.end_ms, prev_end))
        out.append(w)
    return out
