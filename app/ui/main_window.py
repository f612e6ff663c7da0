"""The main window: waveform on top, transcript below, speakers in a dock, toolbar and status bar.

The window only wires parts together. Files and recovery live in `FileController`, playback in
`PlaybackController`, transcription runs in `TranscriptionController`, the status bar's labels in
`WindowStatus`, the dialogs in `window_dialogs`, the layout in `window_layout`; the views (waveform,
editor, speakers panel) all follow one `Transcript` and push every change through one undo stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QStyle

from app.core.project import Project
from app.core.timecode import format_position
from app.ui import window_dialogs
from app.ui.actions import add_part_menu, app_icon, build_actions, build_menus, fill_recent_menu
from app.ui.file_controller import FileController
from app.ui.model_flow import ModelFlow
from app.ui.playback_controller import PlaybackController, PlayerFactory
from app.ui.quotes_controller import QuotesController
from app.ui.realign_controller import AlignerFactory, RealignController
from app.ui.speakers_panel import SpeakersPanel
from app.ui.toolbar import WINDOW_STYLE, SpeedLabel, build_toolbar
from app.ui.transcribe_panel import TranscribePanel
from app.ui.transcript_editor import TranscriptEditor
from app.ui.transcription_controller import TranscriptionController
from app.ui.waveform_view import WaveformView
from app.ui.window_layout import add_side_dock, build_layout, restore_layout, save_layout
from app.ui.window_status import WindowStatus
from app.workers.media_loader import MediaLoader
from app.workers.transcription_worker import EngineFactory


class MainWindow(QMainWindow):
    """Verbatim's editor window. Tests pass their own settings, recovery folder and factories."""

    def __init__(self, settings: QSettings | None = None, recovery_root: Path | None = None,
                 cache_dir: Path | None = None, player_factory: PlayerFactory | None = None,
                 engine_factory: EngineFactory | None = None, probe_output: Any = None,
                 aligner_factory: AlignerFactory | None = None, model_store: Any = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.setWindowIcon(app_icon())
        self.setStyleSheet(WINDOW_STYLE)
        self.audio: Any = None
        self.no_output_notice: QMessageBox | None = None  # kept None: states go in the status bar
        self.status = WindowStatus(self)
        self.word_label, self.position_label = self.status.word_label, self.status.position_label
        self.model_label = self.status.model_label
        self.ask_replace = lambda words: window_dialogs.ask_replace_transcript(self, words)
        self.undo_group = QUndoGroup(self)
        self.files = FileController(self, self.settings, recovery_root)
        self.playback = PlaybackController(self.settings, self, player_factory, probe_output)
        self.transcription = TranscriptionController(self, engine_factory)
        self.loader = MediaLoader(cache_dir, self)
        self.waveform = WaveformView()
        self.editor = TranscriptEditor()
        self.speakers_panel = SpeakersPanel()
        self.transcribe_panel = TranscribePanel(self.settings)
        # models are checked (and marked in the model list) for the engines that load them from this computer
        self.model_flow = ModelFlow(self.transcribe_panel, self.settings, model_store,
                                    enabled=model_store is not None or engine_factory is None, parent=self)
        self.model_flow.message.connect(self.show_message)
        self.model_flow.marks_changed.connect(self._update_model_label)
        self.upload_question: Callable[[str], bool] | None = None  # None: a message box asks (tests answer here)
        self.server_models = window_dialogs.load_server_models(self)
        self.splitter, self.speakers_dock = build_layout(self, self.waveform, self.editor, self.speakers_panel)
        self.acts = build_actions(self)
        self._recent_menu = build_menus(self, self.acts)
        self.speed_label = SpeedLabel()
        build_toolbar(self, self.acts, self.transcribe_panel, self.speed_label)
        self.realign = RealignController(self.acts["realign"], self.editor, self.transcribe_panel, aligner_factory,
                                         device=lambda: self.transcription.device, parent=self)
        self.status.install(self.realign.widget, self.transcription.widget)
        self._connect()
        self.quotes = QuotesController(self.editor, self.waveform.marks, self.playback, parent=self)
        self._place_quotes()  # highlights, quote copy, selection, clips (Quotes menu)
        fill_recent_menu(self._recent_menu, self)
        self._update_title()
        self._update_enabled()
        restore_layout(self, self.splitter, self.settings)
        self.model_flow.refresh()

    # -- construction -------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.files.project_opened.connect(self._on_files_project_opened)
        self.files.recent_changed.connect(lambda: fill_recent_menu(self._recent_menu, self))
        self.files.message.connect(self.show_message)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self._on_loader_failed)
        self.playback.attach(self.waveform, self.editor)
        self.status.follow(self.playback, self.editor)
        self.playback.playing_changed.connect(self._on_playback_playing_changed)
        self.playback.speed_changed.connect(lambda s: self.speed_label.set_speed(s))
        self.waveform.seek_requested.connect(self.playback.seek)
        self.waveform.message.connect(self.show_message)
        self.editor.word_clicked.connect(self._on_editor_word_clicked)
        self.editor.message.connect(self.show_message)
        self.editor.match_found.connect(self._on_editor_match_found)
        self.transcription.running_changed.connect(self.realign.set_blocked)
        self.transcription.running_changed.connect(self._on_transcription_running_changed)
        self.transcription.message.connect(self.show_message)
        self._connect_realign()
        self.transcribe_panel.changed.connect(self._update_model_label)
        self.acts["follow"].toggled.connect(lambda on: setattr(self.editor, "follow_playback", on))

    def _connect_realign(self) -> None:
        self.realign.running_changed.connect(self._on_transcription_running_changed)
        self.realign.message.connect(self.show_message)
        self.realign.model_wanted.connect(self.model_flow.offer_model)
        self.undo_group.indexChanged.connect(lambda _i: self.realign.update_action())
        self.transcribe_panel.changed.connect(self.realign.refresh)

    def _place_quotes(self) -> None:
        quotes = self.quotes
        add_side_dock(self, self.speakers_dock, quotes.dock)
        add_part_menu(self, quotes.actions, quotes.menu, before="Transcribe")  # Playback, Quotes, Transcribe
        self.files.project_opened.connect(quotes.set_project)
        quotes.message.connect(self.show_message)
        for job in (self.transcription, self.realign):
            job.running_changed.connect(lambda _r: quotes.set_blocked(self._job_running()))

    def _job_running(self) -> bool:
        """A transcription or a re-alignment writes the document."""
        return bool(self.transcription.running or self.realign.running)

    # -- files --------------------------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        """The open project (None before one is opened)."""
        return self.files.project

    @property
    def undo_stack(self) -> Any:
        return self.files.undo_stack

    def open_path(self, path: Path) -> bool:
        """Open a recording or a project (asks to save unsaved work first)."""
        if not self.files.maybe_save():
            return False
        return self.files.open_path(Path(path))

    def open_dialog(self) -> None:
        path = self.files.ask_open()
        if path is not None:
            self.open_path(path)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def _on_files_project_opened(self, project: Project, stack: Any) -> None:
        self.playback.set_audio(None)
        self.audio = None
        self.realign.set_audio(None)
        self.transcription.set_current_stack(stack)
        self.realign.set_stack(stack)
        for old in self.undo_group.stacks():
            self.undo_group.removeStack(old)
        self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(stack)
        stack.cleanChanged.connect(self._update_title)
        stack.cleanChanged.connect(lambda clean: self.setWindowModified(not clean))
        doc = project.transcript
        self.editor.set_document(doc, stack)
        self.speakers_panel.set_document(doc, stack)
        self.waveform.set_document(doc, stack)
        self.waveform.set_audio(None, project.media_duration_ms or doc.duration_ms)
        self.playback.set_document(doc)
        self.setWindowModified(not stack.isClean())
        self._update_title()
        self._update_model_label()
        if project.media_path is not None and project.media_path.exists():
            self.show_message(f"Loading {project.media_path.name}...")
            self.loader.load(project.media_path)
        self._update_enabled()

    def _on_loader_loaded(self, path: Path, audio: Any, peaks: Any) -> None:
        project = self.project
        if project is None or project.media_path is None or Path(path) != Path(project.media_path):
            return
        self.audio = audio
        project.media_duration_ms = int(audio.duration_ms)
        if project.media_fingerprint is None:
            project.media_fingerprint = audio.fingerprint
        self.waveform.set_audio(peaks, int(audio.duration_ms))
        if self.statusBar().currentMessage().startswith("Loading"):  # never over a notice that came meanwhile
            self.show_message(f"{Path(path).name}: {format_position(int(audio.duration_ms), False)}", 4000)
        self.files.show_truncation(getattr(audio, "truncation", None), Path(path).name)
        self.playback.set_audio(audio.samples)
        self.realign.set_audio(audio.samples)
        self._update_enabled()

    def _on_loader_failed(self, path: Path, message: str) -> None:
        self.show_message(message)
        QMessageBox.warning(self, "Cannot Open Recording", message)

    def _update_title(self, *_args: object) -> None:
        name = self.files.display_name if self.project is not None else ""
        self.setWindowTitle(f"{name}[*] - Verbatim" if name else "Verbatim")

    # -- playback -----------------------------------------------------------------------------------------

    def _on_editor_word_clicked(self, index: int, start_ms: int) -> None:
        self.playback.seek(start_ms)
        if self.acts["play_on_click"].isChecked() and not self.playback.playing:
            self.playback.play()

    def _on_playback_playing_changed(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.acts["play_play"].setIcon(self.style().standardIcon(icon))

    def _on_editor_match_found(self, index: int, start_ms: int) -> None:
        """A found match: the playhead goes to its word (without playing)."""
        self.playback.seek(start_ms)

    # -- the status bar (WindowStatus) -------------------------------------------------------------------

    @property
    def audio_label(self) -> QLabel | None:
        """The status bar's "No audio output" mark (None until the device is found missing)."""
        return self.status.audio_label

    @property
    def flashing(self) -> bool:
        """The "No audio output" mark is flashing (a Play was refused)."""
        return self.status.flashing

    def _update_model_label(self) -> None:
        self.status.update_model_label()

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """One sentence in the status bar for `timeout_ms` (0: until the next one)."""
        self.statusBar().showMessage(text, timeout_ms)

    # -- transcription, dialogs ---------------------------------------------------------------------

    def transcribe(self) -> None:
        """Transcribe the recording: checks the models first, and asks before replacing a transcript."""
        if self.audio is None or self.undo_stack is None:
            self.show_message("Open a recording first.")
            return
        if not self.model_flow.ready_to_transcribe(self.transcribe_panel.model_key):
            return
        doc = self.undo_stack.document
        if len(doc) and not self.ask_replace(len(doc)):
            self.show_message("Transcription not started; the transcript is unchanged.")
            return
        from app.ui.paragraph_settings import paragraph_rules

        self.transcription.paragraph_rules = paragraph_rules(self.settings)
        options = self.transcribe_panel.options(tuple(doc.keywords))
        if self.transcribe_panel.is_remote and not window_dialogs.confirm_upload(self, self.upload_question):
            return
        self.transcription.on_settings = lambda s: self._update_model_label()
        self.transcription.start(self.audio.samples, self.transcribe_panel.model_key, options, self.undo_stack)

    def _on_transcription_running_changed(self, running: bool) -> None:
        busy = self.transcription.running or self.realign.running
        self.editor.text_view().setReadOnly(busy or self.undo_stack is None)
        self._update_enabled()
        self._update_model_label()

    def _update_enabled(self) -> None:
        from app.ui.action_reasons import update_action_reasons

        running = self.transcription.running or self.realign.running
        update_action_reasons(self)  # enabled or not, each with the reason in its tooltip and status tip
        self.realign.update_action()
        self.transcribe_panel.setEnabled(not running)
        self._recent_menu.setEnabled(not running)
        self.undo_group.setActiveStack(None if running else self.undo_stack)  # type: ignore[arg-type]  # None: Undo/Redo off during a run
        self.speakers_panel.setEnabled(not running)
        self.waveform.boundaries_editable = not running
        for button in (self.editor.find_bar.replace_button, self.editor.find_bar.replace_all_button):
            button.setEnabled(not running)

    def import_dialog(self) -> None:
        window_dialogs.import_transcript(self)

    def export_dialog(self) -> None:
        window_dialogs.export(self)

    def keywords_dialog(self) -> None:
        window_dialogs.keywords(self)

    def models_dialog(self) -> None:
        self.model_flow.show_models()

    def update_model_label(self) -> None:
        """The status bar's model line (the model list's marks may have changed)."""
        self._update_model_label()

    def shortcuts_dialog(self) -> None:
        window_dialogs.shortcuts(self)

    def server_dialog(self) -> None:
        """Settings > Transcription server: URL, token, test; the server's models join the model list."""
        window_dialogs.server(self)

    def about(self) -> None:
        window_dialogs.about(self)

    # -- closing --------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():  # "Cancel" keeps the window, and any transcription, going
            event.ignore()
            return
        save_layout(self, self.splitter, self.settings)
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and threads (closing; tests call it to end cleanly)."""
        self.playback.stop()
        self.files.shutdown()
        self.transcription.shutdown()
        self.realign.shutdown()
        self.loader.shutdown()
