"""The one dialog Transcribe shows when the chosen models are not all on this computer.

It lists every model the choice still needs with its size (and how much of a partial download is
there), the total to download, a "Get models…" button that opens the Models dialog on the first
missing one, and what to do without internet access. It never shows a command line, and none of its
buttons starts a download by itself (Get models… only opens the Models dialog).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app.asr.models.model_store import ModelStatus
from app.ui.model_readiness import ChoiceState, missing_models, model_name, offline_steps, size_text


class MissingModelsDialog(QDialog):
    """"Interview (2B + Plus) needs 1 more model": the list, sizes, Get models…, offline steps.

    `get_models(key)` is emitted with the first missing model's key when the person asks for them.
    """

    get_models = Signal(str)

    def __init__(self, choice_label: str, states: Sequence[ChoiceState], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models Needed")
        self.setObjectName("missingModelsDialog")
        self.missing: list[ModelStatus] = missing_models(states)
        n = len(self.missing)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        head = QLabel(f"<b>{choice_label}</b> needs {n} model{'s' if n != 1 else ''} that "
                      f"{'are' if n != 1 else 'is'} not on this computer yet:")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.rows: list[QLabel] = []
        for status in self.missing:
            state = "partly downloaded" if status.state == "partial" else "not downloaded"
            row = QLabel(f"\u2022 <b>{model_name(status.spec.key)}</b> \u2014 {state}, {size_text(status)}")
            row.setWordWrap(True)
            row.setTextFormat(Qt.TextFormat.RichText)
            self.rows.append(row)
            layout.addWidget(row)
        self.total_label = QLabel(self._total_text())
        self.total_label.setWordWrap(True)
        layout.addWidget(self.total_label)
        self.offline_label = QLabel(offline_steps())
        self.offline_label.setWordWrap(True)
        self.offline_label.setObjectName("offlineHelp")
        self.offline_label.setStyleSheet("QLabel#offlineHelp { background: #fff4d6; border: 1px solid #e0c36a;"
                                         " border-radius: 6px; padding: 8px; color: #3d3000; }")
        layout.addWidget(self.offline_label)
        buttons = QDialogButtonBox()
        self.get_button = QPushButton("Get models\u2026")
        self.get_button.setToolTip("Open the Models dialog to download or copy them in")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.get_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.get_button.clicked.connect(self._on_get_clicked)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _total_text(self) -> str:
        sizes = [s.spec.size_hint for s in self.missing if s.spec.size_hint]
        if len(sizes) < 2:
            return "Transcription starts once the models are here; your recording and transcript stay as they are."
        return (f"Together about {_sum_hints(sizes)} of disk space. Transcription starts once the models are here; "
                "your recording and transcript stay as they are.")

    def text(self) -> str:
        """Everything the dialog says, as plain text (tests, accessibility)."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))

    def _on_get_clicked(self) -> None:
        self.accept()
        self.get_models.emit(self.missing[0].spec.key if self.missing else "")


def _sum_hints(hints: Sequence[str]) -> str:
    """"~4.7 GB" + "~4.8 GB" -> "9.5 GB" (hints that are not "~N GB" are listed as they are)."""
    total = 0.0
    for hint in hints:
        try:
            total += float(hint.strip("~ ").split()[0])
        except (ValueError, IndexError):
            return " + ".join(hints)
    return f"{total:.1f} GB"
