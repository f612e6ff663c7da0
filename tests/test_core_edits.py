"""Edit commands and the undo history: exact inverses, merging of typing and of transcription runs."""

from __future__ import annotations

import pytest

from app.core.document import Change, ChangeKind, Speaker, TimingSource, Transcript, TranscriptionSettings, Word
from app.core.edits import (
    AddSpeaker,
    AssignSpeaker,
    Command,
    History,
    MergeSegment,
    MergeSpeakers,
    RenameSpeaker,
    ReplaceText,
    ReplaceTranscript,
    SetKeywords,
    SetSpeakerColor,
    SetWordTimes,
    SpliceWords,
    SplitSegment,
)
from app.core.errors import EditError


def _doc() -> Transcript:
    words = [
        Word("So,", 0, 200, "S1", 0.9),
        Word("what", 250, 400, "S1", 0.8),
        Word("happened?", 400, 900, "S1", 0.7),
        Word("The", 1200, 1300, "S2", 0.95),
        Word("bridge", 1300, 1700, "S2", 0.6, TimingSource.ALIGNED),
        Word("closed.", 1700, 2200, "S2", 0.9),
        Word("Then", 2600, 2800, "S2", 0.9, TimingSource.MODEL, True),
        Word("nothing.", 2800, 3300, "S2", 0.9),
        Word("Really?", 3500, 3900, "S1", 0.9),
    ]
    speakers = [Speaker("S1", "Reporter", "#1f77b4"), Speaker("S2", "Mayor", "#d62728")]
    return Transcript.from_words(words, speakers, ["bridge"], TranscriptionSettings("2b", "r1"))


def _state(doc: Transcript) -> tuple:
    return (list(doc.words), doc.speakers, doc.keywords, doc.settings)


def _roundtrip(cmd: Command, doc: Transcript | None = None) -> Transcript:
    """Apply, check revert restores exactly, redo reproduces exactly; return the doc in the applied state."""
    doc = doc or _doc()
    before = _state(doc)
    cmd.apply(doc)
    after = _state(doc)
    assert after != before
    cmd.revert(doc)
    assert _state(doc) == before
    cmd.apply(doc)
    assert _state(doc) == after
    return doc


def test_splice_words() -> None:
    doc = _roundtrip(SpliceWords(1, 3, [Word("happened", 250, 900, "S1")]))
    assert doc.text(0, 2) == "So, happened"


def test_replace_text_keeps_untouched_timings() -> None:
    doc = _roundtrip(ReplaceText(3, 6, "The old bridge closed."))
    assert [w.text for w in doc.words[3:7]] == ["The", "old", "bridge", "closed."]
    assert doc.words[3] == _doc().words[3] and doc.words[5] == _doc().words[4]
    new = doc.words[4]
    assert new.source is TimingSource.INTERPOLATED and new.speaker == "S2" and new.confidence is None
    assert doc.words[3].end_ms <= new.start_ms <= new.end_ms <= doc.words[5].start_ms


def test_replace_text_spelling_fix_keeps_span_and_paragraph_flag() -> None:
    doc = _roundtrip(ReplaceText(6, 7, "Than"))
    w = doc.words[6]
    assert (w.text, w.start_ms, w.end_ms, w.starts_segment) == ("Than", 2600, 2800, True)
    assert w.source is TimingSource.INTERPOLATED


def test_replace_text_insertion_into_empty_range_takes_neighbour_speaker() -> None:
    doc = _roundtrip(ReplaceText(9, 9, "Yes, really."))
    assert doc.text(8) == "Really? Yes, really."
    assert {w.speaker for w in doc.words[9:]} == {"S1"}
    assert doc.words[9].start_ms >= 3900 and doc.words[10].end_ms > doc.words[9].start_ms


def test_replace_text_with_explicit_and_unknown_speaker() -> None:
    doc = _roundtrip(ReplaceText(0, 1, "Well,", speaker="S2"))
    assert doc.words[0].speaker == "S2"
    with pytest.raises(EditError):
        ReplaceText(0, 1, "x", speaker="S9").apply(_doc())


def test_typing_merges_into_one_undo_step() -> None:
    doc = _doc()
    before = _state(doc)
    history = History(doc)
    # the editor sends the whole word/paragraph after each keystroke
    history.push(ReplaceText(4, 5, "bridg"))
    history.push(ReplaceText(4, 5, "bridge,"))
    history.push(ReplaceText(4, 5, "bridge, they"))
    history.push(ReplaceText(4, 6, "bridge, they said"))  # covers exactly what the last step produced
    assert len(history) == 1
    assert doc.text(3, 8) == "The bridge, they said closed."
    typed = _state(doc)
    history.undo()
    assert _state(doc) == before
    history.redo()
    assert _state(doc) == typed
    # typing somewhere else is a new step
    history.push(ReplaceText(0, 1, "Now,"))
    assert len(history) == 2 and history.undo_description() == "Typing"


def test_replace_text_does_not_merge_elsewhere_or_with_other_commands() -> None:
    doc = _doc()
    first = ReplaceText(4, 5, "span")
    first.apply(doc)
    other = ReplaceText(5, 6, "shut.")
    other.apply(doc)
    assert not first.merge(other)
    wider = ReplaceText(4, 6, "span shut")  # covers more than `first` produced
    wider.apply(doc)
    assert not first.merge(wider)
    split = SplitSegment(5)
    split.apply(doc)
    assert not first.merge(split)


def test_split_segment() -> None:
    doc = _roundtrip(SplitSegment(5))
    assert [s.start for s in doc.segments()] == [0, 3, 5, 6, 8]
    for bad in (0, 3, 6, 99):
        with pytest.raises(EditError):
            SplitSegment(bad).apply(_doc())


def test_merge_segment_same_speaker_clears_break() -> None:
    doc = _roundtrip(MergeSegment(6))
    assert [s.start for s in doc.segments()] == [0, 3, 8]


def test_merge_segment_other_speaker_takes_previous_speaker_and_keeps_next_break() -> None:
    words = _doc().words
    doc = Transcript.from_words([w.replace(starts_segment=False) for w in words], _doc().speakers)
    doc = _roundtrip(MergeSegment(8), doc)
    assert doc.words[8].speaker == "S2"
    doc = _roundtrip(MergeSegment(3), _doc())
    assert {w.speaker for w in doc.words[:6]} == {"S1"}
    assert [s.start for s in doc.segments()] == [0, 6, 8]  # "Then" (S2) still starts its own turn
    # A | B | A: joining B into the first A must not swallow the second A turn
    abc = Transcript.from_words(
        [Word("a", 0, 1, "S1"), Word("b", 1, 2, "S2"), Word("c", 2, 3, "S1"), Word("d", 3, 4, "S1")]
    )
    abc = _roundtrip(MergeSegment(1), abc)
    assert [(s.start, s.end, s.speaker) for s in abc.segments()] == [(0, 2, "S1"), (2, 4, "S1")]
    for bad in (0, 1, 99):
        with pytest.raises(EditError):
            MergeSegment(bad).apply(_doc())


def test_set_word_times() -> None:
    doc = _roundtrip(SetWordTimes(1, 210, 390))
    w = doc.words[1]
    assert (w.start_ms, w.end_ms, w.source) == (210, 390, TimingSource.MANUAL)
    for start, end in ((150, 390), (210, 450), (300, 299), (-1, 10), (210.5, 390)):
        before = _state(doc)
        with pytest.raises(EditError):
            SetWordTimes(1, start, end).apply(doc)  # type: ignore[arg-type]
        assert _state(doc) == before


def test_assign_speaker() -> None:
    doc = _roundtrip(AssignSpeaker(1, 3, "S2"))
    assert [w.speaker for w in doc.words[:4]] == ["S1", "S2", "S2", "S2"]
    with pytest.raises(EditError):
        AssignSpeaker(0, 1, "nobody").apply(_doc())
    with pytest.raises(EditError):
        AssignSpeaker(2, 2, "S1").apply(_doc())


def test_add_rename_recolour_speakers() -> None:
    add = AddSpeaker("Guest")
    doc = _roundtrip(add)
    assert add.speaker_id == "S3" and doc.speaker("S3").name == "Guest"
    assert add.color not in {"#1f77b4", "#d62728"}
    with pytest.raises(EditError):
        AddSpeaker("Dup", speaker_id="S1").apply(_doc())
    doc = _roundtrip(RenameSpeaker("S2", "Mayor Okafor"))
    assert doc.speaker_name("S2") == "Mayor Okafor" and doc.speakers[0].name == "Reporter"
    with pytest.raises(EditError):
        RenameSpeaker("S2", "  ").apply(_doc())
    doc = _roundtrip(SetSpeakerColor("S1", "#000000"))
    assert doc.speaker("S1").color == "#000000"


def test_rename_typing_merges() -> None:
    doc = _doc()
    history = History(doc)
    for name in ("M", "Ma", "Mayor O"):
        history.push(RenameSpeaker("S2", name))
    history.push(RenameSpeaker("S1", "Reporter A"))
    assert len(history) == 2 and doc.speaker_name("S2") == "Mayor O"
    history.undo()
    history.undo()
    assert _state(doc) == _state(_doc())


def test_merge_speakers_is_exactly_reversible() -> None:
    doc = _roundtrip(MergeSpeakers("S1", "S2"))
    assert {w.speaker for w in doc.words} == {"S2"} and [s.id for s in doc.speakers] == ["S2"]
    with pytest.raises(EditError):
        MergeSpeakers("S1", "S1").apply(_doc())
    with pytest.raises(EditError):
        MergeSpeakers("S1", "S7").apply(_doc())


def test_set_keywords() -> None:
    doc = _roundtrip(SetKeywords(["Okafor", "Rhine bridge"]))
    assert doc.keywords == ("Okafor", "Rhine bridge")


def test_replace_transcript_run_is_one_undo_step() -> None:
    doc = _doc()
    before = _state(doc)
    history = History(doc)
    history.push(ReplaceText(0, 1, "Now,"))
    edited = _state(doc)
    settings = TranscriptionSettings("plus", "r2", "en", "transcribe", None, "cuda")
    partial: list[Word] = []
    for piece in range(3):
        partial = partial + [Word(f"w{piece}", piece * 1000, piece * 1000 + 500, f"X{piece % 2}")]
        history.push(ReplaceTranscript(partial, [], settings=settings if piece == 0 else None, run_id="run-1"))
    assert len(history) == 2 and doc.text() == "w0 w1 w2"
    assert doc.settings == settings and {s.id for s in doc.speakers} == {"X0", "X1"}
    done = _state(doc)
    history.undo()
    assert _state(doc) == edited
    history.redo()
    assert _state(doc) == done
    history.push(ReplaceTranscript([Word("again", 0, 10)], [], run_id="run-2"))
    assert len(history) == 3
    history.undo()
    history.undo()
    history.undo()
    assert _state(doc) == before
    # without a run id nothing merges
    a, b = ReplaceTranscript([], []), ReplaceTranscript([], [])
    assert not a.merge(b)


def test_history_clean_tracking_and_descriptions() -> None:
    doc = _doc()
    history = History(doc)
    assert history.is_clean() and not history.can_undo() and not history.can_redo()
    history.push(SplitSegment(4))
    assert not history.is_clean() and history.undo_description() == "Split paragraph"
    history.mark_clean()
    history.push(AssignSpeaker(0, 1, "S2"))
    assert not history.is_clean()
    history.undo()
    assert history.is_clean() and history.redo_description() == "Assign speaker"
    history.undo()
    assert not history.is_clean()
    history.push(SetKeywords(["x"]))  # the saved state is now unreachable
    assert not history.can_redo() and not history.is_clean()
    history.undo()
    history.redo()
    assert not history.is_clean()
    # merging into the saved top makes it dirty
    history.mark_clean()
    history.push(ReplaceText(0, 1, "Yes"))
    history.mark_clean()
    history.push(ReplaceText(0, 1, "Yes,"))
    assert len(history) == 2 and not history.is_clean()


def test_failed_push_records_nothing() -> None:
    doc = _doc()
    history = History(doc)
    with pytest.raises(EditError):
        history.push(SplitSegment(0))
    assert len(history) == 0 and _state(doc) == _state(_doc())


def test_origin_reaches_listeners() -> None:
    doc = _doc()
    seen: list[Change] = []
    doc.subscribe(seen.append)
    editor = object()
    cmd = MergeSpeakers("S1", "S2")
    cmd.origin = editor
    cmd.apply(doc)
    cmd.revert(doc)
    assert seen and all(c.origin is editor for c in seen)
    assert {c.kind for c in seen} == {ChangeKind.WORDS, ChangeKind.SPEAKERS}


def test_two_speakers_cannot_share_a_name() -> None:
    from app.core.document import Speaker, Transcript, Word
    from app.core.edits import AddSpeaker, History, RenameSpeaker
    from app.core.errors import EditError

    doc = Transcript.from_words([Word("a", 0, 100, "S1")], [Speaker("S1", "Anna Reyes", "#1f77b4"),
                                                            Speaker("S2", "Ben", "#d62728")])
    history = History(doc)
    with pytest.raises(EditError, match="already called Anna Reyes"):
        history.push(RenameSpeaker("S2", " anna reyes "))
    with pytest.raises(EditError, match="already called"):
        history.push(AddSpeaker("Ben"))
    history.push(AddSpeaker())
    history.push(RenameSpeaker("S1", "Anna Reyes-Cole"))  # renaming oneself is fine
    assert [s.name for s in doc.speakers] == ["Anna Reyes-Cole", "Ben", "Speaker 3"]
