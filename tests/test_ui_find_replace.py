"""Find and replace in the transcript editor."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_ui_editor_support import block_texts, expected_texts, interview

from app.core.document import TimingSource
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


def _count(doc, word: str, case: bool = False) -> int:
    norm = (lambda s: s) if case else str.lower
    return sum(norm(word) in norm(w.text) for w in doc.words)


def test_ctrl_f_counts_and_steps_through_matches(setup, qtbot):
    doc, _, editor = setup
    bar = editor.find_bar
    qtbot.keyClick(editor.text_view(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert bar.isVisible() and not bar.replace_edit.isVisible()
    qtbot.keyClicks(bar.find_edit, "bridge")
    total = _count(doc, "bridge")
    assert total > 3 and len(bar.matches()) == total
    assert bar.count_text() == f"1 of {total}"
    selected = editor.text_view().textCursor().selectedText()
    assert selected.lower() == "bridge"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Return)
    assert bar.count_text() == f"2 of {total}"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count_text() == f"{total} of {total}"  # wrapped round backwards
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Escape)
    assert not bar.isVisible()


def test_case_and_whole_word_options(setup, qtbot):
    doc, _, editor = setup
    bar = editor.find_bar
    editor.show_find()
    bar.find_edit.setText("on")  # also inside "ones", "confirm", "million"
    loose = len(bar.matches())
    assert loose == sum(w.text.lower().count("on") for w in doc.words)
    bar.words_box.setChecked(True)
    whole = len(bar.matches())
    assert whole == sum(w.text.lower().strip(".,?") == "on" for w in doc.words) < loose
    bar.find_edit.setText("The")
    bar.case_box.setChecked(True)
    assert len(bar.matches()) == sum(w.text.strip(".,?") == "The" for w in doc.words)
    bar.find_edit.setText("zebra")
    assert bar.count_text() == "No matches"


def test_replace_one_match_retimes_only_that_word(setup, qtbot):
    doc, stack, editor = setup
    bar = editor.find_bar
    before = list(doc.words)
    editor.show_replace()
    assert bar.replace_edit.isVisible()
    bar.find_edit.setText("Mayor")
    bar.words_box.setChecked(True)
    first = bar.matches()[0]
    assert bar.count_text().startswith("1 of")
    bar.replace_edit.setText("Madam Mayor")
    assert bar.replace_current()
    index = next(i for i, w in enumerate(before) if w.text.startswith("Mayor"))
    assert [w.text for w in doc.words[index:index + 2]] == ["Madam", before[index].text]  # "Mayor." keeps its dot
    assert doc.words[index].source == TimingSource.INTERPOLATED
    assert list(doc.words[:index]) == before[:index] and list(doc.words[index + 2:]) == before[index + 1:]
    assert block_texts(editor) == expected_texts(doc)
    assert stack.count() == 1
    assert first.block == 0


def test_replace_all_is_one_undo_step(setup, qtbot):
    doc, stack, editor = setup
    bar = editor.find_bar
    before = list(doc.words)
    editor.show_replace()
    bar.find_edit.setText("bridge")
    total = len(bar.matches())
    bar.replace_edit.setText("viaduct")
    qtbot.mouseClick(bar.replace_all_button, Qt.MouseButton.LeftButton)
    assert bar.count_text() == f"Replaced {total}"
    assert _count(doc, "bridge") == 0 and _count(doc, "viaduct") == total
    assert len(doc) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, doc.words)) if a != b]
    assert len(changed) == total and all(doc.words[i].source == TimingSource.INTERPOLATED for i in changed)
    assert block_texts(editor) == expected_texts(doc)
    assert stack.count() == 1
    stack.undo()
    assert list(doc.words) == before
    assert block_texts(editor) == expected_texts(doc)
    assert len(bar.matches()) == total
