"""Text and timing changes reach the views apart, and the editor skips the echo of its own typing.

A boundary dragged on the waveform (or a re-alignment) only re-times words: the document says so with a
TIMING change, and the editor keeps its text, its selection and its render count while the word styles
and headers follow the new times. Typing is pushed with the text view as origin, so the editor does not
re-render what it already shows; undo and redo of that typing (replays) are rendered.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCharFormat
from test_ui_editor_support import block_texts, expected_texts, interview, put_cursor, type_keys

from app.core.document import Change, ChangeKind, TimingSource
from app.core.edits import SpliceWords
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack
from app.ui.waveform_view import WaveformView


@pytest.fixture
def views(qtbot):
    doc = interview()
    stack = DocumentUndoStack(doc)
    editor = TranscriptEditor()
    waveform = WaveformView()
    for widget in (editor, waveform):
        qtbot.addWidget(widget)
        widget.resize(900, 400)
        widget.set_document(doc, stack)
        widget.show()
        qtbot.waitExposed(widget)
    waveform.set_audio(None, doc.duration_ms)
    seen: list[Change] = []
    doc.subscribe(seen.append)
    return doc, stack, editor, waveform, seen


def _underlined(editor: TranscriptEditor, block_number: int) -> list[tuple[int, int]]:
    """The (start, length) ranges of a block the highlighter underlines (interpolated words)."""
    block = editor.text_view().document().findBlockByNumber(block_number)
    ranges = block.layout().formats()
    return [(r.start, r.length) for r in ranges
            if r.format.underlineStyle() != QTextCharFormat.UnderlineStyle.NoUnderline]


def test_a_boundary_drag_is_timing_only_and_keeps_the_editor_text_and_selection(views) -> None:
    doc, stack, editor, waveform, seen = views
    a, _ = editor.layout_model().word_span(40)
    _, b = editor.layout_model().word_span(44)
    editor.select_span(a, b)  # the person has words selected (a quote) while fixing a boundary
    texts, renders = block_texts(editor), editor.renders
    word = doc.words[42]
    waveform.move_boundary((42, 1), word.end_ms - 60)  # the word's end, pulled 60 ms back
    assert doc.words[42].end_ms == word.end_ms - 60 and doc.words[42].source == TimingSource.MANUAL
    assert [c.kind for c in seen] == [ChangeKind.TIMING]
    assert editor.renders == renders and block_texts(editor) == texts
    cursor = editor.text_view().textCursor()
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (a, b)  # the selection survived the drag
    stack.undo()  # undoing the drag is a timing change too
    assert doc.words[42].end_ms == word.end_ms and seen[-1].kind == ChangeKind.TIMING
    assert editor.renders == renders and block_texts(editor) == texts


def test_a_retimed_word_loses_its_interpolated_mark_without_a_render(views) -> None:
    doc, stack, editor, _, seen = views
    number = doc.segment_index_of(5)
    old = doc.words[5]
    stack.push_command(SpliceWords(5, 6, [old.replace(source=TimingSource.INTERPOLATED)]))
    assert seen[-1].kind == ChangeKind.TIMING
    start, end = editor.layout_model().word_span(5)
    block_start = editor.text_view().document().findBlockByNumber(number).position()
    assert (start - block_start, end - start) in _underlined(editor, number)
    renders = editor.renders
    stack.push_command(SpliceWords(5, 6, [old.replace(source=TimingSource.ALIGNED, start_ms=old.start_ms + 20)]))
    assert seen[-1].kind == ChangeKind.TIMING and editor.renders == renders
    assert _underlined(editor, number) == []  # the highlighter followed the new timing source


def test_typing_is_not_echoed_back_into_the_editor_but_its_undo_is(views, qtbot) -> None:
    doc, stack, editor, _, seen = views
    view = editor.text_view()
    put_cursor(editor, 12, -1)
    before = doc.words[12].text
    renders = editor.renders
    type_keys(view, "s")
    assert seen and all(c.kind == ChangeKind.WORDS and c.origin is view for c in seen)
    assert editor.renders == renders  # the text view shows the keystroke; nothing was reloaded
    assert block_texts(editor) == expected_texts(doc) and doc.words[12].text == before + "s"
    assert view.textCursor().position() == editor.layout_model().word_span(12)[1]
    stack.undo()  # a replay: the editor renders it (the text view does not show it yet)
    assert editor.renders == renders + 1 and block_texts(editor) == expected_texts(doc)
    assert doc.words[12].text == before


def test_a_split_from_the_editor_is_rendered(views) -> None:
    doc, _, editor, _, seen = views
    put_cursor(editor, 8, 0)
    renders = editor.renders
    assert editor.split_at_cursor()
    assert seen[-1].kind == ChangeKind.WORDS and seen[-1].origin is editor
    assert editor.renders == renders + 1 and block_texts(editor) == expected_texts(doc)
    assert doc.segments()[doc.segment_index_of(8)].start == 8  # word 8 now starts a paragraph
