"""The Models dialog (Transcribe ▸ Models…): what is downloaded, the disk it uses, and managing it.

One row per known model: its name and use, its state (downloaded, partly downloaded, not downloaded,
local folder), the disk it uses and where it lives. Buttons act on the selected row: Download (or
Resume), Re-download, Delete, Use local folder…, Copy from folder…; a download runs in the background
with a progress panel and can be cancelled. `DownloadPanel` (progress bar, status line, Cancel) lives here
and is shared with the first-run dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.asr.catalog import needed_models
from app.asr.models.expected_time import Expected
from app.asr.models.model_store import DownloadProgress, ModelStatus, ModelStore, format_bytes
from app.core.errors import VerbatimError
from app.ui.dialogs.model_words import gui_offline_help, short_path, title
from app.ui.dialogs.speed_hint import PrecisionChooser, expected_times, short_expected
from app.workers.download_worker import ModelDownload

STATE_TEXT = {"ready": "Downloaded", "partial": "Partly downloaded", "missing": "Not downloaded"}
Confirm = Callable[[str], bool]


class DownloadPanel(QWidget):
    """A progress bar, a status line and a Cancel button around one `ModelDownload` (also used by the
    Models dialog). Re-emits the download's end as `finished(key, folder)` / `failed(key, message, offline)`."""

    finished = Signal(str, str)
    failed = Signal(str, str, bool)
    running_changed = Signal(bool)

    def __init__(self, store: ModelStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.download = ModelDownload(store, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self.download.cancel)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label)
        self.cancel_button.setEnabled(False)  # always shown, so the dialog keeps its size while downloading
        self.label.setText("Nothing is downloading.")
        self.download.progress.connect(self._on_download_progress)
        self.download.finished.connect(self._on_download_finished)
        self.download.cancelled.connect(self._on_download_cancelled)
        self.download.failed.connect(self._on_download_failed)
        self.download.running_changed.connect(self._on_download_running_changed)

    @property
    def running(self) -> bool:
        return self.download.running

    def start(self, key: str, source: Path | None = None) -> None:
        """Download `key` (or copy it from `source`), showing progress here."""
        name = title(self.store.spec(key))
        resuming = self.store.status(key).state == "partial"
        self.bar.setValue(0)
        self.show_message(f"{'Resuming' if resuming else 'Starting'} {name}\u2026")
        self.download.start(key, source)

    def show_message(self, text: str) -> None:
        self.label.setStyleSheet("")
        self.label.setText(text)

    def show_error(self, text: str) -> None:
        self.label.setStyleSheet("color: #b00020")
        self.label.setText(text)

    def shutdown(self) -> None:
        """Cancel a running download and wait for its thread."""
        self.download.shutdown()

    def _on_download_progress(self, p: DownloadProgress) -> None:
        self.bar.setValue(int(p.fraction * 1000))
        self.show_message(f"{title(self.store.spec(self.download.key or ''))}: {p.describe()}")

    def _on_download_finished(self, key: str, folder: str) -> None:
        self.bar.setValue(1000)
        self.finished.emit(key, folder)

    def _on_download_cancelled(self, key: str) -> None:
        self.show_message(f"Download of {title(self.store.spec(key))} cancelled; the files already "
                          "downloaded are kept, so starting it again resumes.")

    def _on_download_failed(self, key: str, message: str, offline: bool) -> None:
        self.show_error(message)
        self.failed.emit(key, message, offline)

    def _on_download_running_changed(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.running_changed.emit(running)


def show_models_dialog(parent: QWidget | None, store: ModelStore | None = None) -> ModelsDialog:
    """Open the Models dialog window-modal without blocking (the main window's menu action calls this)."""
    dialog = ModelsDialog(store or ModelStore(), parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class ModelsDialog(QDialog):
    """Manage the speech models on this computer. `source`: Download copies from this folder (tests)."""

    def __init__(self, store: ModelStore, source: Path | None = None, confirm: Confirm | None = None,
                 parent: QWidget | None = None, expected: Mapping[str, Expected] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Speech models")
        self.expected = expected if expected is not None else expected_times(
            [spec.key for spec in needed_models()], None, store.config_path.parent)
        self.store = store
        self.source = Path(source) if source is not None else None
        self._confirm = confirm or self._ask
        self.statuses: dict[str, ModelStatus] = {}

        layout = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Model", "Good for", "State", "Disk used", "Location", "One-hour interview"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.tree, 1)
        self.total_label = QLabel()
        layout.addWidget(self.total_label)
        self.precision = PrecisionChooser(store.config_path.parent, self)
        layout.addWidget(self.precision)
        self.panel = DownloadPanel(store, self)
        self.panel.finished.connect(lambda *_: self.refresh())
        self.panel.failed.connect(self._on_panel_failed)
        self.panel.running_changed.connect(lambda *_: self.refresh())
        layout.addWidget(self.panel)
        self.offline_label = QLabel()
        self.offline_label.setWordWrap(True)
        self.offline_label.hide()
        layout.addWidget(self.offline_label)
        row = QHBoxLayout()
        self.download_button = self._button(row, "Download", self._on_download_clicked)
        self.redownload_button = self._button(row, "Re-download", self._on_redownload_clicked)
        self.delete_button = self._button(row, "Delete", self._on_delete_clicked)
        self.local_button = self._button(row, "Use local folder\u2026", self._on_local_clicked)
        self.copy_button = self._button(row, "Copy from folder\u2026", self._on_copy_clicked)
        row.addStretch(1)
        layout.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(900, 420)
        self.refresh()
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)

    def _button(self, row: QHBoxLayout, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # ---- state ---------------------------------------------------------------------------------------

    @property
    def selected_key(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, key: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == key:
                self.tree.setCurrentItem(item)

    def refresh(self) -> None:
        """Re-read what is on disk and redraw the rows, the total and the buttons."""
        current = self.selected_key
        self.tree.clear()
        for spec in needed_models():
            key = spec.key
            status = self.store.status(key)
            self.statuses[key] = status
            state = STATE_TEXT[status.state]
            if status.where == "local":
                state = "Local folder"
            if self.panel.running and self.panel.download.key == key:
                state = "Downloading\u2026"
            where = str(status.folder) if status.folder else ""
            if not where and status.size_bytes:
                where = str(self.store.repo_folder(spec))
            size = format_bytes(status.size_bytes) if status.size_bytes else f"{spec.size_hint} to download"
            if status.state == "partial":
                size = f"{format_bytes(status.size_bytes)} of {spec.size_hint}"
            item = QTreeWidgetItem([title(spec), spec.description, state, size, where,
                                    short_expected(key, self.expected)])
            item.setData(0, Qt.ItemDataRole.UserRole, key)
            item.setToolTip(4, where)
            self.tree.addTopLevelItem(item)
        if current is not None:
            self.select(current)
        cached = sum(s.size_bytes for s in self.statuses.values() if s.where != "local")
        self.total_label.setText(f"Models use {format_bytes(cached)} in {short_path(self.store.cache_dir)}; "
                                 f"{format_bytes(self.store.free_space())} free on that disk.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        key = self.selected_key
        status = self.statuses.get(key) if key else None
        idle = not self.panel.running and status is not None
        state = status.state if status else "missing"
        self.download_button.setText("Resume" if state == "partial" else "Download")
        self.download_button.setEnabled(idle and state != "ready")
        self.redownload_button.setEnabled(idle and state == "ready" and status is not None and status.where == "cache")
        self.delete_button.setText("Forget folder" if status and status.where == "local" else "Delete")
        self.delete_button.setEnabled(idle and state != "missing")
        self.local_button.setEnabled(idle)
        self.copy_button.setEnabled(idle)

    # ---- slots ---------------------------------------------------------------------------------------

    def _on_download_clicked(self) -> None:
        key = self.selected_key
        if key is not None:
            self.offline_label.hide()
            self.panel.start(key, self.source)
            self.refresh()

    def _on_redownload_clicked(self) -> None:
        key = self.selected_key
        if key is None or not self._confirm(f"Delete and download {title(self.store.spec(key))} again?"):
            return
        self._delete(key)
        self._on_download_clicked()

    def _on_delete_clicked(self) -> None:
        key = self.selected_key
        if key is None:
            return
        status = self.statuses[key]
        if status.where == "local":
            question = f"Stop using {status.folder} for {title(status.spec)}? The folder itself is not deleted."
        else:
            question = f"Delete {title(status.spec)} ({format_bytes(status.size_bytes)}) from this computer?"
        if self._confirm(question):
            self._delete(key)

    def _delete(self, key: str) -> None:
        try:
            freed = self.store.delete(key)
        except VerbatimError as exc:
            self.panel.show_error(str(exc))
        else:
            self.panel.show_message(f"{title(self.store.spec(key))}: {format_bytes(freed)} freed." if freed
                                    else f"{title(self.store.spec(key))} is no longer used from its folder.")
        self.refresh()

    def _on_local_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder to use where it is")
        if folder and self.selected_key:
            self.use_local_folder(self.selected_key, Path(folder))

    def use_local_folder(self, key: str, folder: Path) -> None:
        """Use `folder` for `key` (checked: a wrong or incomplete folder is refused with a sentence)."""
        try:
            self.store.set_local_folder(key, folder)
        except VerbatimError as exc:
            self.panel.show_error(str(exc))
        else:
            self.panel.show_message(f"{title(self.store.spec(key))} will be used from {folder}.")
        self.refresh()

    def _on_copy_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (the one with config.json)")
        if folder and self.selected_key:
            self.offline_label.hide()
            self.panel.start(self.selected_key, Path(folder))
            self.refresh()

    def _on_panel_failed(self, key: str, message: str, offline: bool) -> None:
        if offline:
            self.offline_label.setText(gui_offline_help(self.store.spec(key)))
            self.offline_label.show()
        self.refresh()

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Speech models", question)
        return answer == QMessageBox.StandardButton.Yes

    def done(self, result: int) -> None:
        self.panel.shutdown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.panel.shutdown()
        super().closeEvent(event)
