"""The transcript editor: rendering, clicks, typing with timing kept, splitting/merging turns, undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from test_ui_editor_support import (
    SPEAKERS,
    block_texts,
    click_word,
    expected_texts,
    interview,
    put_cursor,
    word_center,
)

from app.core.document import TimingSource
from app.core.edits import ReplaceText
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack


@pytest.fixture
def setup(qtbot):
    doc = interview()
    stack = DocumentUndoStack(doc)
    editor = TranscriptEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 700)
    editor.set_document(doc, stack)
    editor.show()
    qtbot.waitExposed(editor)
    return doc, stack, editor


def test_one_paragraph_per_segment_and_names_never_in_text(setup):
    doc, _, editor = setup
    assert len(doc.segments()) == 9
    assert block_texts(editor) == expected_texts(doc)
    text = editor.text_view().toPlainText()
    for speaker in SPEAKERS:
        assert speaker.name not in text
    assert editor.header_text(0) == "Anna Reyes [00:00]"
    second = doc.segments()[1]
    assert editor.header_text(1).startswith("Mayor Ben Ortiz [")
    assert editor.header_text(1).endswith(f"{doc.words[second.start].start_ms // 60000:02d}:"
                                          f"{doc.words[second.start].start_ms // 1000 % 60:02d}]")
    assert not editor.header_rect(0).isEmpty()


def test_click_on_word_emits_index_and_start(setup, qtbot):
    doc, _, editor = setup
    for index in (0, 45, 120):
        with qtbot.waitSignal(editor.word_clicked, timeout=1000) as blocker:
            click_word(qtbot, editor, index)
        assert blocker.args == [index, doc.words[index].start_ms]


def test_cursor_moves_report_the_word(setup, qtbot):
    _, _, editor = setup
    with qtbot.waitSignal(editor.cursor_word_changed, timeout=1000) as blocker:
        put_cursor(editor, 17, 1)
    assert blocker.args == [17]
    assert editor.current_word() == 17


def test_typing_a_correction_keeps_every_other_timing(setup, qtbot):
    doc, stack, editor = setup
    before = list(doc.words)
    index = 40
    original = doc.words[index].text
    put_cursor(editor, index, -1)  # just after the word's last character
    qtbot.keyClicks(editor.text_view(), "xy")
    after = list(doc.words)
    assert len(after) == len(before)
    assert after[index].text == original + "xy"
    assert after[index].source == TimingSource.INTERPOLATED
    assert (after[index].start_ms, after[index].end_ms) == (before[index].start_ms, before[index].end_ms)
    assert [w for i, w in enumerate(after) if i != index] == [w for i, w in enumerate(before) if i != index]
    assert block_texts(editor) == expected_texts(doc)
    assert stack.count() == 1  # two keystrokes, one undo step

    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert list(doc.words) == before
    assert block_texts(editor) == expected_texts(doc)
    stack.redo()
    assert list(doc.words) == after
    assert block_texts(editor) == expected_texts(doc)


def test_typing_a_new_word_and_deleting_one(setup, qtbot):
    doc, stack, editor = setup
    before = list(doc.words)
    put_cursor(editor, 60, -1)
    qtbot.keyClicks(editor.text_view(), " really")
    assert [w.text for w in doc.words[60:62]] == [before[60].text, "really"]
    assert doc.words[61].source == TimingSource.INTERPOLATED
    assert before[60].end_ms <= doc.words[61].start_ms <= doc.words[61].end_ms <= before[61].start_ms
    assert list(doc.words[:61]) == before[:61] and list(doc.words[62:]) == before[61:]
    # select a whole word with its space and delete it
    start, end = editor.layout_model().word_span(70)
    cursor = editor.text_view().textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end + 1, QTextCursor.MoveMode.KeepAnchor)
    editor.text_view().setTextCursor(cursor)
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Delete)
    assert len(doc) == len(before)
    assert block_texts(editor) == expected_texts(doc)
    while stack.canUndo():
        stack.undo()
    assert list(doc.words) == before
    assert block_texts(editor) == expected_texts(doc)


def test_enter_splits_a_turn_and_backspace_merges_it(setup, qtbot):
    doc, stack, editor = setup
    before = list(doc.words)
    segments = doc.segments()
    view = editor.text_view()
    put_cursor(editor, 10)  # at the start of word 10, inside the first turn
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert [s.start for s in doc.segments()] == [0, 10] + [s.start for s in segments[1:]]
    assert block_texts(editor) == expected_texts(doc)
    assert view.textCursor().blockNumber() == 1 and view.textCursor().positionInBlock() == 0
    assert editor.header_text(1).startswith("Anna Reyes [")

    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert doc.segments() == segments
    assert list(doc.words) == before
    assert block_texts(editor) == expected_texts(doc)
    assert editor.current_word() == 10


def test_enter_in_the_middle_of_a_word_moves_the_whole_word(setup, qtbot):
    doc, _, editor = setup
    put_cursor(editor, 20, 2)
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Return)
    assert doc.segments()[1].start == 20
    assert [w.text for w in doc.words] == [w.text for w in interview().words]  # no word was cut
    assert block_texts(editor) == expected_texts(doc)


def test_backspace_at_a_speaker_change_joins_into_the_previous_speaker(setup, qtbot):
    doc, stack, editor = setup
    second = doc.segments()[1]
    put_cursor(editor, second.start)
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_Backspace)
    assert len(doc.segments()) == 8
    assert doc.words[second.start].speaker == "S1"
    assert block_texts(editor) == expected_texts(doc)
    stack.undo()
    assert len(doc.segments()) == 9 and doc.words[second.start].speaker == "S2"
    assert block_texts(editor) == expected_texts(doc)


def test_deleting_a_whole_paragraph_and_across_paragraphs(setup, qtbot):
    doc, stack, editor = setup
    view = editor.text_view()
    n_before = len(doc)
    seg = doc.segments()[2]
    block = view.document().findBlockByNumber(2)
    cursor = view.textCursor()
    cursor.setPosition(block.position())
    cursor.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(doc) == n_before - (seg.end - seg.start)
    assert block_texts(editor) == expected_texts(doc)
    # a selection from the middle of one paragraph into the next
    a = editor.layout_model().word_span(5)[0]
    b = editor.layout_model().word_span(doc.segments()[1].start + 3)[0]
    cursor.setPosition(a)
    cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    qtbot.keyClicks(view, "X ")
    assert block_texts(editor) == expected_texts(doc)
    assert doc.words[5].text == "X"
    assert doc.words[7].speaker == "S2"  # the words kept from the next turn keep their speaker
    while stack.canUndo():
        stack.undo()
    assert len(doc) == n_before
    assert block_texts(editor) == expected_texts(doc)


def test_paste_with_line_breaks_stays_in_the_paragraph(setup, qtbot):
    doc, _, editor = setup
    n = len(doc.segments())
    put_cursor(editor, 30, -1)
    QApplication.clipboard().setText("one\ntwo")
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(doc.segments()) == n
    assert block_texts(editor) == expected_texts(doc)
    assert [w.text for w in doc.words[31:33]] == ["one", "two"] or doc.words[30].text.endswith("one")


def test_highlight_word_keeps_the_text_cursor_and_scrolls(setup, qtbot):
    doc, _, editor = setup
    view = editor.text_view()
    put_cursor(editor, 3, 1)
    position = view.textCursor().position()
    editor.highlight_word(290)
    assert view.textCursor().position() == position
    rect = editor.word_rect(290)
    assert view.viewport().rect().contains(rect)
    sel = view.extraSelections()[-1]
    assert (sel.cursor.selectionStart(), sel.cursor.selectionEnd()) == editor.layout_model().word_span(290)
    editor.highlight_word(-1)
    assert view.extraSelections() == [] and view.textCursor().position() == position


def test_speaker_menu_assigns_a_turn(setup, qtbot):
    doc, stack, editor = setup
    menu = editor.speaker_menu(0)
    names = [a.text() for a in menu.actions() if a.text()]
    assert names == ["Anna Reyes", "Mayor Ben Ortiz", "Cleo Park", "New speaker…"]
    next(a for a in menu.actions() if a.text() == "Cleo Park").trigger()
    assert editor.header_text(0).startswith("Cleo Park")
    assert {w.speaker for w in doc.words[: doc.segments()[0].end]} == {"S3"}
    new_id = editor.assign_new_speaker(1, "Dr. Ito")
    assert doc.speaker_name(new_id) == "Dr. Ito"
    assert editor.header_text(1).startswith("Dr. Ito")
    assert block_texts(editor) == expected_texts(doc)
    stack.undo()  # the new speaker and the assignment are one step
    assert doc.speaker(new_id) is None
    assert editor.header_text(1).startswith("Mayor Ben Ortiz")


def test_changes_from_elsewhere_update_only_their_paragraph(setup, qtbot):
    doc, stack, editor = setup
    view = editor.text_view()
    put_cursor(editor, 5, 2)
    cursor_before = view.textCursor().position()
    first_block = view.document().findBlockByNumber(0)
    seg = doc.segments()[4]
    stack.push_command(ReplaceText(seg.start + 1, seg.start + 2, "Tuesday"))
    assert block_texts(editor) == expected_texts(doc)
    assert view.textCursor().position() == cursor_before
    assert view.document().findBlockByNumber(0) == first_block


def test_click_on_the_header_name_is_not_a_word_click(setup, qtbot):
    _, _, editor = setup
    with qtbot.assertNotEmitted(editor.word_clicked):
        rect = editor.header_rect(0)
        menu_shown = []
        editor.speaker_menu = lambda i: _FakeMenu(menu_shown, i)  # the real one would block in exec()
        qtbot.mouseClick(editor.text_view().viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert menu_shown == [0]


class _FakeMenu:
    def __init__(self, log: list, index: int) -> None:
        self._log, self._index = log, index

    def exec(self, *_args) -> None:
        self._log.append(self._index)


def test_a_long_interview_opens_and_stays_clickable(qtbot):
    import time

    doc = interview(20_000, turn=41)
    stack = DocumentUndoStack(doc)
    editor = TranscriptEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 700)
    t0 = time.perf_counter()
    editor.set_document(doc, stack)
    editor.show()
    qtbot.waitExposed(editor)
    QApplication.processEvents()
    opened = time.perf_counter() - t0
    assert editor.text_view().document().blockCount() == len(doc.segments())
    index = 19_990
    point = word_center(editor, index)
    with qtbot.waitSignal(editor.word_clicked, timeout=2000) as blocker:
        qtbot.mouseClick(editor.text_view().viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [index, doc.words[index].start_ms]
    put_cursor(editor, index, -1)
    t1 = time.perf_counter()
    qtbot.keyClicks(editor.text_view(), "s")
    editor.text_view().viewport().repaint()
    keystroke = time.perf_counter() - t1
    assert doc.words[index].text.endswith("s")
    print(f"\n20,000 words: opened in {opened * 1000:.0f} ms, one keystroke + repaint {keystroke * 1000:.1f} ms")
