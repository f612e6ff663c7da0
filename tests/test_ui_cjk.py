"""The editor with a Japanese transcript: units shown without spaces, clicked, typed over, found and replaced."""

from __future__ import annotations

import pytest
from test_ui_editor_support import click_word, put_cursor

from app.core.document import TimingSource, Transcript
from app.core.timing import spread_words
from app.core.word_units import UNIT_SEPARATOR, split_units
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack

TEXT = "昨日、東京のコンピューターセンターでジョン・スミスさんに会いました。東京は雨でした。"


@pytest.fixture
def setup(qtbot):
    words = spread_words(split_units(TEXT), 0, 9000, source=TimingSource.MODEL)
    doc = Transcript.from_words(words)
    stack = DocumentUndoStack(doc)
    editor = TranscriptEditor()
    qtbot.addWidget(editor)
    editor.resize(900, 500)
    editor.set_document(doc, stack)
    editor.show()
    qtbot.waitExposed(editor)
    return doc, stack, editor


def test_units_shown_without_visible_spaces_and_each_clickable(setup, qtbot):
    doc, _, editor = setup
    shown = editor.text_view().toPlainText()
    assert " " not in shown
    assert shown.replace(UNIT_SEPARATOR, "") == TEXT
    katakana = next(i for i, w in enumerate(doc.words) if w.text == "コンピューターセンター")
    for index in (0, 3, katakana, len(doc.words) - 1):
        with qtbot.waitSignal(editor.word_clicked, timeout=1000) as blocker:
            click_word(qtbot, editor, index)
        assert blocker.args == [index, doc.words[index].start_ms]


def test_typing_inside_a_unit_retimes_only_that_unit(setup, qtbot):
    doc, stack, editor = setup
    before = list(doc.words)
    rain = next(i for i, w in enumerate(doc.words) if w.text == "雨")
    put_cursor(editor, rain, 1)
    editor.text_view().textCursor().insertText("雪")  # an input method commits text this way
    assert [w.text for w in doc.words][rain:rain + 2] == ["雨", "雪"]
    assert doc.words[:rain] == before[:rain]
    assert doc.words[rain + 1].source == TimingSource.INTERPOLATED
    stack.undo()
    assert doc.words == before


def test_find_and_replace_across_units(setup, qtbot):
    doc, _, editor = setup
    bar = editor.find_bar
    bar.open(replace=True)
    bar.find_edit.setText("東京")
    assert len(bar.matches()) == 2
    assert editor.text_view().textCursor().selectedText().replace(UNIT_SEPARATOR, "") == "東京"
    bar.replace_edit.setText("大阪")
    assert bar.replace_all() == 2
    assert doc.text().count("大阪") == 2 and "東京" not in doc.text()
    assert "大" in [w.text for w in doc.words] and "阪の" not in [w.text for w in doc.words]


def test_copy_of_cjk_text_carries_no_zero_width_separators(setup, qtbot) -> None:
    """The editor shows CJK units apart with U+200B; what reaches the clipboard is the text as written."""
    from PySide6.QtGui import QTextCursor

    _doc, _stack, editor = setup
    view = editor.text_view()
    assert UNIT_SEPARATOR in view.toPlainText()  # precondition: the view does separate the units
    cursor = view.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.movePosition(QTextCursor.MoveOperation.Start, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    text = editor.selection_mime().text()
    assert UNIT_SEPARATOR not in text
    assert "コンピューターセンターでジョン・スミスさんに会いました。" in text
