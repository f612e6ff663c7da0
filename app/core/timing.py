"""Timing rules shared by importers, engines and edits: spreading words over a span of time."""

from __future__ import annotations

from typing import Sequence

from app.core.document import TimingSource, Word


def spread_words(
    texts: Sequence[str],
    start_ms: int,
    end_ms: int,
    speaker: str | None = None,
    source: TimingSource = TimingSource.INTERPOLATED,
) -> list[Word]:
    """Words for `texts` laid over [start_ms, end_ms] in proportion to their length.

    Times are integers, monotonic, never overlapping, and stay inside the span; with a span shorter
    than the word count some words get zero length rather than spilling past `end_ms`.
    """
    if not texts:
        return []
    end_ms = max(end_ms, start_ms)
    weights = [len(t) + 1 for t in texts]  # +1: a one-letter word still takes time to say
    total = sum(weights)
    span = end_ms - start_ms
    words: list[Word] = []
    acc = 0
    prev = start_ms
    for text, weight in zip(texts, weights):
        acc += weight
        stop = start_ms + (span * acc) // total
        words.append(Word(text, prev, stop, speaker, None, source))
        prev = stop
    return words
