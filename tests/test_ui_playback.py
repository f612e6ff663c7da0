"""Playback in the window: shortcuts, the playhead and word highlight following the clock, no sound device."""

from __future__ import annotations

import pytest
import sounddevice as sd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from ui_window_support import new_window, open_demo

from app.audio.player import Player
from app.ui.playback_controller import NO_OUTPUT_MESSAGE


def test_playing_moves_the_playhead_and_highlights_the_spoken_word(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    doc = w.project.transcript
    highlighted: list[int] = []
    w.playback.attach(w.waveform, _Spy(w.editor, highlighted))
    w.playback.seek(7_000)
    qtbot.keyClick(w, Qt.Key.Key_Escape)  # oTranscribe: Esc plays and pauses
    assert w.playback.playing and w.playback.timer_active
    qtbot.waitUntil(lambda: w.waveform.playhead_ms >= 7_600, timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)  # and so does Ctrl+Space
    assert not w.playback.playing and not w.playback.timer_active
    paused_at = w.playback.position_ms
    i = doc.word_at_time(paused_at)
    spoken = i if doc.words[i].start_ms <= paused_at <= doc.words[i].end_ms + 250 else -1
    assert w.playback.current_word == spoken and w.waveform._lane.current == spoken
    assert highlighted and highlighted[-1] == spoken and len(set(highlighted)) >= 2  # it moved word by word
    w.playback.play()  # resuming rewinds a second (a setting)
    assert paused_at - 1100 <= w.playback.position_ms <= paused_at - 900
    w.playback.pause()
    assert w.position_label.text().startswith("0:0")


class _Spy:
    """Passes highlight_word on to the real editor and records the indexes."""

    def __init__(self, editor, calls: list[int]) -> None:
        self._editor, self._calls = editor, calls

    def highlight_word(self, index: int) -> None:
        self._calls.append(index)
        self._editor.highlight_word(index)


def test_skip_speed_and_go_to_time_shortcuts(qtbot, tmp_path, monkeypatch) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    w.playback.seek(10_000)
    qtbot.keyClick(w, Qt.Key.Key_F2)
    assert w.playback.position_ms == 15_000 and w.waveform.playhead_ms == 15_000
    qtbot.keyClick(w, Qt.Key.Key_F1)
    qtbot.keyClick(w, Qt.Key.Key_F1)
    assert w.playback.position_ms == 5_000
    for _ in range(3):
        qtbot.keyClick(w, Qt.Key.Key_F3)
    assert w.playback.player.speed == pytest.approx(0.7) and w.speed_label.text() == "0.7x"
    for _ in range(20):
        qtbot.keyClick(w, Qt.Key.Key_F4)
    assert w.playback.player.speed == 2.0 and w.speed_label.text() == "2.0x"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("0:12.5", True))
    qtbot.keyClick(w, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert w.playback.position_ms == 12_500


def test_shortcuts_are_listed_in_help(qtbot, tmp_path) -> None:
    from app.ui.dialogs.shortcuts_dialog import ShortcutsDialog

    w = new_window(qtbot, tmp_path)
    rows = dict(ShortcutsDialog(w.acts.values(), w).rows)
    assert rows["Play / Pause"] == "Esc, Ctrl+Space"
    assert rows["Skip Back 5 s"] == "F1" and rows["Skip Forward 5 s"] == "F2"
    assert rows["Slower"] == "F3" and rows["Faster"] == "F4" and rows["Go to Time"] == "Ctrl+G"
    assert rows["Save"] == "Ctrl+S"


def test_without_a_sound_device_the_notice_comes_once_and_editing_works(qtbot, tmp_path, monkeypatch) -> None:
    def no_device(*_a: object, **_k: object) -> None:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "OutputStream", no_device)
    monkeypatch.setattr(sd, "query_devices", no_device)
    w = new_window(qtbot, tmp_path, probe_output=None, player_factory=Player)  # the real defaults
    notices: list[str] = []
    w.playback.output_unavailable.connect(notices.append)
    open_demo(qtbot, w, tmp_path)
    assert notices == [NO_OUTPUT_MESSAGE]
    assert w.statusBar().currentMessage() == NO_OUTPUT_MESSAGE
    assert getattr(w, "no_output_notice", None) is None  # no box over the window at start-up
    qtbot.keyClick(w, Qt.Key.Key_Escape)  # play: the status bar says it again and its mark flashes; no box
    assert w.flashing and w.no_output_notice is None
    assert not [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    w.playback.play()
    assert notices == [NO_OUTPUT_MESSAGE] and not w.playback.playing
    qtbot.waitUntil(lambda: not w.flashing, timeout=3_000)
    w.waveform.seek_requested.emit(9_000)  # seeking still works on the player's clock
    assert w.playback.position_ms == 9_000 and w.waveform.playhead_ms == 9_000
    assert w.speakers_panel.rename_speaker("S1", "Reporter")  # and editing too
    assert w.project.transcript.speaker_name("S1") == "Reporter" and w.isWindowModified()
