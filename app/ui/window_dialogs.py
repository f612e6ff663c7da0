"""The dialogs the main window opens from its menus: import, export, keyword list, models, shortcuts, about,
and the transcription server (its settings, its model list, the question before a recording goes to it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

if TYPE_CHECKING:
    from app.ui.dialogs.server_dialog import CapabilitiesFetch
    from app.ui.main_window import MainWindow


def export(window: MainWindow) -> None:
    """File > Export."""
    from app.ui.dialogs.export_dialog import ExportDialog

    if window.project is not None:
        dialog = ExportDialog(window.project, window, settings=window.settings)
        if dialog.exec():
            window.show_message(f"Exported {dialog.written.name}.")


TRANSCRIPT_FILTER = "Transcripts (*.srt *.vtt *.json *.verbatim);;All files (*)"


def import_transcript(window: MainWindow, path: Path | None = None) -> None:
    """File > Import Transcript: an SRT, WebVTT or JSON transcript made elsewhere replaces this one
    (one undo step); its words are spread over each cue and marked interpolated until re-aligned."""
    from app.core.edits import ReplaceTranscript
    from app.core.errors import VerbatimError
    from app.core.importers import import_transcript as read_transcript

    if window.project is None or window.undo_stack is None:
        window.show_message("Open a recording first, then import its transcript.")
        return
    if path is None:
        from app.ui.folders import remember_folder, start_folder

        start = str(start_folder(window.project, window.settings))
        chosen, _ = QFileDialog.getOpenFileName(window, "Import Transcript", start, TRANSCRIPT_FILTER)
        if not chosen:
            return
        path = Path(chosen)
        remember_folder(window.settings, path)
    try:
        doc = read_transcript(path)
    except VerbatimError as exc:
        QMessageBox.warning(window, "Cannot Import Transcript", str(exc))
        return
    except Exception as exc:  # a bug: one sentence, the traceback in the crash log; the open work stays
        from app.core.crash_log import log_exception, unexpected_sentence

        QMessageBox.warning(window, "Cannot Import Transcript",
                            unexpected_sentence(exc, f"import {path.name}", log_exception(exc, f"import {path}")))
        return
    from app.core.timecode import FAR_PAST_MS, format_timecode

    length = window.project.media_duration_ms
    if length and doc.duration_ms > length + FAR_PAST_MS:
        QMessageBox.warning(window, "Cannot Import Transcript",
                            f"{path.name} runs to {format_timecode(doc.duration_ms)}, far past the end of this "
                            f"recording ({format_timecode(length)}); it belongs to another recording.")
        return
    window.undo_stack.push_command(ReplaceTranscript(list(doc.words), list(doc.speakers), keywords=doc.keywords))
    window.show_message(f"Imported {len(doc)} words from {path.name}; their times are estimates until re-aligned.")


def keywords(window: MainWindow) -> None:
    """Transcribe > Keyword List: edit the project's list (one undo step)."""
    from app.core.edits import SetKeywords
    from app.ui.dialogs.keywords_dialog import KeywordsDialog

    if window.project is None or window.undo_stack is None:
        return
    caps = window.transcribe_panel.capabilities
    current = tuple(window.project.transcript.keywords)
    dialog = KeywordsDialog(current, window.settings, window, supported=caps is None or caps.keywords)
    if dialog.exec() and dialog.keywords() != current:
        window.undo_stack.push_command(SetKeywords(dialog.keywords()))


def models(window: MainWindow) -> None:
    """Transcribe > Models: what is downloaded, disk used, delete, download, local folders."""
    from app.ui.dialogs.models_dialog import show_models_dialog

    show_models_dialog(window)


def first_run(window: MainWindow) -> None:
    """On a first start with nothing to open and no model on this computer: the first-run guide."""
    window.model_flow.first_start()


def ask_replace_transcript(window: MainWindow, words: int) -> bool:
    """Transcribe over an existing transcript: Replace or Cancel (Cancel is the default)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Replace Transcript?",
                      f"This recording already has a transcript ({words} words). Transcribing again replaces it."
                      "\n\nIf you change your mind afterwards, Edit \u25b8 Undo (Ctrl+Z) brings it back.",
                      QMessageBox.StandardButton.NoButton, window)
    replace = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is replace


def paragraphs(window: MainWindow) -> None:
    """Transcribe > Paragraph Breaks: the pauses that start paragraphs; optionally applied now (one undo step)."""
    from app.ui.paragraph_settings import ParagraphDialog, apply_paragraph_breaks

    can_apply = window.undo_stack is not None and not window.transcription.running
    dialog = ParagraphDialog(window.settings, window, can_apply=can_apply)
    if dialog.exec() and dialog.apply_now.isChecked() and window.undo_stack is not None:
        samples = window.audio.samples if window.audio is not None else None
        added = apply_paragraph_breaks(window.undo_stack, dialog.rules(), samples)
        window.show_message(f"Added {added} paragraph break{'s' if added != 1 else ''}." if added
                            else "No new paragraph breaks: the transcript already has them.")


def shortcuts(window: MainWindow) -> None:
    """Help > Keyboard Shortcuts (the editor's own Find/Replace keys added)."""
    from app.ui.dialogs.shortcuts_dialog import ShortcutsDialog

    ShortcutsDialog(window.acts.values(), window, extra=[("Find", "Ctrl+F"), ("Replace", "Ctrl+H")]).exec()


def about(window: MainWindow) -> None:
    """Help > About."""
    from app import __version__

    QMessageBox.about(window, "About Verbatim", f"<b>Verbatim {__version__}</b><p>Check every quote against "
                      "the audio. Transcription runs on this computer with IBM Granite Speech.</p>")


def server(window: MainWindow) -> None:
    """Settings > Transcription server: URL, token, test; the server's models join the model list."""
    from app.ui.dialogs.server_dialog import ServerDialog

    dialog = ServerDialog(window)
    dialog.saved.connect(window.transcribe_panel.set_remote_choices)
    dialog.exec()


def load_server_models(window: MainWindow) -> CapabilitiesFetch:
    """Ask the saved server (if any) for its models, off the GUI thread; they join the model list."""
    from app.asr.engines.remote_engine import load_address
    from app.ui.dialogs.server_dialog import CapabilitiesFetch, remote_choices

    address = load_address()
    fetch = CapabilitiesFetch(window)
    if address is not None:
        fetch.finished.connect(
            lambda models, _error: window.transcribe_panel.set_remote_choices(
                remote_choices(models, address.url) if models else []))
        fetch.start(address)
    return fetch


def confirm_upload(window: MainWindow, ask: Callable[[str], bool] | None = None) -> bool:
    """Whether the person agrees that this recording goes to the saved server (asked once per server;
    `ask` answers instead of a message box)."""
    from app.asr.engines.remote_engine import load_address
    from app.ui.dialogs.server_dialog import confirm_upload as confirm_once

    address = load_address()
    if address is None:
        window.show_message("No transcription server is set; set one in Settings > Transcription Server.")
        return False
    return confirm_once(window, window.settings, address.url, ask)
