"""The document's derived views stay right under any sequence of splices."""

from __future__ import annotations

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.document import Segment, Transcript, Word, _scan_segments


def _word(i: int, speaker: str, brk: bool = False) -> Word:
    return Word(f"w{i}", i * 100, i * 100 + 80, speaker, starts_segment=brk)


def _random_words(rng: random.Random, n: int, base: int = 0) -> list[Word]:
    return [_word(base + k, rng.choice("AB"), rng.random() < 0.1) for k in range(n)]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_incremental_segments_equal_a_full_scan(seed: int) -> None:
    rng = random.Random(seed)
    doc = Transcript.from_words(_random_words(rng, rng.randint(0, 30)))
    doc.segments()
    for step in range(8):
        n = len(doc)
        start = rng.randint(0, n)
        end = rng.randint(start, n)
        doc.splice(start, end, _random_words(rng, rng.randint(0, 5), base=1000 + step * 10))
        assert doc.segments() == _scan_segments(list(doc.words), 0, len(doc))


def test_segments_follow_speaker_changes_and_breaks() -> None:
    words = [_word(0, "A"), _word(1, "A"), _word(2, "B"), _word(3, "B", brk=True), _word(4, "A")]
    doc = Transcript.from_words(words)
    assert doc.segments() == [Segment(0, 2, "A"), Segment(2, 3, "B"), Segment(3, 4, "B"), Segment(4, 5, "A")]
    assert doc.segment_index_of(3) == 2
    assert doc.word_at_time(250) == 2
    assert doc.word_at_time(-5) == 0


def test_a_keystroke_on_a_long_interview_does_not_rescan_every_word() -> None:
    rng = random.Random(1)
    doc = Transcript.from_words(_random_words(rng, 20_000))
    doc.segments()
    calls = []
    import app.core.document as document

    real = document._scan_segments

    def counting(words, lo, hi):
        calls.append(hi - lo)
        return real(words, lo, hi)

    document._scan_segments = counting
    try:
        t0 = time.perf_counter()
        doc.splice(10_000, 10_001, [_word(10_000, doc.words[10_000].speaker or "A")])
        doc.segments()
        print(f"incremental segment update: {(time.perf_counter() - t0) * 1000:.2f} ms")
    finally:
        document._scan_segments = real
    assert calls and max(calls) < 500
    assert doc.segments() == _scan_segments(list(doc.words), 0, len(doc))
