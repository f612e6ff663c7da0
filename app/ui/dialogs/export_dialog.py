"""File > Export: DOCX, SRT, WebVTT, plain text or JSON, with each format's options.

With the window's settings it remembers the last format, each format's own options (time stamps,
speaker names, line numbers) and the folder last exported to: the dialog starts there when the last
export was of this same project, else in the project's (or recording's) folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
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
LINE_NUMBERS = {"docx"}
DEFAULT_TIMESTAMPS = {"docx": True, "txt": False}


class ExportDialog(QDialog):
    """Pick a format, its options and a file; `export()` writes it with the core exporters."""

    def __init__(self, project: Any, parent: QWidget | None = None, default_dir: Path | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Transcript")
        self._project = project
        self._settings = settings
        media = getattr(project, "media_path", None)
        self._stem = Path(getattr(project, "path", None) or media or "transcript").stem
        self._dir = default_dir or self._start_folder()
        self.format_box = QComboBox()
        for key, label in FORMATS:
            self.format_box.addItem(label, key)
        self.timestamps = QCheckBox("Time stamp at each paragraph")
        self.speakers = QCheckBox("Speaker names")
        self.speakers.setChecked(True)
        self.line_numbers = QCheckBox("Line numbers in the margin (for legal use)")
        self._shown_fmt: str | None = None
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
        form.addRow("", self.line_numbers)
        form.addRow("Title", self.title)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if settings is not None:
            self.set_format(str(settings.value("export/format", "docx")))
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()
        self.resize(520, 0)

    def _project_key(self) -> str:
        return str(getattr(self._project, "path", None) or getattr(self._project, "media_path", None) or "")

    def _start_folder(self) -> Path:
        """The last export folder when the last export was of this project, else the project's folder."""
        from app.ui.folders import start_folder

        s = self._settings
        if s is not None and str(s.value("export/project", "")) == self._project_key():
            folder = Path(str(s.value("export/folder", "")))
            if str(folder) and folder.is_dir():
                return folder
        return start_folder(self._project, s)

    def _load_options(self, fmt: str) -> None:
        s = self._settings
        stamps = DEFAULT_TIMESTAMPS.get(fmt, False)
        speakers, lines = True, False
        if s is not None:
            stamps = bool(s.value(f"export/{fmt}/timestamps", stamps, type=bool))
            speakers = bool(s.value(f"export/{fmt}/speakers", True, type=bool))
            lines = bool(s.value(f"export/{fmt}/line_numbers", False, type=bool))
        self.timestamps.setChecked(stamps)
        self.speakers.setChecked(speakers)
        self.line_numbers.setChecked(lines)

    def _save_options(self, fmt: str) -> None:
        s = self._settings
        if s is None:
            return
        s.setValue(f"export/{fmt}/timestamps", self.timestamps.isChecked())
        s.setValue(f"export/{fmt}/speakers", self.speakers.isChecked())
        s.setValue(f"export/{fmt}/line_numbers", self.line_numbers.isChecked())

    @property
    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(fmt))

    def _on_format_changed(self, *_args: object) -> None:
        from app.core.exporters import EXTENSIONS

        fmt = self.fmt
        if self._shown_fmt is not None:
            self._save_options(self._shown_fmt)  # each format keeps its own choices
        self._shown_fmt = fmt
        self._load_options(fmt)
        self.timestamps.setEnabled(fmt in TIMESTAMPS)
        self.speakers.setEnabled(fmt in SPEAKERS)
        self.line_numbers.setEnabled(fmt in LINE_NUMBERS)
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
            line_numbers=self.line_numbers.isChecked() and fmt in LINE_NUMBERS,
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
                                unexpected_sentence(exc, f"export {target.name}",
                                                    log_exception(exc, f"export {target}")))
            return
        self.remember()
        self.accept()

    def remember(self) -> None:
        """Keep the format, its options and the folder for the next export."""
        s = self._settings
        if s is None:
            return
        self._save_options(self.fmt)
        s.setValue("export/format", self.fmt)
        s.setValue("export/folder", str(Path(self.path_edit.text().strip()).parent))
        s.setValue("export/project", self._project_key())
