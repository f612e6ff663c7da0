"""Settings > Transcription server: where the newsroom's server is, its token, and a connection test.

The address and token are kept by `app.asr.engines.remote_engine.save_address` (the user's config folder, readable by
the user only). Once a server answers, its models join the transcribe panel's list, marked "(server)".
Before the first upload to a server the window asks, in plain words, whether the audio may go there
(`confirm_upload`); the answer is remembered per server URL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.asr.catalog import Choice, remote_choice
from app.asr.engines.remote_engine import ServerAddress, ServerClient, load_address, save_address
from app.core.errors import VerbatimError

CONSENT_KEY = "server/upload_consent_url"


class CapabilitiesFetch(QObject):
    """Asks a server what it serves in a short-lived thread; `finished(models, error)` comes back on the GUI thread."""

    finished = Signal(object, str)  # list of /v1/capabilities model entries (or None), one sentence or ""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: threading.Thread | None = None

    def start(self, address: ServerAddress) -> None:
        def work() -> None:
            try:
                models = ServerClient(address, timeout_s=10.0).capabilities().get("models", [])
                self.finished.emit(list(models), "")
            except VerbatimError as exc:
                self.finished.emit(None, str(exc))

        self.worker = threading.Thread(target=work, name="server-capabilities", daemon=True)
        self.worker.start()

    def wait(self, timeout_s: float = 15.0) -> None:
        """Block until the request is over (tests, shutdown)."""
        if self.worker is not None:
            self.worker.join(timeout_s)


def remote_choices(models: list[dict[str, Any]], url: str) -> list[Choice]:
    """The panel's entries for a server's models."""
    return [remote_choice(m, url) for m in models]


class ServerDialog(QDialog):
    """URL, token, Test connection; `saved(choices)` after Save with the server's models (empty when cleared)."""

    saved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Transcription Server")
        current = load_address()
        self.url_edit = QLineEdit(current.url if current else "")
        self.url_edit.setPlaceholderText("http://gpu-box:8000")
        self.token_edit = QLineEdit(current.token if current else "")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("the token your newsroom gave you")
        self.test_button = QPushButton("Test Connection")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.result_label = QLabel("Leave the URL empty to transcribe only on this computer.")
        self.result_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Server URL", self.url_edit)
        form.addRow("Token", self.token_edit)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel("Recordings you transcribe with a server model are sent to that server; "
                      "models on this computer never send anything.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)
        self.fetch = CapabilitiesFetch(self)
        self.fetch.finished.connect(self._on_fetch_finished)
        self.models: list[dict[str, Any]] | None = None
        self.setMinimumWidth(520)

    def address(self) -> ServerAddress | None:
        url = self.url_edit.text().strip().rstrip("/")
        return ServerAddress(url, self.token_edit.text().strip()) if url else None

    def _on_test_clicked(self) -> None:
        address = self.address()
        if address is None:
            self.result_label.setText("Enter the server's URL first.")
            return
        if not address.url.startswith(("http://", "https://")):
            self.result_label.setText("The URL must start with http:// or https://.")
            return
        self.test_button.setEnabled(False)
        self.result_label.setText(f"Connecting to {address.url}...")
        self.fetch.start(address)

    def _on_fetch_finished(self, models: list[dict[str, Any]] | None, error: str) -> None:
        self.test_button.setEnabled(True)
        self.models = models
        if models is None:
            self.result_label.setText(error)
            return
        names = ", ".join(str(m.get("label") or m.get("key")) for m in models) or "no models"
        self.result_label.setText(f"Connected. The server offers: {names}.")

    def _on_buttons_accepted(self) -> None:
        address = self.address()
        if address is not None and not address.url.startswith(("http://", "https://")):
            self.result_label.setText("The URL must start with http:// or https://.")
            return
        try:
            save_address(address)
        except OSError as exc:
            self.result_label.setText(f"Could not save the server settings ({exc.strerror or exc}).")
            return
        choices = remote_choices(self.models or [], address.url) if address is not None else []
        self.saved.emit(choices)
        self.accept()

    def done(self, result: int) -> None:
        self.fetch.wait()
        super().done(result)


def confirm_upload(parent: QWidget | None, settings: QSettings, url: str,
                   ask: Callable[[str], bool] | None = None) -> bool:
    """Before the first upload to `url`: say plainly that the audio goes there, and ask. Remembered per URL."""
    if settings.value(CONSENT_KEY, "") == url:
        return True
    text = (f"This recording will be sent to the transcription server at {url} to be transcribed there. "
            "Send it?")
    ok = ask(text) if ask is not None else QMessageBox.question(
        parent, "Send the Recording to the Server?", text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes
    if ok:
        settings.setValue(CONSENT_KEY, url)
    return ok
