"""Timing rules: spread_words and retime_text (property tests), and a long transcript edited in one place."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.document import TimingSource, Transcript, Word
from app.core.edits import History, ReplaceText
from app.core.timing import retime_text, spread_words

_settings = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
_VOCAB = ["the", "mayor", "said", "bridge", "opens", "in", "May", "it", "was", "closed,", "Yes.", "a"]


@st.composite
def _timed_words(draw: st.DrawFn) -> tuple[list[Word], int, int]:
    """Old words in order and without overlaps inside [prev_end, next_start], with random gaps."""
    texts = draw(st.lists(st.sampled_from(_VOCAB), max_size=12))
    t = prev_end = draw(st.integers(0, 5000))
    words = []
    for i, text in enumerate(texts):
        t += draw(st.integers(0, 300))
        length = draw(st.integers(0, 600))
        words.append(Word(text, t, t + length, "S1", 0.5, TimingSource.MODEL, i == 0 and draw(st.booleans())))
        t += length
    next_start = t + draw(st.integers(0, 800))
    return words, prev_end, next_start


def _edit(draw: st.DrawFn, old: list[str]) -> list[str]:
    """The old texts with some words changed, dropped and inserted."""
    new: list[str] = []
    for text in old:
        action = draw(st.sampled_from(["keep", "keep", "keep", "change", "drop", "insert"]))
        if action == "keep":
            new.append(text)
        elif action == "change":
            new.append(text.upper() + "x")
        elif action == "insert":
            new += [draw(st.sampled_from(_VOCAB)), text]
    if draw(st.booleans()):
        new.append(draw(st.sampled_from(_VOCAB)))
    return new


def _assert_well_formed(words: list[Word], lo: int, hi: int | None) -> None:
    for w in words:
        assert isinstance(w.start_ms, int) and isinstance(w.end_ms, int)
        assert lo <= w.start_ms <= w.end_ms
        if hi is not None:
            assert w.end_ms <= hi
    for a, b in zip(words, words[1:]):
        assert a.end_ms <= b.start_ms, (a, b)


@_settings
@given(data=st.data())
def test_retime_properties(data: st.DataObject) -> None:
    old, prev_end, next_start = data.draw(_timed_words())
    new_texts = _edit(data.draw, [w.text for w in old])
    result = retime_text(old, " ".join(new_texts), prev_end, next_start)

    assert [w.text for w in result] == new_texts
    _assert_well_formed(result, prev_end, next_start)
    kept = [w for w in result if any(w is o for o in old)]
    for w in result:
        if w.source is TimingSource.INTERPOLATED:
            assert w.confidence is None
        else:
            # kept words are the old ones (only the range's paragraph flag may have moved to the front)
            assert any(w.replace(starts_segment=o.starts_segment) == o for o in old), "new words are interpolated"
    # unchanged words are the old Word objects themselves (exact times), each used once, in their old order
    positions = [next(i for i, o in enumerate(old) if o is w) for w in kept]
    assert positions == sorted(set(positions))
    if new_texts == [w.text for w in old]:
        assert result == old
    if old and result:
        assert result[0].starts_segment == old[0].starts_segment
        assert not any(w.starts_segment for w in result[1:])


@_settings
@given(data=st.data())
def test_retime_unchanged_text_is_identity_and_open_end_grows_forward(data: st.DataObject) -> None:
    old, prev_end, next_start = data.draw(_timed_words())
    text = " ".join(w.text for w in old)
    assert retime_text(old, "  " + text.replace(" ", " \n\t ") + " ", prev_end, next_start) == old
    extra = data.draw(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=4))
    grown = retime_text(old, " ".join([text] + extra), prev_end, None)
    assert grown[: len(old)] == old
    _assert_well_formed(grown, prev_end, None)
    assert grown[-1].end_ms > max([prev_end] + [w.end_ms for w in old])  # nominal length, not zero


@_settings
@given(
    texts=st.lists(st.text(min_size=1, max_size=8).filter(lambda t: not t.isspace()), max_size=20),
    start=st.integers(0, 10_000),
    span=st.integers(-50, 5_000),
)
def test_spread_words_properties(texts: list[str], start: int, span: int) -> None:
    words = spread_words(texts, start, start + span)
    assert [w.text for w in words] == texts
    _assert_well_formed(words, start, max(start, start + span))
    if words and span >= 0:
        assert words[-1].end_ms == start + span


def test_equal_count_replacement_keeps_each_span() -> None:
    old = [Word("teh", 100, 300, "S1", 0.4), Word("major", 350, 700, "S1", 0.4)]
    new = retime_text(old, "the mayor", 0, 1000)
    assert [(w.text, w.start_ms, w.end_ms, w.source) for w in new] == [
        ("the", 100, 300, TimingSource.INTERPOLATED),
        ("mayor", 350, 700, TimingSource.INTERPOLATED),
    ]


def test_uneven_replacement_spreads_over_old_span() -> None:
    old = [Word("a", 0, 100), Word("gonna", 200, 600), Word("b", 700, 800)]
    new = retime_text(old, "a going to b", 0, 1000)
    assert new[0] is old[0] and new[3] is old[2]
    assert new[1].start_ms == 200 and new[2].end_ms == 600 and new[1].end_ms == new[2].start_ms


def _long_transcript(n: int) -> Transcript:
    rng = random.Random(7)
    vocab = [f"w{k}" for k in range(400)] + ["the"] * 100 + ["and"] * 60
    words, t = [], 0
    for i in range(n):
        t += rng.randint(0, 120)
        length = rng.randint(80, 500)
        words.append(Word(rng.choice(vocab), t, t + length, "S1" if (i // 50) % 2 else "S2", 0.9))
        t += length
    return Transcript.from_words(words)


def test_long_transcript_one_word_changed_keeps_every_other_timing() -> None:
    doc = _long_transcript(5000)
    original = list(doc.words)
    history = History(doc)
    target = 2718
    texts = [w.text for w in original]
    texts[target] = "Okafor"
    # the whole transcript as the new text
    history.push(ReplaceText(0, len(doc), " ".join(texts)))
    assert len(doc) == 5000
    changed = [i for i in range(5000) if doc.words[i] is not original[i] and doc.words[i] != original[i]]
    assert changed == [target]
    w = doc.words[target]
    assert (w.text, w.start_ms, w.end_ms, w.source) == (
        "Okafor", original[target].start_ms, original[target].end_ms, TimingSource.INTERPOLATED
    )
    history.undo()
    assert list(doc.words) == original
    # a small range with a word inserted: only the new word is new
    history.push(ReplaceText(100, 103, f"{original[100].text} inserted {original[101].text} {original[102].text}"))
    assert len(doc) == 5001
    assert list(doc.words[:101]) == original[:101] and list(doc.words[102:]) == original[101:]
    new = doc.words[101]
    assert original[100].end_ms <= new.start_ms <= new.end_ms <= original[101].start_ms
