"""File > Export: DOCX, SRT, WebVTT, plain text or JSON, with each format's options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
    QMessageBox, QPushButton, QWidget,
)

from app.core.errors import VerbatimError

FORMATS = (
    ("docx", "Word document (DOCX)"),
    ("srt", "Subtitles (SRT)"),
    ("vtt", "Web subtitles (WebVTT)"),
    ("txt", "Plain text (TXT)"),
    ("json", "Verbatim JSON (words with timings)"),
)
TIMESTAMPS = {"docx", "txt"}
SPEAKERS = {"docx", "txt", "srt", "vtt"}


class ExportDialog(QDialog):
    """Pick a format, its options and a file; `export()` writes it with the core exporters."""

    def __init__(self, project: Any, parent: QWidget | None = None, default_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Transcript")
        self._project = project
        media = getattr(project, "media_path", None)
        self._stem = Path(getattr(project, "path", None) or media or "transcript").stem
        self._dir = default_dir or Path(getattr(project, "path", None) or media or Path.home() / "x").parent
        self.format_box = QComboBox()
        for key, label in FORMATS:
            self.format_box.addItem(label, key)
        self.timestamps = QCheckBox("Time stamp at each paragraph")
        self.speakers = QCheckBox("Speaker names")
        self.speakers.setChecked(True)
        self.title = QLineEdit()
        self.title.setPlaceholderText(Path(media).name if media else "Transcript")
        self.path_edit = QLineEdit()
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Format", self.format_box)
        form.addRow("", self.timestamps)
        form.addRow("", self.speakers)
        form.addRow("Title", self.title)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()
        self.resize(520, 0)

    @property
    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(fmt))

    def _on_format_changed(self, *_args: object) -> None:
        from app.core.exporters import EXTENSIONS

        fmt = self.fmt
        self.timestamps.setEnabled(fmt in TIMESTAMPS)
        self.speakers.setEnabled(fmt in SPEAKERS)
        self.title.setEnabled(fmt == "docx")
        current = self.path_edit.text().strip()
        base = Path(current) if current else self._dir / self._stem
        self.path_edit.setText(str(base.with_suffix(EXTENSIONS[fmt])))

    def _on_browse_clicked(self) -> None:
        label = self.format_box.currentText()
        chosen, _ = QFileDialog.getSaveFileName(self, "Export As", self.path_edit.text(),
                                                f"{label} (*{Path(self.path_edit.text()).suffix})")
        if chosen:
            self.path_edit.setText(chosen)
            self._confirmed = Path(chosen)  # the file dialog already asked about replacing it

    def options(self) -> Any:
        from app.core.exporters import ExportOptions

        fmt = self.fmt
        return ExportOptions(
            timestamps=self.timestamps.isChecked() and fmt in TIMESTAMPS,
            speakers=self.speakers.isChecked() or fmt not in SPEAKERS,
            title=self.title.text().strip() or None,
        )

    def export(self) -> Path:
        """Write the file; raises VerbatimError with one sentence on failure."""
        from app.core.exporters import export_document

        text = self.path_edit.text().strip()
        if not text:
            raise VerbatimError("Choose a file to export to.")
        return export_document(self.fmt, self._project, Path(text), self.options())

    def _on_accepted(self) -> None:
        target = Path(self.path_edit.text().strip() or ".")
        if target.is_file() and target != getattr(self, "_confirmed", None):
            answer = QMessageBox.question(self, "Replace File?", f"{target.name} already exists. Replace it?",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            self.written = self.export()
        except VerbatimError as exc:
            QMessageBox.warning(self, "Export Failed", str(exc))
            return
        except Exception as exc:  # a bug: one sentence, the traceback in the crash log
            from app.core.crash_log import log_exception, unexpected_sentence

            QMessageBox.warning(self, "Export Failed",
                                unexpected_sentence(exc, f"export {target.name}", log_exception(exc, f"export {target}")))
            return
        self.accept()
