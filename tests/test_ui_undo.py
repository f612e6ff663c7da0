"""DocumentUndoStack: core edit commands on a QUndoStack."""

from __future__ import annotations

import pytest
from test_ui_editor_support import interview

from app.core.document import TimingSource, Word
from app.core.edits import AddSpeaker, RenameSpeaker, ReplaceText, ReplaceTranscript, SplitSegment
from app.core.errors import EditError
from app.ui.undo import DocumentUndoStack


def test_push_applies_and_undo_redo_revert_and_reapply(qtbot):
    doc = interview(60)
    stack = DocumentUndoStack(doc)
    before = list(doc.words)
    stack.push_command(ReplaceText(3, 4, "Thanks"))
    assert doc.words[3].text == "Thanks" and doc.words[3].source == TimingSource.INTERPOLATED
    after = list(doc.words)
    assert stack.count() == 1 and stack.undoText() == "Typing"
    stack.undo()
    assert list(doc.words) == before
    stack.redo()
    assert list(doc.words) == after


def test_consecutive_typing_merges_into_one_step(qtbot):
    doc = interview(60)
    stack = DocumentUndoStack(doc)
    before = list(doc.words)
    seg = doc.segments()[0]
    base = doc.text(seg.start, seg.end)
    end = seg.end
    for typed in ("T", "To", "Tod"):
        stack.push_command(ReplaceText(seg.start, end, base + " " + typed))
        end = doc.segments()[0].end
    assert stack.count() == 1
    assert doc.words[seg.end].text == "Tod"
    stack.undo()
    assert list(doc.words) == before


def test_other_kinds_do_not_merge_and_errors_leave_everything_unchanged(qtbot):
    doc = interview(60)
    stack = DocumentUndoStack(doc)
    stack.push_command(SplitSegment(10))
    stack.push_command(SplitSegment(20))
    assert stack.count() == 2
    words = list(doc.words)
    with pytest.raises(EditError):
        stack.push_command(SplitSegment(10))  # a paragraph already starts there
    assert stack.count() == 2 and list(doc.words) == words
    stack.push_command(RenameSpeaker("S1", "A"))
    stack.push_command(RenameSpeaker("S1", "Anna"))  # renames of one speaker merge
    assert stack.count() == 3 and doc.speaker_name("S1") == "Anna"
    stack.undo()
    assert doc.speaker_name("S1") == "Anna Reyes"


def test_origin_reaches_the_change_events_and_replaying_is_flagged(qtbot):
    doc = interview(30)
    stack = DocumentUndoStack(doc)
    seen = []
    doc.subscribe(lambda change: seen.append((change.origin, stack.replaying)))
    marker = object()
    stack.push_command(AddSpeaker("Guest"), origin=marker)
    stack.undo()
    stack.redo()
    assert seen == [(marker, False), (marker, True), (marker, True)]


def test_a_transcription_run_is_one_step_and_a_macro_too(qtbot):
    doc = interview(30)
    stack = DocumentUndoStack(doc)
    before = list(doc.words)
    run = object()
    for n in (1, 2, 3):
        words = [Word(f"w{i}", i * 100, i * 100 + 80, "S1") for i in range(n * 5)]
        stack.push_command(ReplaceTranscript(words, doc.speakers, run_id=run))
    assert stack.count() == 1 and len(doc) == 15
    stack.beginMacro("Two edits")
    stack.push_command(ReplaceText(0, 1, "alpha"))
    stack.push_command(ReplaceText(5, 6, "beta"))
    stack.endMacro()
    assert stack.count() == 2
    stack.undo()
    assert [w.text for w in doc.words][:6] == [f"w{i}" for i in range(6)]
    stack.undo()
    assert list(doc.words) == before
