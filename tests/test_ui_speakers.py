"""The speakers panel: counts, rename everywhere, merge, add; all undoable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_ui_editor_support import block_texts, expected_texts, interview

from app.core.exporters import ExportOptions, export_txt, render_text
from app.ui.speakers_panel import SpeakersPanel, speaker_stats
from app.ui.transcript_editor import TranscriptEditor
from app.ui.undo import DocumentUndoStack


@pytest.fixture
def setup(qtbot):
    doc = interview()
    stack = DocumentUndoStack(doc)
    editor, panel = TranscriptEditor(), SpeakersPanel()
    for widget in (editor, panel):
        qtbot.addWidget(widget)
        widget.set_document(doc, stack)
        widget.show()
    return doc, stack, editor, panel


def test_lists_speakers_with_word_counts_and_talk_time(setup):
    doc, _, _, panel = setup
    assert panel.speaker_ids() == ["S1", "S2", "S3"]
    counts = {sid: sum(w.speaker == sid for w in doc.words) for sid in ("S1", "S2", "S3")}
    for sid, count in counts.items():
        item = panel.item_for(sid)
        assert item.text(0) == doc.speaker_name(sid)
        assert int(item.text(1)) == count
    assert sum(counts.values()) == len(doc)
    talk = speaker_stats(doc)["S2"][1]
    spans = sum(doc.words[s.end - 1].end_ms - doc.words[s.start].start_ms for s in doc.segments() if s.speaker == "S2")
    assert talk == spans and panel.item_for("S2").text(2) == f"{spans // 60000:02d}:{spans // 1000 % 60:02d}"


def test_rename_in_the_list_shows_in_the_editor_and_never_in_the_text(setup, qtbot, tmp_path):
    doc, stack, editor, panel = setup
    export_before = export_txt(doc, tmp_path / "before.txt").read_text()
    plain_before = render_text(doc, ExportOptions(speakers=False))
    text_before = editor.text_view().toPlainText()
    item = panel.item_for("S2")
    item.setText(0, "Mayor Ortiz")  # what the inline editor does when the user types a name
    assert doc.speaker_name("S2") == "Mayor Ortiz"
    assert editor.header_text(1).startswith("Mayor Ortiz [")
    assert editor.text_view().toPlainText() == text_before
    assert [w.speaker for w in doc.words].count("S2") > 0
    assert render_text(doc, ExportOptions(speakers=False)) == plain_before
    export_after = export_txt(doc, tmp_path / "after.txt").read_text()
    assert export_after == export_before.replace("Mayor Ben Ortiz: ", "Mayor Ortiz: ")
    assert export_after != export_before
    stack.undo()
    assert editor.header_text(1).startswith("Mayor Ben Ortiz [") and panel.item_for("S2").text(0) == "Mayor Ben Ortiz"


def test_an_empty_name_is_refused(setup, qtbot):
    doc, stack, _, panel = setup
    with qtbot.waitSignal(panel.message, timeout=1000):
        panel.item_for("S1").setText(0, "   ")
    assert doc.speaker_name("S1") == "Anna Reyes" and stack.count() == 0
    assert panel.item_for("S1").text(0) == "Anna Reyes"


def test_merge_speakers_and_undo(setup, qtbot):
    doc, stack, editor, panel = setup
    s3_words = sum(w.speaker == "S3" for w in doc.words)
    s1_words = sum(w.speaker == "S1" for w in doc.words)
    panel.select_speaker("S3")
    panel.merge_button.menu().aboutToShow.emit()
    actions = {a.text(): a for a in panel.merge_button.menu().actions()}
    assert set(actions) == {"Anna Reyes", "Mayor Ben Ortiz"}
    actions["Anna Reyes"].trigger()
    assert panel.speaker_ids() == ["S1", "S2"]
    assert sum(w.speaker == "S1" for w in doc.words) == s1_words + s3_words
    panel.update_stats()
    assert int(panel.item_for("S1").text(1)) == s1_words + s3_words
    assert block_texts(editor) == expected_texts(doc)
    assert all("Cleo" not in editor.header_text(i) for i in range(len(doc.segments())))
    stack.undo()
    assert panel.speaker_ids() == ["S1", "S2", "S3"]
    assert block_texts(editor) == expected_texts(doc)


def test_add_speaker_and_counts_follow_edits(setup, qtbot):
    doc, stack, editor, panel = setup
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.speaker_ids() == ["S1", "S2", "S3", "S4"]
    assert doc.speaker_name("S4") == "Speaker 4" and panel.item_for("S4").text(1) == "0"
    editor.assign_speaker(0, "S4")
    qtbot.waitUntil(lambda: panel.item_for("S4").text(1) == str(doc.segments()[0].end), timeout=2000)
    assert editor.header_text(0).startswith("Speaker 4")
