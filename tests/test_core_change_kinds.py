"""A splice says whether it changed the words' text or only their times (the kind views act on)."""

from __future__ import annotations

from app.core.document import Change, ChangeKind, Speaker, TimingSource, Transcript, Word
from app.core.edits import AssignSpeaker, ReplaceText, SetWordTimes, SplitSegment


def _doc() -> tuple[Transcript, list[Change]]:
    words = [Word(f"w{i}", i * 100, i * 100 + 80, "A") for i in range(10)]
    doc = Transcript.from_words(words)
    seen: list[Change] = []
    doc.subscribe(seen.append)
    return doc, seen


def test_new_times_are_a_timing_change_and_new_text_a_words_change() -> None:
    doc, seen = _doc()
    SetWordTimes(3, 300, 360).apply(doc)
    doc.splice(4, 5, [doc.words[4].replace(source=TimingSource.ALIGNED, confidence=0.5)])
    assert [c.kind for c in seen] == [ChangeKind.TIMING, ChangeKind.TIMING]
    assert (seen[0].start, seen[0].removed, seen[0].inserted) == (3, 1, 1)
    ReplaceText(5, 6, "five").apply(doc)
    assert seen[-1].kind == ChangeKind.WORDS


def test_speaker_paragraph_count_and_empty_changes_are_words_changes() -> None:
    doc, seen = _doc()
    doc.set_speakers([*doc.speakers, Speaker("B", "Ben", "#000000")])
    seen.clear()
    AssignSpeaker(2, 4, "B").apply(doc)  # the same text under another speaker: headers change
    SplitSegment(6).apply(doc)  # a paragraph break: the text shows a new paragraph
    doc.splice(8, 9, [doc.words[8], Word("new", 880, 890, "A")])  # one more word
    doc.splice(10, 10, [])  # nothing at all
    assert [c.kind for c in seen] == [ChangeKind.WORDS] * 4
    assert all(c.touches_words for c in seen)
    assert not Change(ChangeKind.SPEAKERS).touches_words and Change(ChangeKind.TIMING).touches_words
