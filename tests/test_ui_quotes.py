"""The quote workflow in the window on the demo interview: one selection in transcript and waveform,
Copy as Quote, highlights in the panel (kept through save and reopen), Ctrl+J, playing a selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from ui_window_support import close_quietly, new_window, open_and_wait, open_demo

from app.core.document import TimingSource
from app.ui.dialogs.shortcuts_dialog import shortcut_rows

QUOTE = "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]"


@pytest.fixture
def window(qtbot, tmp_path):
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    return w


def _index(window, text: str) -> int:
    return next(k for k, w in enumerate(window.project.transcript.words) if w.text == text)


def _select_words(window, i: int, j: int) -> None:
    """Select words [i, j) in the text as a person would (from the first one's start to the last one's end)."""
    layout = window.editor.layout_model()
    window.editor.select_span(layout.word_span(i)[0], layout.word_span(j - 1)[1])


def _painted(window) -> list[str]:
    text = window.editor.text_view().toPlainText()
    return [text[a:b] for a, b in window.quotes.transcript_marks.spans()]


def _widget_pos(view, t_s: float, y: float = 0.2) -> QPoint:
    return view.mapFromScene(view.getPlotItem().getViewBox().mapViewToScene(QPointF(t_s, y)))


def test_selecting_words_selects_their_time_on_the_waveform(window) -> None:
    we = _index(window, "We")
    _select_words(window, we, we + 6)
    marks = window.waveform.marks
    assert marks.selection_ms == (6755, 9349) and marks.region.isVisible()
    assert window.quotes.selection() == ((we, we + 6), (6755, 9349))
    assert window.acts["quote_highlight"].isEnabled() and window.acts["quote_clip"].isEnabled()
    window.editor.move_cursor_to_word(we)  # a click elsewhere: nothing selected any more
    assert marks.selection_ms is None and not marks.region.isVisible()
    assert not window.acts["quote_copy"].isEnabled()


def test_shift_drag_on_the_waveform_selects_the_words(qtbot, window) -> None:
    view = window.waveform
    view.show_range(5_000, 11_000)
    viewport = view.viewport()
    start, end = _widget_pos(view, 6.9), _widget_pos(view, 9.2)  # inside "We" .. inside "site."
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * k // 5, start.y()))
    with qtbot.waitSignal(view.marks.selection_changed) as sig:
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, end)
    assert sig.args == [6755, 9349]  # snapped to the words' boundaries
    assert window.editor.text_view().textCursor().selectedText() == "We found microplastics at every site."
    assert view.visible_range_ms() == (5_000, 11_000)  # a selection, not a pan
    assert window.project.transcript.words[_index(window, "We")].source == TimingSource.ALIGNED  # no boundary moved


def test_copy_as_quote_puts_the_house_style_on_the_clipboard(window) -> None:
    we = _index(window, "We")
    _select_words(window, we, we + 6)
    window.acts["quote_copy"].trigger()
    assert QApplication.clipboard().text() == QUOTE
    down = _index(window, "higher.")
    _select_words(window, down - 2, _index(window, "respond?") + 1)
    window.acts["quote_copy"].trigger()
    assert QApplication.clipboard().text() == (
        "\u201cfour times higher,\u201d said Dr. Amal Osei. [00:12]\n"
        "\u201cFour times higher. Did the company respond?\u201d said Interviewer. [00:13]")


def test_a_highlight_is_listed_drawn_and_kept_through_save_and_reopen(qtbot, window, tmp_path) -> None:
    we = _index(window, "We")
    _select_words(window, we, we + 6)
    assert window.quotes.transcript_marks.spans() == []
    window.acts["quote_highlight"].trigger()
    panel = window.quotes.panel
    assert panel.row_count() == 1
    assert panel.row_texts(0) == {"Time": "00:06\u201300:09", "Speaker": "Dr. Amal Osei", "Label": "Quote",
                                  "Quote": "We found microplastics at every site.", "Note": "", "Check": ""}
    assert _painted(window) == ["We found microplastics at every site."]  # drawn in the transcript
    assert window.waveform.marks.bands.bands == [(6.755, 9.349, "#ffd54f")]  # and on the waveform
    panel.select_row(0)
    panel.note_edit.setText("lede for Monday")
    panel.note_edit.editingFinished.emit()
    panel.label_box.setCurrentIndex(panel.label_box.findData("check"))
    panel.label_box.activated.emit(panel.label_box.currentIndex())
    assert panel.row_texts(0)["Note"] == "lede for Monday" and panel.row_texts(0)["Label"] == "Check"
    assert window.save()
    path = window.project.path
    window.undo_stack.undo()  # undo the label change, then reopen the saved file
    window.files.undo_stack.setClean()
    open_and_wait(qtbot, window, path)
    panel = window.quotes.panel
    assert panel.row_count() == 1
    assert panel.row_texts(0)["Note"] == "lede for Monday" and panel.row_texts(0)["Label"] == "Check"
    assert window.waveform.marks.bands.bands == [(6.755, 9.349, "#ef9a9a")]


def test_typing_inside_flags_the_quote_and_deleting_its_words_removes_it(qtbot, window) -> None:
    from app.core.edits import ReplaceText

    we = _index(window, "We")
    _select_words(window, we, we + 6)
    window.acts["quote_highlight"].trigger()
    view = window.editor.text_view()
    window.editor.move_cursor_to_word(we + 3)  # "at"
    view.setFocus()
    qtbot.keyClicks(view, "all ")  # typed inside the highlight, as a person types
    panel = window.quotes.panel
    assert panel.row_texts(0)["Quote"] == "We found microplastics all at every site."
    assert _painted(window) == ["We found microplastics all at every site."]
    assert panel.row_texts(0)["Check"] == "check against audio"
    assert panel.table.item(0, 5).toolTip() == "2 edited or estimated words"  # "at" was retyped along the way
    window.undo_stack.push_command(ReplaceText(we, we + 7, ""))  # all its words
    assert panel.row_count() == 0
    window.undo_stack.undo()
    assert panel.row_count() == 1


def test_ctrl_j_inserts_a_timestamp_at_the_playhead(qtbot, window) -> None:
    window.playback.seek(12_000)  # inside "were" (11 808-12 105): the marker goes after it, at its end
    view = window.editor.text_view()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    doc = window.project.transcript
    k = _index(window, "[00:12]")
    assert doc.words[k - 1].text == "were" and doc.words[k + 1].text == "four"
    assert (doc.words[k].start_ms, doc.words[k].source) == (12_105, TimingSource.MANUAL)
    assert "[00:12] four" in view.toPlainText()
    window.undo_stack.undo()
    assert "[00:12]" not in view.toPlainText()


def test_play_selection_stops_at_its_end(qtbot, window) -> None:
    we = _index(window, "We")
    _select_words(window, we, we + 2)  # "We found": 6.755 - 7.438 s
    window.acts["quote_play"].trigger()
    assert window.playback.playing
    qtbot.waitUntil(lambda: not window.playback.playing, timeout=4000)
    assert window.playback.position_ms == 7438 and window.waveform.playhead_ms == 7438
    assert not window.playback.timer_active


def test_a_click_in_the_panel_jumps_and_plays_and_keys_are_listed(qtbot, window) -> None:
    we = _index(window, "We")
    _select_words(window, we, we + 6)
    window.acts["quote_highlight"].trigger()
    window.editor.move_cursor_to_word(0)
    panel = window.quotes.panel
    rect = panel.table.visualItemRect(panel.table.item(0, 3))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.playback.playing and window.editor.current_word() == we
    qtbot.waitUntil(lambda: window.playback.position_ms > 6755, timeout=2000)
    window.playback.pause()
    rows = dict(shortcut_rows(window.acts.values()))
    assert rows["Loop Selection"] == "Ctrl+L" and rows["Play Selection"] == "Ctrl+Shift+P"
    assert rows["Insert Timestamp"] == "Ctrl+J" and rows["Copy as Quote"] == "Ctrl+Alt+C"
    close_quietly(window)


def test_export_clip_and_highlights_from_the_window(window, tmp_path) -> None:
    import av
    import docx

    we = _index(window, "We")
    _select_words(window, we, we + 6)
    window.acts["quote_highlight"].trigger()
    clip = window.quotes.export_clip(tmp_path / "quote.flac")
    assert clip == tmp_path / "quote.flac"
    with av.open(str(clip)) as c:
        samples = sum(f.samples for f in c.decode(c.streams.audio[0]))
        assert c.metadata["title"] == QUOTE
    assert abs(samples / 16_000 - (9.349 - 6.755)) <= 0.02
    out = window.quotes.export_highlights(tmp_path / "highlights.docx")
    assert QUOTE in [p.text for p in docx.Document(str(out)).paragraphs]
    subs = window.quotes.export_subtitles(tmp_path / "quote.vtt").read_text(encoding="utf-8")
    assert "00:00:00.000 --> " in subs and "microplastics" in subs and "Downstream" not in subs


def test_alt_shift_drag_selects_time_without_snapping(qtbot, window) -> None:
    view = window.waveform
    view.show_range(5_000, 11_000)
    viewport = view.viewport()
    start, end = _widget_pos(view, 6.9), _widget_pos(view, 9.2)
    mods = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, mods, start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * k // 5, start.y()))
    with qtbot.waitSignal(view.marks.selection_changed) as sig:
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, mods, end)
    a, b = sig.args
    assert abs(a - 6900) <= 15 and abs(b - 9200) <= 15  # exactly where the mouse went (a pixel is ~6 ms here)
    assert window.quotes.selection()[1] == (a, b)
    # the words are those whose middle lies in the span: "We" (middle 6.89 s) is left out
    assert window.editor.text_view().textCursor().selectedText() == "found microplastics at every site."


def test_nothing_quotes_can_change_the_document_during_a_run(qtbot, tmp_path) -> None:
    from ui_window_support import ScriptedEngine

    engine = ScriptedEngine(pieces=30, delay=0.03)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    _select_words(w, 16, 22)
    assert w.acts["quote_highlight"].isEnabled()
    w.acts["transcribe"].trigger()
    edits = ("quote_highlight", "quote_timestamp", "quote_tag_1", "quote_clip")
    assert not any(w.acts[name].isEnabled() for name in edits) and not w.quotes.panel.isEnabled()
    w.transcription.cancel()
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=30_000)
    qtbot.waitUntil(lambda: not w.transcription._thread.busy, timeout=5_000)
    assert w.acts["quote_timestamp"].isEnabled() and w.quotes.panel.isEnabled()


def test_no_two_window_actions_share_a_shortcut(qtbot, tmp_path) -> None:
    """Copy as Quote, bare copy, highlight and the rest each answer to their own keys."""
    from PySide6.QtGui import QAction

    window = new_window(qtbot, tmp_path)
    seen: dict[str, str] = {}
    clashes = []
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            if text and text in seen and seen[text] != action.text():
                clashes.append(f"{text}: {seen[text]} / {action.text()}")
            seen.setdefault(text, action.text())
    assert "Ctrl+Alt+C" in seen and "Ctrl+Shift+C" in seen
    assert clashes == []
