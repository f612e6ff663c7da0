"""Stitching overlapping pieces: no word lost or doubled at the seam, a straddling word kept once."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.asr.pipeline.stitch import align_overlap, stitch
from app.core.document import Word


def timeline(texts: list[str], durations: list[int], gaps: list[int] | None = None) -> list[Word]:
    words, t = [], 0
    for k, (text, d) in enumerate(zip(texts, durations)):
        words.append(Word(text, t, t + d))
        t += d + (gaps[k] if gaps else 0)
    return words


def heard(truth: list[Word], lo: int, hi: int, jitter: int, seed: int, garble_edges: bool) -> list[Word]:
    """What a piece [lo, hi) transcribes: every word touching it, times jittered, edge words maybe garbled."""
    rnd = random.Random(seed)
    out = []
    for w in truth:
        if w.end_ms <= lo or w.start_ms >= hi:
            continue
        text = w.text
        if garble_edges and (w.start_ms < lo or w.end_ms > hi):
            text = text[: max(1, len(text) // 2)] + "#"  # the model heard half a word
        s = max(w.start_ms + rnd.randint(-jitter, jitter), 0)
        out.append(Word(text, s, max(s, w.end_ms + rnd.randint(-jitter, jitter))))
    for k in range(1, len(out)):  # keep each piece's own times monotonic, as a parser gives them
        if out[k].start_ms < out[k - 1].end_ms:
            out[k] = out[k].replace(start_ms=out[k - 1].end_ms, end_ms=max(out[k].end_ms, out[k - 1].end_ms))
    return out


TEXTS = "the mayor said the bridge opens in may and the council will vote on the budget next week".split()


def test_overlap_words_kept_once() -> None:
    truth = timeline(TEXTS, [300] * len(TEXTS), [50] * len(TEXTS))
    a = heard(truth, 0, 3500, 30, 1, garble_edges=True)
    b = heard(truth, 2000, truth[-1].end_ms + 1, 30, 2, garble_edges=True)
    out = stitch(a, b, 2000, 3500)
    assert [w.text for w in out] == TEXTS
    assert all(x.end_ms <= y.start_ms for x, y in zip(out, out[1:]))


def test_a_word_straddling_the_middle_is_kept_once() -> None:
    truth = timeline(["one", "two", "straddle", "four", "five"], [400, 400, 800, 400, 400])
    # overlap 600..1800: its middle (1200) falls inside "straddle" (800..1600)
    a = heard(truth, 0, 1800, 40, 3, garble_edges=False)
    b = heard(truth, 600, 3000, 40, 4, garble_edges=False)
    assert [w.text for w in a].count("straddle") == 1 and [w.text for w in b].count("straddle") == 1
    out = stitch(a, b, 600, 1800)
    assert [w.text for w in out] == ["one", "two", "straddle", "four", "five"]


def test_repeated_words_in_the_overlap() -> None:
    texts = ["no", "no", "no", "no", "i", "said", "no", "no"]
    truth = timeline(texts, [200] * 8, [20] * 8)
    a = heard(truth, 0, 1300, 20, 5, garble_edges=False)
    b = heard(truth, 300, 2000, 20, 6, garble_edges=False)
    assert [w.text for w in stitch(a, b, 300, 1300)] == texts


def test_no_match_falls_back_to_time() -> None:
    a = [Word("alpha", 0, 500), Word("bravo", 500, 1000), Word("charlie", 1000, 1500)]
    b = [Word("delta", 1000, 1500), Word("echo", 1500, 2000)]
    assert align_overlap(a, b, 900, 1500) == []
    out = stitch(a, b, 900, 1500)  # middle 1200: bravo's centre is before it, delta's after
    assert [w.text for w in out] == ["alpha", "bravo", "delta", "echo"]
    assert out[2].start_ms >= out[1].end_ms


def test_no_overlap_is_concatenation() -> None:
    a = [Word("a", 0, 100)]
    b = [Word("b", 200, 300)]
    assert stitch(a, b, 200, 200) == a + b
    assert stitch([], b, 0, 500) == b


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["the", "a", "no", "mayor", "said", "bridge", "vote", "week", "port"]),
             min_size=20, max_size=60),
    st.lists(st.integers(150, 600), min_size=60, max_size=60),
    st.lists(st.integers(0, 300), min_size=60, max_size=60),
    st.floats(0.3, 0.6),
    st.integers(1500, 4000),
    st.integers(0, 60),
    st.integers(0, 10**6),
    st.booleans(),
)
def test_stitch_property(texts, durations, gaps, cut_frac, overlap, jitter, seed, garble) -> None:
    truth = timeline(texts, durations, gaps)
    end = truth[-1].end_ms
    a_end = int(end * cut_frac) + overlap // 2
    b_start = a_end - overlap
    a = heard(truth, 0, a_end, jitter, seed, garble)
    b = heard(truth, b_start, end + 1, jitter, seed + 1, garble)
    out = stitch(a, b, b_start, a_end)
    assert [w.text for w in out] == texts
    assert all(x.start_ms <= x.end_ms <= y.start_ms for x, y in zip(out, out[1:]))


@pytest.mark.parametrize(
    ("a_word", "b_word"),
    [
        (Word("colour", 1400, 1560), Word("color", 1450, 1700)),  # copies on both sides of the middle
        (Word("colour", 1450, 1700), Word("color", 1300, 1480)),  # copies on neither side
    ],
)
def test_a_word_spelled_differently_by_two_pieces_is_kept_once(a_word: Word, b_word: Word) -> None:
    a = [Word("we", 0, 900), a_word]
    b = [b_word, Word("next", 2100, 2400)]
    assert [w.text for w in stitch(a, b, 1000, 2000)] == ["we", "colour", "next"]
