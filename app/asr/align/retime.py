"""Re-timing one run of interpolated words against the recording, between the words around it.

The core of re-alignment (`app.asr.align.realign`, which chooses and loads the model), kept apart so
that the engines can use it too without importing the model catalog: the interview engine places the
words 4.1-2b-plus does not time this way (`app.asr.align.piece_align`). A run is aligned together with
its kept neighbours as anchors, on the audio from the previous anchor's start to the next anchor's
end, and its new times are kept between the anchors; a long run is aligned in windows of about 30 s,
each anchored on the last word placed, so time and memory grow linearly with its length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from app.core.document import TimingSource, Word
from app.core.errors import ModelError

SAMPLE_RATE = 16_000
EDGE_MS = 1000  # audio taken beyond a run that has no anchor on that side
WINDOW_MS = 30_000  # a long run is aligned in windows of about this much audio
WINDOW_SLACK_MS = 10_000  # audio past a window's estimated end, where its last words may really be
Aligner = Callable[[np.ndarray, list[str], int], list[Word]]
"""align(audio, texts, offset_ms) -> one ALIGNED word per text, with absolute times; ModelError when it cannot."""


def interpolated_runs(words: Sequence[Word], start_ms: int | None = None,
                      end_ms: int | None = None) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive INTERPOLATED words starting inside the range (if given)."""
    def wanted(w: Word) -> bool:
        inside = (start_ms is None or w.start_ms >= start_ms) and (end_ms is None or w.start_ms < end_ms)
        return w.source == TimingSource.INTERPOLATED and inside

    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if wanted(words[i]):
            j = i
            while j < len(words) and wanted(words[j]):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs
def retime_run(words: Sequence[Word], i: int, j: int, audio: np.ndarray, align: Aligner,
               window_ms: int = WINDOW_MS, bounds: tuple[int, int] | None = None) -> list[Word]:
    """The words [i, j) aligned between their anchors `words[i - 1]` and `words[j]` (where they exist).

    Text, speaker, confidence and paragraph starts are kept; the source becomes ALIGNED; times are
    monotonic and stay between the anchors. Where a side has no anchor, the run may reach `bounds`
    (start, end ms: a piece's edges), or by default `EDGE_MS` beyond its words. A stretch longer than
    about 1.5 windows is aligned window by window (`_windows`), so time and memory grow linearly with
    its length. Raises ModelError when the aligner cannot place the text.
    """
    duration_ms = len(audio) * 1000 // SAMPLE_RATE
    prev = words[i - 1] if i > 0 else None
    nxt = words[j] if j < len(words) else None
    edge_start, edge_end = bounds or (max(0, words[i].start_ms - EDGE_MS),
                                      min(duration_ms, words[j - 1].end_ms + EDGE_MS))
    span_start = prev.start_ms if prev else edge_start
    span_end = nxt.end_ms if nxt else edge_end
    span_end = max(span_end, span_start)
    if span_end - span_start > window_ms * 3 // 2:
        timed = _windows(words, i, j, audio, align, span_start, span_end, window_ms)
    else:
        timed = _align_cut(audio, align, prev, list(words[i:j]), nxt, span_start, span_end)
    low = prev.end_ms if prev else span_start
    high = max(nxt.start_ms if nxt else span_end, low)
    out: list[Word] = []
    for old, new in zip(words[i:j], timed, strict=False):
        s = min(max(new.start_ms, low), high)
        e = min(max(new.end_ms, s), high)
        out.append(old.replace(start_ms=s, end_ms=e, source=new.source if new.source == TimingSource.INTERPOLATED
                               else TimingSource.ALIGNED))
        low = e
    return out


def _align_cut(audio: np.ndarray, align: Aligner, prev: Word | None, run: list[Word], nxt: Word | None,
               start_ms: int, end_ms: int) -> list[Word]:
    """`run` aligned on the audio [start_ms, end_ms] with the anchors' texts around it; one word per run word."""
    cut = audio[start_ms * SAMPLE_RATE // 1000 : end_ms * SAMPLE_RATE // 1000]
    texts = ([prev.text] if prev else []) + [w.text for w in run] + ([nxt.text] if nxt else [])
    timed = align(np.array(cut, dtype=np.float32), texts, start_ms)  # a writable copy of a memory-mapped cut
    timed = timed[1:] if prev else timed
    if len(timed) < len(run):
        raise ModelError("The aligner returned fewer words than it was given.")
    return timed[: len(run)]


def _windows(words: Sequence[Word], i: int, j: int, audio: np.ndarray, align: Aligner,
             span_start: int, span_end: int, window_ms: int) -> list[Word]:
    """A long run aligned in windows of about `window_ms`, each anchored on the last word already placed.

    A window takes the words whose estimated start falls inside it (their interpolated start moved by
    how far the last placed word was from its own estimate) and `WINDOW_SLACK_MS` more audio, since the
    estimates are rough. Only its first two thirds of words (those that end inside the window) are kept;
    the rest, which may have been squeezed against the window's end, are aligned again in the next
    window. The last window reaches the run's end and its next anchor. A window the aligner cannot
    place keeps its words' estimated times (still INTERPOLATED) and the next window goes on from them.
    """
    prev = words[i - 1] if i > 0 else None
    nxt = words[j] if j < len(words) else None
    anchor = prev
    out: list[Word] = []
    pos, shift = i, 0
    failure: ModelError | None = None
    placed_any = False

    def estimates(a: int, b: int, floor: int) -> list[Word]:
        return [w.replace(start_ms=max(floor, w.start_ms + shift), end_ms=max(floor, w.end_ms + shift))
                for w in words[a:b]]

    while pos < j:
        start = anchor.start_ms if anchor is not None else span_start
        limit = start + window_ms
        k = pos
        while k < j and words[k].start_ms + shift < limit:
            k += 1
        k = max(k, pos + 1)
        if k >= j and span_end - start <= 2 * window_ms:
            try:
                out += _align_cut(audio, align, anchor, list(words[pos:j]), nxt, start, span_end)
                placed_any = True
            except ModelError as exc:  # the last window does not fit: its words keep their estimates
                failure = exc
                out += estimates(pos, j, start)
            break
        stop = min(span_end, limit + WINDOW_SLACK_MS)
        try:
            timed = _align_cut(audio, align, anchor, list(words[pos:k]), None, start, stop)
            placed_any = True
        except ModelError as exc:  # this window's text does not fit its audio: keep its estimates, go on
            failure = exc
            timed = estimates(pos, k, start)
        keep = max(1, (2 * len(timed)) // 3) if k < j or stop < span_end else len(timed)
        while keep > 1 and timed[keep - 1].end_ms > limit:
            keep -= 1
        out += timed[:keep]
        pos += keep
        placed = out[-1]
        anchor = words[pos - 1].replace(start_ms=placed.start_ms, end_ms=placed.end_ms)
        shift = placed.start_ms - words[pos - 1].start_ms
    if failure is not None and not placed_any:
        raise failure
    return out
