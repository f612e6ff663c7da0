"""The main window's status bar labels: the cursor's word, the playhead, the model, "No audio output".

Messages from every part of the window go to the bar's message area (`MainWindow.show_message`); these
are the permanent labels on its right. No audio device is a state, not an event: a red mark and the
transport's tooltips say it, and a refused Play flashes the mark, so no box ever covers the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from app.core.timecode import format_position

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow
    from app.ui.playback_controller import PlaybackController
    from app.ui.transcript_editor import TranscriptEditor

AUDIO_LABEL_STYLE = "color: #b3261e;"
AUDIO_LABEL_FLASH = "color: white; background: #b3261e; border-radius: 3px;"
FLASH_MS = 700


class WindowStatus(QObject):
    """The labels and what they follow: the editor's cursor, the playhead, the transcript's model."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.word_label = QLabel()
        self.word_label.setToolTip("The word under the text cursor: its time and where the time came from")
        self.position_label = QLabel("0:00.0")
        self.model_label = QLabel()
        self.audio_label: QLabel | None = None
        """The "No audio output" mark, made when the device is first found missing."""
        self.flashing = False
        """The "No audio output" mark is flashing (a Play was refused)."""

    def install(self, *jobs: QWidget) -> None:
        """Put the jobs' progress widgets, then the labels, on the window's status bar."""
        bar = self._window.statusBar()
        for widget in (*jobs, self.word_label, self.model_label, self.position_label):
            bar.addPermanentWidget(widget)

    def follow(self, playback: PlaybackController, editor: TranscriptEditor) -> None:
        """Follow the playhead, the audio device and the editor's cursor."""
        playback.position_changed.connect(self._on_playback_position_changed)
        playback.output_unavailable.connect(self._on_playback_output_unavailable)
        playback.play_refused.connect(self._on_playback_play_refused)
        editor.cursor_word_changed.connect(self._on_editor_cursor_word_changed)

    def _on_editor_cursor_word_changed(self, index: int) -> None:
        project = self._window.project
        doc = project.transcript if project else None
        if doc is None or not 0 <= index < len(doc):
            self.word_label.setText("")
            return
        w = doc.words[index]
        span = f"{format_position(w.start_ms)} \u2013 {format_position(w.end_ms)}"
        self.word_label.setText(f"\u201c{w.text}\u201d  {span}  ({w.source.value})")

    def _on_playback_position_changed(self, ms: int) -> None:
        window = self._window
        if window.audio is not None:
            total = window.audio.duration_ms
        else:
            total = (window.project.media_duration_ms or 0) if window.project else 0
        self.position_label.setText(f"{format_position(ms)} / {format_position(int(total))}")

    def _on_playback_output_unavailable(self, message: str) -> None:
        # a state, not an event: the status bar and the transport say it, no box ever covers the window
        window = self._window
        window.show_message(message, 0)
        if self.audio_label is None:
            self.audio_label = QLabel("No audio output")
            self.audio_label.setObjectName("audio_label")
            self.audio_label.setStyleSheet(AUDIO_LABEL_STYLE)
            window.statusBar().insertPermanentWidget(0, self.audio_label)
        self.audio_label.setToolTip(message + " You can still read, edit and export the transcript.")
        for name in ("play_play", "play_back", "play_forward"):
            action = window.acts[name]
            action.setToolTip(f"{action.text().replace('&', '')} \u2014 {message}")

    def _on_playback_play_refused(self, message: str) -> None:
        """Play without a device: say it again and flash the status-bar mark (every time)."""
        self._on_playback_output_unavailable(message)
        self._window.show_message(message + " You can still read, edit and export the transcript.", 8000)
        label = self.audio_label
        assert label is not None
        label.setStyleSheet(AUDIO_LABEL_FLASH)
        self.flashing = True
        QTimer.singleShot(FLASH_MS, label, self._end_flash)

    def _end_flash(self) -> None:
        self.flashing = False
        if self.audio_label is not None:
            self.audio_label.setStyleSheet(AUDIO_LABEL_STYLE)

    def update_model_label(self) -> None:
        """The model the transcript was made with (and where), else the model chosen for the next run."""
        window = self._window
        s = window.project.transcript.settings if window.project else None
        if s is not None and s.model:
            text = f"{s.model}" + (f" \u00b7 {s.device}" if s.device else "")
        else:
            panel = window.transcribe_panel
            text = f"Model: {panel.choice_label(panel.model_key)}"
        self.model_label.setText(text)
