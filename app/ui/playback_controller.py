"""Playback in the window: owns the Player, moves the playhead, highlights the word being spoken.

A ~30 fps timer runs only while playing; each tick reads the player's clock and updates the waveform's
playhead (followed by the view), the editor's highlighted word and the status bar. Shortcuts follow
oTranscribe: Esc / Ctrl+Space play-pause, F1/F2 skip back/forward 5 s, F3/F4 slower/faster, Ctrl+G go
to a time. Resuming after a pause rewinds a little (a setting) so the listener catches the last words.
Without an output device the window still works; the controller says so when it notices, and again
(`play_refused`) on every press of play.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence

from app.audio.player import AudioOutputUnavailable, Player, output_available
from app.core.document import Transcript

FRAME_MS = 33
SKIP_MS = 5000
SPEED_STEP = 0.1
NO_OUTPUT_MESSAGE = "No audio output: playback is unavailable."

PlayerFactory = Callable[[np.ndarray], Player]


class PlaybackController(QObject):
    """Drives the Player from the window; the playhead and the word highlight follow its clock."""

    position_changed = Signal(int)  # ms, on every tick and seek
    playing_changed = Signal(bool)
    speed_changed = Signal(float)
    output_unavailable = Signal(str)  # emitted once per controller, when the missing device is noticed
    play_refused = Signal(str)  # each time the person presses play without a device

    def __init__(self, settings: QSettings, parent: QObject | None = None,
                 player_factory: PlayerFactory | None = None, probe_output: Callable[[], bool] | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._factory = player_factory or Player
        self._probe = probe_output or output_available
        self.player: Player | None = None
        self._doc: Transcript | None = None
        self._waveform: Any = None
        self._editor: Any = None
        self._current_word = -1
        self._paused_by_user = False
        self._warned = False
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_timer_tick)
        self.actions = self._make_actions()

    # -- wiring ---------------------------------------------------------------------------------

    def attach(self, waveform: Any, editor: Any) -> None:
        """The views that follow the playhead (either may be None)."""
        self._waveform, self._editor = waveform, editor

    def set_document(self, doc: Transcript | None) -> None:
        self._doc = doc
        self._current_word = -1

    def set_audio(self, samples: np.ndarray | None) -> None:
        """Play these 16 kHz samples (None: no recording). Checks the output device once."""
        self.stop()
        self.player = self._factory(samples) if samples is not None else None
        if self.player is not None and not self.player.clock_only and not self._probe():
            self._warn_no_output()
        self._emit_position(0)

    @property
    def rewind_on_resume_ms(self) -> int:
        return int(str(self._settings.value("playback/rewind_on_resume_ms", 1000)))

    @property
    def playing(self) -> bool:
        return self.player is not None and self.player.playing

    @property
    def position_ms(self) -> int:
        return self.player.position_ms if self.player is not None else 0

    # -- actions --------------------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        spec = {
            "play": ("Play / Pause", ["Esc", "Ctrl+Space"], self.toggle),
            "back": ("Skip Back 5 s", ["F1"], lambda: self.skip(-SKIP_MS)),
            "forward": ("Skip Forward 5 s", ["F2"], lambda: self.skip(SKIP_MS)),
            "slower": ("Slower", ["F3"], lambda: self.change_speed(-SPEED_STEP)),
            "faster": ("Faster", ["F4"], lambda: self.change_speed(SPEED_STEP)),
            "normal": ("Normal Speed", ["Ctrl+0"], lambda: self.set_speed(1.0)),
            "goto": ("Go to Time...", ["Ctrl+G"], self._on_goto_triggered),
        }
        actions: dict[str, QAction] = {}
        for key, (text, keys, slot) in spec.items():
            a = QAction(text, self)
            a.setShortcuts([QKeySequence(k) for k in keys])
            a.triggered.connect(slot)
            actions[key] = a
        return actions

    def toggle(self) -> None:
        """Play-pause (the Esc / Ctrl+Space action)."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.player is None:
            return
        if self._paused_by_user and self.rewind_on_resume_ms > 0:
            self.player.seek(max(0, self.player.position_ms - self.rewind_on_resume_ms))
        try:
            self.player.play()
        except AudioOutputUnavailable:
            self._warn_no_output()
            self.play_refused.emit(NO_OUTPUT_MESSAGE)  # every press: the window flashes its status
            return
        self._paused_by_user = False
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.player is None or not self.player.playing:
            return
        self.player.pause()
        self._paused_by_user = True
        self._timer.stop()
        self._on_timer_tick()
        self.playing_changed.emit(False)

    def stop(self) -> None:
        """Pause without the resume rewind and stop the timer (closing, loading new media)."""
        self._timer.stop()
        if self.player is not None:
            was = self.player.playing
            self.player.close()
            if was:
                self.playing_changed.emit(False)

    def play_range(self, start_ms: int, end_ms: int, loop: bool = False) -> None:
        """Play [start_ms, end_ms] once (the playhead stops at its end) or, with `loop`, over and over."""
        if self.player is None:
            return
        self.player.set_range(start_ms, end_ms, loop)
        self.player.seek(start_ms)
        self._paused_by_user = False  # no resume rewind: the range starts where it starts
        self._emit_position(self.player.position_ms, follow=True)
        if not self.playing:
            self.play()

    def seek(self, ms: int) -> None:
        """Jump to `ms`; works without an output device (the clock moves, the views follow)."""
        if self.player is None:
            self._emit_position(max(0, int(ms)))
            return
        self.player.set_range(None, None)  # a jump elsewhere ends playing (or looping) a selection
        self.player.seek(ms)
        self._paused_by_user = False
        self._emit_position(self.player.position_ms, follow=True)

    def skip(self, delta_ms: int) -> None:
        self.seek(self.position_ms + delta_ms)

    def set_speed(self, speed: float) -> None:
        if self.player is None:
            return
        self.speed_changed.emit(self.player.set_speed(speed))

    def change_speed(self, delta: float) -> None:
        if self.player is not None:
            self.set_speed(self.player.speed + delta)

    def _on_goto_triggered(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QWidget

        from app.core.errors import VerbatimError
        from app.core.timecode import format_position, parse_position

        owner = self.parent()
        parent = owner if isinstance(owner, QWidget) else None
        text, ok = QInputDialog.getText(parent, "Go to Time", "Time (h:mm:ss, m:ss or seconds):",
                                        text=format_position(self.position_ms))
        if ok and text.strip():
            try:
                self.seek(parse_position(text))
            except VerbatimError as exc:
                from PySide6.QtWidgets import QMessageBox

                QMessageBox.warning(parent, "Go to Time", str(exc))

    # -- the clock --------------------------------------------------------------------------------

    def _on_timer_tick(self) -> None:
        if self.player is None:
            return
        ms = self.player.position_ms
        self._emit_position(ms, follow=True)
        if not self.player.playing:  # reached the end (of the recording or of a selection played once)
            self.player.set_range(None, None)
            self._timer.stop()
            self.playing_changed.emit(False)

    def _emit_position(self, ms: int, follow: bool = False) -> None:
        if self._waveform is not None:
            self._waveform.set_playhead(ms, follow=follow)
        index = -1
        if self._doc is not None and len(self._doc):
            i = self._doc.word_at_time(ms)
            if i is not None and self._doc.words[i].start_ms <= ms <= self._doc.words[i].end_ms + 250:
                index = i
        if index != self._current_word:
            self._current_word = index
            if self._editor is not None:
                self._editor.highlight_word(index)
            if self._waveform is not None:
                self._waveform.set_current_word(index)
        self.position_changed.emit(ms)

    def _warn_no_output(self) -> None:
        if not self._warned:
            self._warned = True
            self.output_unavailable.emit(NO_OUTPUT_MESSAGE)

    @property
    def current_word(self) -> int:
        """The word being spoken at the playhead (-1: between words or none)."""
        return self._current_word

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()
