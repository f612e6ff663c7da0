"""Transcribing from the window: the document fills piece by piece, one undo step, cancel and failure keep words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from tiny_models import shared_tiny
from ui_window_support import ScriptedEngine, new_window, open_demo

from app.core.errors import ModelError


def _wait_done(qtbot, w) -> None:
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=30_000)
    qtbot.waitUntil(lambda: not w.transcription._thread.busy, timeout=5_000)


def test_a_run_fills_the_document_piece_by_piece_as_one_undo_step(qtbot, tmp_path) -> None:
    engine = ScriptedEngine(pieces=5, delay=0.02)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    doc = w.project.transcript
    demo_words = list(doc.words)
    sizes: list[int] = []
    doc.subscribe(lambda change: sizes.append(len(doc)) if change.kind.value == "words" else None)
    w.acts["transcribe"].trigger()
    assert w.transcription.running and w.transcription.widget.isVisible()
    assert not w.acts["transcribe"].isEnabled() and w.acts["cancel"].isEnabled()
    assert w.editor.text_view().isReadOnly()  # no typing into a transcript that is being replaced
    _wait_done(qtbot, w)
    assert [x.text for x in doc.words][:3] == ["piece0-0", "piece0-1", "piece0-2"] and len(doc) == 15
    assert [n for n in sizes if n] == [3, 6, 9, 12, 15]  # piece by piece on screen
    assert w.undo_stack.count() == 1  # yet one undo step
    assert doc.settings.model == "scripted" and "scripted" in w.model_label.text()
    assert w.waveform.turn_names[:2] == ["Speaker 1", "Speaker 2"]
    assert not w.transcription.widget.isVisible() and not w.editor.text_view().isReadOnly()
    assert "15 words" in w.statusBar().currentMessage()
    w.acts["undo"].trigger()
    assert list(doc.words) == demo_words  # the whole run undone at once


def test_cancel_keeps_the_partial_transcript(qtbot, tmp_path) -> None:
    engine = ScriptedEngine(pieces=50, delay=0.04)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    doc = w.project.transcript
    w.acts["transcribe"].trigger()
    qtbot.waitUntil(lambda: len(doc) >= 6 and doc.words[0].text == "piece0-0", timeout=10_000)
    qtbot.mouseClick(w.transcription.widget.cancel_button, Qt.MouseButton.LeftButton)
    _wait_done(qtbot, w)
    assert w.transcription.last_cancelled and 6 <= len(doc) < 150
    assert engine.batches_run < 50
    assert "cancelled" in w.statusBar().currentMessage() and str(len(doc)) in w.statusBar().currentMessage()
    assert w.isWindowModified()


def test_a_failed_run_keeps_what_is_on_screen_and_says_why(qtbot, tmp_path) -> None:
    error = ModelError("The model ran out of GPU memory; lower the batch size.")
    engine = ScriptedEngine(pieces=6, fail_at=3, error=error)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    w.acts["transcribe"].trigger()
    _wait_done(qtbot, w)
    doc = w.project.transcript
    assert len(doc) == 9 and doc.words[-1].text == "piece2-2"
    assert w.transcription.last_error == "The model ran out of GPU memory; lower the batch size."
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and not boxes[0].isModal() and boxes[0].text() == w.transcription.last_error
    boxes[0].close()


@pytest.mark.slow
def test_a_tiny_real_model_transcribes_the_demo_in_the_window(qtbot, tmp_path, tmp_path_factory) -> None:
    from app.asr.engines.factory import create_engine

    folder = shared_tiny(tmp_path_factory, "plus")
    models: list[str] = []

    def factory(model: str, device: str | None):
        models.append(model)
        return create_engine(str(folder), "cpu")  # the tiny random-weight Plus model stands in for "plus"

    w = new_window(qtbot, tmp_path, engine_factory=factory)
    open_demo(qtbot, w, tmp_path)
    w.transcribe_panel.select(model="plus", language="en", task="transcribe")
    w.acts["transcribe"].trigger()
    _wait_done(qtbot, w)
    doc = w.project.transcript
    assert models == ["plus"] and w.transcription.last_error is None
    assert len(doc) > 0 and doc.settings.device == "cpu"
    assert all(x.speaker is not None for x in doc.words)  # Plus labels speakers
    starts = [x.start_ms for x in doc.words]
    assert starts == sorted(starts) and doc.words[-1].end_ms <= w.audio.duration_ms + 50
    assert w.undo_stack.count() == 1


def test_the_panel_disables_what_a_model_cannot_do(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    p = w.transcribe_panel
    p.select(model="plus")
    assert not p.is_enabled(p.task_box, "translate")
    assert "does not translate" in p.tooltip_of(p.task_box, "translate")
    assert not p.is_enabled(p.language_box, "ja") and "Japanese" in p.tooltip_of(p.language_box, "ja")
    p.select(model="2b", language="ja", task="translate")
    assert p.is_enabled(p.language_box, "ja") and p.target_box.isEnabled()
    assert not p.is_enabled(p.target_box, "ja") and "spoken language" in p.tooltip_of(p.target_box, "ja")
    assert not p.is_enabled(p.target_box, "fr") and "only from English" in p.tooltip_of(p.target_box, "fr")
    assert p.options(("Osei",)).target_language == "en"  # Japanese speech translates into English only
    p.select(language="en")
    assert p.is_enabled(p.target_box, "fr") and p.is_enabled(p.target_box, "ja")
    p.select(model="nar")
    assert p.task_box.currentData() == "transcribe" and p.language_box.currentData() == "en"  # ja fell back
    assert p.options(("Osei",)).keywords == ()  # NAR takes no keyword list


def test_nothing_else_can_change_or_replace_the_document_during_a_run(qtbot, tmp_path) -> None:
    engine = ScriptedEngine(pieces=30, delay=0.03)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    w.acts["transcribe"].trigger()
    locked = [w.acts["open"], w.acts["import"], w.acts["keywords"], w.speakers_panel,
              w.editor.find_bar.replace_button, w.editor.find_bar.replace_all_button]
    assert not any(x.isEnabled() for x in locked) and not w.waveform.boundaries_editable
    qtbot.waitUntil(lambda: w.undo_stack.canUndo(), timeout=5000)  # the first pieces are in
    assert not w.acts["undo"].isEnabled() and w.isWindowModified()
    qtbot.keyClick(w.editor.text_view(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.undo_stack.index() == 1  # Ctrl+Z in the text does nothing either
    qtbot.mouseClick(w.transcription.widget.cancel_button, Qt.MouseButton.LeftButton)
    _wait_done(qtbot, w)
    assert all(x.isEnabled() for x in locked) and w.waveform.boundaries_editable
    assert w.acts["undo"].isEnabled() and w.undo_stack.count() == 1  # the run is one undo step


def test_cancelling_the_close_prompt_keeps_the_run_going(qtbot, tmp_path, monkeypatch) -> None:
    engine = ScriptedEngine(pieces=20, delay=0.03)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    w.acts["transcribe"].trigger()
    monkeypatch.setattr(w.files, "maybe_save", lambda: False)  # the person presses Cancel
    assert not w.close()
    _wait_done(qtbot, w)
    assert not w.transcription.last_cancelled and engine.batches_run == 20
