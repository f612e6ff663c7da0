"""The main window on the demo interview: opening, clicking words, editing, undo, renames, saving."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_window_support import close_quietly, new_window, open_demo

from app.core.document import TimingSource


@pytest.fixture
def window(qtbot, tmp_path):
    return new_window(qtbot, tmp_path)


def test_demo_opens_with_waveform_transcript_and_speakers(qtbot, window, tmp_path) -> None:
    project = open_demo(qtbot, window, tmp_path)
    doc = window.project.transcript
    assert window.windowTitle() == "demo[*] - Verbatim" and not window.isWindowModified()
    assert len(doc) > 60 and {s.name for s in doc.speakers} == {"Interviewer", "Dr. Amal Osei"}
    assert window.audio is not None and abs(window.audio.duration_ms - doc.duration_ms) < 1500
    assert window.waveform.turn_names[:2] == ["Interviewer", "Dr. Amal Osei"]
    # the envelope is a few points per pixel of the visible range, never the ~470 000 samples
    assert 0 < window.waveform.envelope_points() < 5000
    assert window.speakers_panel.speaker_ids() == ["S1", "S2"]
    assert window.acts["transcribe"].isEnabled()
    assert str(project) in [str(p) for p in window.files.recent_files()]


def test_clicking_a_word_moves_the_playhead(qtbot, window, tmp_path) -> None:
    open_demo(qtbot, window, tmp_path)
    window.acts["play_on_click"].setChecked(False)
    doc = window.project.transcript
    i = next(k for k, w in enumerate(doc.words) if w.text.startswith("microplastics"))
    rect = window.editor.word_rect(i)
    viewport = window.editor.text_view().viewport()
    with qtbot.waitSignal(window.editor.word_clicked) as sig:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [i, doc.words[i].start_ms]
    assert window.waveform.playhead_ms == doc.words[i].start_ms
    assert window.playback.position_ms == doc.words[i].start_ms
    assert window.position_label.text().startswith("0:0")
    assert "microplastics" in window.word_label.text() and "aligned" in window.word_label.text()
    assert not window.playback.playing


def test_clicking_a_word_plays_from_it_when_the_setting_is_on(qtbot, window, tmp_path) -> None:
    open_demo(qtbot, window, tmp_path)
    assert window.acts["play_on_click"].isChecked()  # the default
    doc = window.project.transcript
    i = next(k for k, w in enumerate(doc.words) if w.text.startswith("council"))
    viewport = window.editor.text_view().viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=window.editor.word_rect(i).center())
    assert window.playback.playing
    qtbot.waitUntil(lambda: window.playback.position_ms > doc.words[i].start_ms, timeout=2000)
    assert window.playback.position_ms < doc.words[i].start_ms + 2000  # it played from that word
    window.playback.pause()
    assert window.settings.value("playback/play_on_click", True, type=bool)


def test_typing_keeps_other_timings_and_undo_redo_go_through_the_window(qtbot, window, tmp_path) -> None:
    open_demo(qtbot, window, tmp_path)
    doc = window.project.transcript
    before = list(doc.words)
    i = next(k for k, w in enumerate(doc.words) if w.text == "river")
    window.editor.select_span(*window.editor.layout_model().word_span(i))
    window.editor.text_view().setFocus()
    qtbot.keyClicks(window.editor.text_view(), "creek")
    texts = [w.text for w in doc.words]
    assert texts[i - 1 : i + 2] == ["the", "creek", "samples?"]
    new = doc.words[i]
    assert new.source == TimingSource.INTERPOLATED
    assert before[i - 1].end_ms <= new.start_ms <= new.end_ms <= before[i + 1].start_ms
    others = [w for k, w in enumerate(doc.words) if k != i]
    kept = [w for k, w in enumerate(before) if k != i]
    assert [(w.text, w.start_ms, w.end_ms) for w in others] == [(w.text, w.start_ms, w.end_ms) for w in kept]
    assert window.isWindowModified()
    window.acts["undo"].trigger()
    assert list(doc.words) == before and not window.isWindowModified()
    window.acts["redo"].trigger()
    assert [w.text for w in doc.words] == texts and window.isWindowModified()


def test_a_speaker_rename_shows_everywhere_and_undoes(qtbot, window, tmp_path) -> None:
    open_demo(qtbot, window, tmp_path)
    doc = window.project.transcript
    second_turn_ms = next(w.start_ms for w in doc.words if w.speaker == "S2") + 50
    assert window.speakers_panel.rename_speaker("S2", "Amal Osei (hydrologist)")
    assert window.waveform.speaker_name_at(second_turn_ms) == "Amal Osei (hydrologist)"
    assert "Amal Osei (hydrologist)" in window.waveform.turn_names
    assert "Amal Osei (hydrologist)" in [a.text() for a in window.editor.speaker_menu(1).actions()]
    assert window.speakers_panel.item_for("S2").text(0) == "Amal Osei (hydrologist)"
    assert all("hydrologist" not in w.text for w in doc.words)  # the name is never baked into the text
    window.acts["undo"].trigger()
    assert window.waveform.speaker_name_at(second_turn_ms) == "Dr. Amal Osei"


def test_save_clears_the_mark_and_close_asks_about_unsaved_changes(qtbot, window, tmp_path, monkeypatch) -> None:
    project = open_demo(qtbot, window, tmp_path)
    window.speakers_panel.rename_speaker("S1", "Reporter")
    assert window.isWindowModified() and window.files.modified
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save])
    asked: list[str] = []

    def question(_parent, title, text, *_a, **_k):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not window.close()  # Cancel: the window stays, the change too
    assert window.isVisible() and window.files.modified
    assert window.close()  # Save: written, then closed
    assert len(asked) == 2 and "demo" in asked[0]
    from app.core.project import load_project

    assert load_project(project).transcript.speaker_name("S1") == "Reporter"


def test_save_as_and_window_state_persist(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    target = tmp_path / "elsewhere" / "interview.verbatim"
    target.parent.mkdir()
    w.speakers_panel.rename_speaker("S1", "Reporter")
    assert w.files.save_as(target)
    assert target.is_file() and not w.isWindowModified()
    assert w.windowTitle() == "interview[*] - Verbatim"
    assert w.files.recent_files()[0] == target.resolve()
    w.resize(701, 471)
    assert w.close()
    w2 = new_window(qtbot, tmp_path)
    try:
        assert (w2.width(), w2.height()) == (701, 471)
        assert w2.files.recent_files()[0] == target.resolve()
        recent = w2.menuBar().actions()[0].menu().actions()[1].menu()
        assert "interview.verbatim" in recent.actions()[0].text()
    finally:
        close_quietly(w2)


def test_opening_a_broken_file_says_one_sentence(qtbot, window, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "broken.verbatim"
    bad.write_text("{ not json", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    assert not window.open_path(bad)
    assert len(shown) == 1 and "broken.verbatim" in shown[0] and "Traceback" not in shown[0]
    assert window.project is None
