"""Questions the window asks about files: recover a journal, relink moved media, save before closing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.fingerprint import media_fingerprint

MEDIA_FILTER = "Recordings (*.wav *.mp3 *.m4a *.aac *.flac *.ogg *.opus *.mp4 *.mov *.mkv *.webm);;All files (*)"


def ask_recover(parent: QWidget | None, name: str) -> bool:
    """Offer the recovery journal of `name` (newer than the saved file); True to recover."""
    answer = QMessageBox.question(
        parent, "Recover Unsaved Work",
        f"Verbatim found unsaved changes to {name} from a session that did not end normally.\n\n"
        "Recover them? (No discards them and opens the saved version.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_save_changes(parent: QWidget | None, name: str) -> QMessageBox.StandardButton:
    """Save / Discard / Cancel before closing or replacing an unsaved project."""
    return QMessageBox.question(
        parent, "Unsaved Changes", f"Save the changes to {name} before closing?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save,
    )


def ask_relink(parent: QWidget | None, missing: Path, fingerprint: str | None) -> Path | None:
    """The recording was moved: let the person find it; warn when the file chosen is not the same recording.

    Returns the new path, or None when the person gives up (the project then opens without audio).
    """
    QMessageBox.information(
        parent, "Recording Not Found",
        f"The recording {missing.name} is no longer at {missing.parent}.\nPlease locate it.",
    )
    while True:
        chosen, _ = QFileDialog.getOpenFileName(parent, f"Locate {missing.name}", str(missing.parent), MEDIA_FILTER)
        if not chosen:
            return None
        path = Path(chosen)
        if fingerprint is None or media_fingerprint(path) == fingerprint:
            return path
        answer = QMessageBox.warning(
            parent, "Different Recording",
            f"{path.name} is not the recording this transcript was made from; its timings may not match.\n\n"
            "Use it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Retry,
        )
        if answer == QMessageBox.StandardButton.Yes:
            return path
        if answer == QMessageBox.StandardButton.Cancel:
            return None
