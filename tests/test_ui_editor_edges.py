"""Editor edge cases: empty documents, keys at the ends of turns, spacing-only edits, no document."""

from __future__ import annotations

from PySide6.QtCore import Qt
from test_ui_editor_support import block_texts, expected_texts, interview, put_cursor

from app.core.document import Speaker, TimingSource, Transcript
from app.core.edits import ReplaceTranscript, SplitSegment
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack


def _editor(qtbot, doc):
    stack = DocumentUndoStack(doc)
    editor = TranscriptEditor()
    qtbot.addWidget(editor)
    editor.resize(700, 500)
    editor.set_document(doc, stack)
    editor.show()
    qtbot.waitExposed(editor)
    return stack, editor


def test_typing_into_an_empty_transcript_creates_words(qtbot):
    doc = Transcript.from_words([], [Speaker("S1", "Host", "#1f77b4")])
    stack, editor = _editor(qtbot, doc)
    qtbot.keyClicks(editor.text_view(), "Hello there")
    assert [w.text for w in doc.words] == ["Hello", "there"]
    assert all(w.speaker == "S1" and w.source == TimingSource.INTERPOLATED for w in doc.words)
    assert block_texts(editor) == expected_texts(doc)
    assert editor.header_text(0).startswith("Host [")
    while stack.canUndo():
        stack.undo()
    assert len(doc) == 0 and block_texts(editor) == [""]


def test_keys_at_the_ends_change_nothing(qtbot):
    doc = interview(80)
    stack, editor = _editor(qtbot, doc)
    view = editor.text_view()
    segments = doc.segments()
    put_cursor(editor, 0)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)  # start of the first turn
    qtbot.keyClick(view, Qt.Key.Key_Return)  # a turn already starts here
    put_cursor(editor, segments[0].end - 1, -1)
    qtbot.keyClick(view, Qt.Key.Key_Return)  # end of a turn: no empty turn is made
    put_cursor(editor, len(doc) - 1, -1)
    qtbot.keyClick(view, Qt.Key.Key_Delete)  # end of the last turn
    assert doc.segments() == segments and stack.count() == 0
    assert block_texts(editor) == expected_texts(doc)


def test_delete_at_a_turns_end_joins_the_next_turn(qtbot):
    doc = interview(80)
    stack, editor = _editor(qtbot, doc)
    first = doc.segments()[0]
    put_cursor(editor, first.end - 1, -1)
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Delete)
    assert len(doc.segments()) == 2 and doc.segments()[0].end > first.end
    assert block_texts(editor) == expected_texts(doc)
    assert editor.current_word() == first.end - 1


def test_spacing_alone_is_not_an_edit_and_the_typed_space_stays(qtbot):
    doc = interview(80)
    stack, editor = _editor(qtbot, doc)
    before = list(doc.words)
    put_cursor(editor, 5, -1)
    qtbot.keyClicks(editor.text_view(), " ")
    assert list(doc.words) == before and stack.count() == 0
    qtbot.keyClicks(editor.text_view(), "big")
    assert doc.words[6].text == "big" and len(doc) == len(before) + 1
    assert stack.count() == 1


def test_undo_puts_the_cursor_at_the_change(qtbot):
    doc = interview(300)
    stack, editor = _editor(qtbot, doc)
    put_cursor(editor, 250, -1)
    qtbot.keyClicks(editor.text_view(), "s")
    put_cursor(editor, 3)
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.current_word() == 250
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert doc.words[250].text.endswith("s") and editor.current_word() == 250


def test_no_document_is_read_only_and_a_new_document_replaces_the_old(qtbot):
    editor = TranscriptEditor()
    qtbot.addWidget(editor)
    assert editor.text_view().isReadOnly() and editor.current_word() == -1
    doc = interview(50)
    editor.set_document(doc, DocumentUndoStack(doc))
    assert not editor.text_view().isReadOnly()
    other = interview(20, turn=5)
    editor.set_document(other, DocumentUndoStack(other))
    assert block_texts(editor) == expected_texts(other)
    DocumentUndoStack(doc).push_command(SplitSegment(3))
    assert block_texts(editor) == expected_texts(other)  # the old document is no longer followed


def test_a_transcription_run_growing_the_transcript_renders_each_step(qtbot):
    doc = interview(40)
    stack, editor = _editor(qtbot, doc)
    full = list(interview(200).words)
    run = object()
    put_cursor(editor, 3, 1)
    for n in (60, 120, 200):
        stack.push_command(ReplaceTranscript(full[:n], doc.speakers, run_id=run))
        assert block_texts(editor) == expected_texts(doc)
        assert editor.current_word() == 3  # the reader's place is kept while results arrive
    assert stack.count() == 1
    stack.undo()
    assert len(doc) == 40 and block_texts(editor) == expected_texts(doc)
