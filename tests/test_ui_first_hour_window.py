"""The first hour in the main window: the waveform after reopening, the project beside a recording, the
replace prompt, no boxes for states, Find in the menu, reasons on greyed-out commands, copying with
attribution, folders, the export dialog's memory and a 1024x700 window."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sounddevice as sd
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QToolBar
from ui_window_support import ScriptedEngine, close_quietly, new_window, open_and_wait, open_demo

from app.audio.player import Player
from app.core.project import load_project
from app.ui.action_reasons import NO_PROJECT, NO_RECORDING
from app.ui.app import demo_copy
from app.ui.folders import is_demo_path
from app.ui.playback_controller import NO_OUTPUT_MESSAGE


def _saved_demo(qtbot, tmp_path: Path) -> Path:
    """The demo saved by the app as a project of today's schema (its waveform to be drawn on reopening)."""
    w = new_window(qtbot, tmp_path / "first")
    open_demo(qtbot, w, tmp_path)
    target = tmp_path / "saved" / "interview.verbatim"
    target.parent.mkdir()
    shutil.copyfile(tmp_path / "demo" / "demo.wav", target.parent / "interview.wav")
    w.project.media_path = target.parent / "interview.wav"
    assert w.files.save_as(target)
    close_quietly(w)
    return target


def test_reopening_a_saved_project_draws_the_waveform_at_every_size(qtbot, tmp_path) -> None:
    project = _saved_demo(qtbot, tmp_path)
    w = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w, project)
    assert w.waveform.envelope_points() > 100  # drawn at once, before any zoom
    for size in ((1024, 700), (1600, 1000), (800, 600)):
        w.resize(*size)
        qtbot.wait(10)
        assert w.waveform.envelope_points() > 100
    open_and_wait(qtbot, w, project.with_name("interview.wav"))  # the recording: its project opens
    assert w.waveform.envelope_points() > 100


def test_a_recording_with_its_project_beside_it_opens_that_project(qtbot, tmp_path) -> None:
    project = _saved_demo(qtbot, tmp_path)
    w = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w, project.with_name("interview.wav"))
    assert w.project.path == project.resolve() and len(w.project.transcript) > 60
    assert w.statusBar().currentMessage() == "Opened interview.verbatim, the project saved beside interview.wav."
    assert not w.isWindowModified()
    # another name beside the recording: found by the recording's fingerprint
    project.rename(project.with_name("monday.verbatim"))
    w2 = new_window(qtbot, tmp_path / "third")
    open_and_wait(qtbot, w2, project.with_name("interview.wav"))
    assert w2.project.path == project.with_name("monday.verbatim").resolve()
    # a recording alone starts a new transcript
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(project.with_name("interview.wav"), alone / "interview.wav")
    w3 = new_window(qtbot, tmp_path / "fourth")
    open_and_wait(qtbot, w3, alone / "interview.wav")
    assert w3.project.path is None and len(w3.project.transcript) == 0


def test_transcribe_over_a_transcript_asks_and_says_undo_brings_it_back(qtbot, tmp_path, monkeypatch) -> None:
    engine = ScriptedEngine(pieces=2)
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: engine)
    from app.ui import window_dialogs

    w.ask_replace = lambda words: window_dialogs.ask_replace_transcript(w, words)
    open_demo(qtbot, w, tmp_path)
    before = list(w.project.transcript.words)
    asked: list[str] = []
    answers = iter(["Cancel", "Replace"])

    def answer(box: QMessageBox) -> int:
        asked.append(box.text())
        wanted = next(answers)
        assert box.defaultButton().text() == "Cancel"
        next(b for b in box.buttons() if b.text().replace("&", "") == wanted).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    w.acts["transcribe"].trigger()
    assert not w.transcription.running and list(w.project.transcript.words) == before
    assert "replaces it" in asked[0] and "Undo" in asked[0] and f"({len(before)} words)" in asked[0]
    w.acts["transcribe"].trigger()
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=20_000)
    assert engine.batches_run == 2 and w.project.transcript.words[0].text == "piece0-0"
    w.acts["undo"].trigger()
    assert list(w.project.transcript.words) == before


def test_no_audio_output_is_a_status_not_a_box_and_play_flashes_it(qtbot, tmp_path, monkeypatch) -> None:
    def no_device(*_a: object, **_k: object) -> None:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "OutputStream", no_device)
    monkeypatch.setattr(sd, "query_devices", no_device)
    w = new_window(qtbot, tmp_path, probe_output=None, player_factory=Player)
    open_demo(qtbot, w, tmp_path)
    assert w.audio_label is not None and w.audio_label.isVisible() and NO_OUTPUT_MESSAGE in w.audio_label.toolTip()
    assert NO_OUTPUT_MESSAGE in w.acts["play_play"].toolTip()
    for _ in range(2):  # every press says it, never a box
        w.acts["play_play"].trigger()
        assert w.flashing and "background" in w.audio_label.styleSheet()
        assert w.statusBar().currentMessage().startswith(NO_OUTPUT_MESSAGE)
        assert not [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()]
        qtbot.waitUntil(lambda: not w.flashing, timeout=3_000)
    assert "background" not in w.audio_label.styleSheet()


def test_find_is_in_the_edit_menu_and_a_match_moves_the_playhead(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    edit = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Edit")
    by_text = {a.text(): a for a in edit.actions()}
    find, replace = by_text["&Find..."], by_text["Find and &Replace..."]
    assert find.shortcut().toString() == "Ctrl+F" and "Ctrl+H" in [k.toString() for k in replace.shortcuts()]
    find.trigger()
    bar = w.editor.find_bar
    assert bar.isVisible() and not bar.replace_button.isVisible()
    qtbot.keyClicks(bar.find_edit, "microplastics")
    doc = w.project.transcript
    index = next(i for i, x in enumerate(doc.words) if x.text.startswith("microplastics"))
    assert w.editor.current_word() == index
    assert w.playback.position_ms == doc.words[index].start_ms == w.waveform.playhead_ms
    bar.find_edit.setText("the")
    bar.find_next()
    bar.find_next()
    found = w.editor.current_word()
    assert found > 0 and doc.words[found].text.lower().startswith("the")
    assert w.playback.position_ms == doc.words[found].start_ms
    replace.trigger()
    assert bar.replace_button.isVisible()


def test_greyed_out_commands_say_why(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    for name in ("save", "export", "import", "keywords"):
        act = w.acts[name]
        assert not act.isEnabled() and act.toolTip() == NO_PROJECT and act.statusTip() == NO_PROJECT
    assert w.acts["transcribe"].toolTip() == NO_RECORDING
    open_demo(qtbot, w, tmp_path)
    assert w.acts["save"].isEnabled() and w.acts["export"].toolTip().startswith("Export the transcript")
    assert not w.acts["cancel"].isEnabled() and w.acts["cancel"].toolTip() == "Nothing is being transcribed."


def test_copy_keeps_speakers_and_times_and_ctrl_shift_c_copies_bare_text(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    doc = w.project.transcript
    start = w.editor.layout_model().word_span(13)[0]  # "the river samples?" | "We found microplastics"
    end = w.editor.layout_model().word_span(18)[1]
    w.editor.select_span(start, end)
    w.editor.text_view().setFocus()
    w.editor.copy_action.trigger()
    clip = QGuiApplication.clipboard().mimeData()
    assert clip.text() == "[00:05] Interviewer: the river samples?\n[00:06] Dr. Amal Osei: We found microplastics"
    assert "<b>Dr. Amal Osei:</b> We found microplastics" in clip.html()
    w.editor.copy_plain_action.trigger()
    assert QGuiApplication.clipboard().text() == "the river samples?\nWe found microplastics"
    assert doc.words[16].start_ms == 6755


def test_files_start_in_the_projects_folder_and_the_demo_saves_into_a_real_folder(qtbot, tmp_path,
                                                                                 monkeypatch) -> None:
    w = new_window(qtbot, tmp_path)
    project = demo_copy()  # the app's own temporary demo folder
    try:
        assert is_demo_path(project)
        open_and_wait(qtbot, w, project)
        starts: list[str] = []
        chosen = tmp_path / "mine" / "river.verbatim"
        chosen.parent.mkdir()

        def save_name(_parent, _title, start, _filter):
            starts.append(start)
            return str(chosen), ""

        monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
        w.speakers_panel.rename_speaker("S1", "Reporter")
        assert w.save()  # the demo's Save asks where (never into the temporary folder)
        assert not is_demo_path(Path(starts[0])) and Path(starts[0]).name == "demo.verbatim"
        assert chosen.is_file() and (chosen.parent / "demo.wav").is_file()  # the recording came along
        assert load_project(chosen).media_path == (chosen.parent / "demo.wav")
        assert w.project.media_path == chosen.parent / "demo.wav"
        opened: list[str] = []
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            lambda _p, _t, start, _f: (opened.append(start), ("", ""))[1])
        w.open_dialog()
        w.import_dialog()
        assert opened == [str(chosen.parent), str(chosen.parent)]
    finally:
        shutil.rmtree(project.parent, ignore_errors=True)


def test_the_export_dialog_remembers_format_options_and_folder(qtbot, tmp_path) -> None:
    from app.ui.dialogs.export_dialog import ExportDialog

    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    d = ExportDialog(w.project, w, settings=w.settings)
    qtbot.addWidget(d)
    assert d.fmt == "docx" and d.timestamps.isChecked() and not d.line_numbers.isChecked()
    assert Path(d.path_edit.text()).parent == tmp_path / "demo"
    d.line_numbers.setChecked(True)
    d.set_format("txt")
    assert not d.timestamps.isChecked() and not d.line_numbers.isEnabled()
    d.timestamps.setChecked(True)
    out = tmp_path / "exports"
    out.mkdir()
    d.path_edit.setText(str(out / "demo.txt"))
    d._on_accepted()
    assert (out / "demo.txt").read_text(encoding="utf-8").startswith("[00:00:00] Interviewer:")
    again = ExportDialog(w.project, w, settings=w.settings)
    qtbot.addWidget(again)
    assert again.fmt == "txt" and again.timestamps.isChecked() and Path(again.path_edit.text()).parent == out
    again.set_format("docx")
    assert again.timestamps.isChecked() and again.line_numbers.isChecked()  # DOCX kept its own choices
    assert isinstance(w.settings, QSettings)


def test_usable_at_1024_by_700(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    w.resize(1024, 700)
    qtbot.wait(20)
    bar = w.findChild(QToolBar, "main_toolbar")
    for name in ("open", "save", "keywords", "cancel", "play_back", "play_play", "play_forward"):
        button = bar.widgetForAction(w.acts[name])
        assert button is not None and button.isVisible(), name  # nothing needed drops into the overflow
        assert button.geometry().right() <= bar.width()
    assert w.speed_label.isVisible() and w.transcribe_panel.isVisible()
    long = "Dr. Amal Osei, Head of Environmental Chemistry at the University of Ghana"
    assert w.speakers_panel.rename_speaker("S2", long)
    item = w.speakers_panel.item_for("S2")
    assert item.toolTip(0) == long and w.speakers_panel.tree.textElideMode().name == "ElideMiddle"
    menu = w.editor.speaker_menu(0)
    names = [a for a in menu.actions() if a.toolTip() == long]
    assert names and "\u2026" in names[0].text() and names[0].text().startswith("Dr. Amal")
    assert names[0].text().endswith("Ghana")
    screen = w.screen().availableGeometry()
    assert menu.sizeHint().width() < screen.width()


@pytest.mark.parametrize("name", ["demo.verbatim"])
def test_demo_paths_are_recognised_only_in_the_temporary_folder(tmp_path, name) -> None:
    assert not is_demo_path(tmp_path / "verbatim-demo-x" / name)


def test_the_status_bar_follows_a_retyped_word(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    i = next(k for k, x in enumerate(w.project.transcript.words) if x.text == "river")
    w.editor.select_span(*w.editor.layout_model().word_span(i))
    w.editor.text_view().setFocus()
    qtbot.keyClicks(w.editor.text_view(), "creek")
    assert "\u201ccreek\u201d" in w.word_label.text() and "interpolated" in w.word_label.text()
