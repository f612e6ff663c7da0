"""A refused edit, wherever it is made: its one sentence reaches the status-bar `message` of the part that
made it, and the document and the undo stack stay as they were (`DocumentUndoStack.push_or_report`)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog
from test_ui_editor_support import interview

from app.core.document import Transcript
from app.core.edits import AddSpeaker, AssignSpeaker, RenameSpeaker, SplitSegment
from app.ui.highlights_panel import HighlightsPanel
from app.ui.speakers_panel import SpeakersPanel
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack

TAKEN = "Another speaker is already called Cleo Park; use Merge to make them one speaker."


def _state(doc: Transcript) -> tuple[object, ...]:
    return list(doc.words), doc.speakers, doc.highlights, doc.segments()


def _showing(qtbot, widget):
    """`widget` showing an interview, editing it through a new undo stack: (doc, stack, widget)."""
    doc = interview()
    stack = DocumentUndoStack(doc)
    qtbot.addWidget(widget)
    widget.set_document(doc, stack)
    return doc, stack, widget


def _answer(monkeypatch, text: str) -> None:
    """The next name dialog is answered with `text` (as a person typing it and pressing OK)."""
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: (text, True))


def test_push_or_report_applies_or_reports_and_changes_nothing(qtbot) -> None:
    doc = interview(60)
    stack = DocumentUndoStack(doc)
    said: list[str] = []
    assert stack.push_or_report(SplitSegment(10), None, said.append)
    assert said == [] and stack.count() == 1 and doc.words[10].starts_segment
    before = _state(doc)
    assert not stack.push_or_report(SplitSegment(10), None, said.append)  # a paragraph starts there already
    assert said == ["A paragraph already starts at that word."]
    assert _state(doc) == before and stack.count() == 1 and stack.index() == 1
    assert not stack.push_or_report(RenameSpeaker("S1", "Cleo Park"), None, said.append)
    assert said[-1] == TAKEN and doc.speaker_name("S1") == "Anna Reyes" and stack.count() == 1


def test_one_step_is_one_undo_step_or_none_when_everything_was_refused(qtbot) -> None:
    doc = interview(60)
    stack = DocumentUndoStack(doc)
    said: list[str] = []
    before = _state(doc)
    with stack.one_step("Assign new speaker Cleo Park"):
        assert not stack.push_or_report(AddSpeaker("Cleo Park"), None, said.append)
    assert said == [TAKEN] and stack.count() == 0 and _state(doc) == before
    add = AddSpeaker("Dana Fox")
    with stack.one_step("Assign new speaker Dana Fox"):
        assert stack.push_or_report(add, None, said.append)
        assert stack.push_or_report(AssignSpeaker(0, 5, add.speaker_id), None, said.append)
    assert stack.count() == 1 and stack.undoText() == "Assign new speaker Dana Fox"
    assert doc.speaker_name(doc.words[0].speaker) == "Dana Fox"
    stack.undo()
    assert _state(doc) == before


def test_the_editor_says_why_a_new_speaker_was_refused(qtbot, monkeypatch) -> None:
    doc, stack, editor = _showing(qtbot, TranscriptEditor())
    header = editor.header_text(1)
    before = _state(doc)
    _answer(monkeypatch, "cleo park")  # the speaker menu's "New speaker…", with a name that is taken
    menu = editor.speaker_menu(1)
    with qtbot.waitSignal(editor.message, timeout=1000) as said:
        next(a for a in menu.actions() if a.text().startswith("New speaker")).trigger()
    assert said.args == [TAKEN]
    assert _state(doc) == before and stack.count() == 0 and not stack.canUndo()
    assert editor.header_text(1) == header


def test_the_speakers_panel_says_why_a_rename_was_refused_and_shows_the_old_name(qtbot) -> None:
    doc, stack, panel = _showing(qtbot, SpeakersPanel())
    before = _state(doc)
    with qtbot.waitSignal(panel.message, timeout=1000) as said:
        panel.item_for("S1").setText(0, "Cleo Park")  # what the inline editor does when the user types a name
    assert said.args == [TAKEN]
    assert _state(doc) == before and stack.count() == 0
    assert panel.item_for("S1").text(0) == "Anna Reyes"


def test_the_highlights_panel_says_why_a_new_label_was_refused(qtbot, monkeypatch) -> None:
    doc, stack, panel = _showing(qtbot, HighlightsPanel())
    labels = [panel.label_box.itemText(k) for k in range(panel.label_box.count())]
    before = _state(doc)
    _answer(monkeypatch, "check")  # "Check" is a label already
    with qtbot.waitSignal(panel.message, timeout=1000) as said:
        panel.new_label_button.click()
    assert said.args == ["There is already a label called Check."]
    assert _state(doc) == before and stack.count() == 0
    assert [panel.label_box.itemText(k) for k in range(panel.label_box.count())] == labels == [
        "Quote", "Check", "Follow up"]
