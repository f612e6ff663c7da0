"""What the model dialogs say about speed on this computer, and the precision chooser of the Models dialog.

The times come from what is already measured or recorded (`app.asr.models.expected_time`): reading them never
measures and never imports torch, so the dialogs open at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from app.asr.models.expected_time import Expected, expected_on_this_machine
from app.asr.models.hardware import likely_device
from app.asr.models.precision import PRECISION_CHOICES, save_choice, saved_choice

NOT_MEASURED = "speed on this computer: known after the first transcription (or run `verbatim system`)"
PRECISION_LABELS = {
    "auto": "Automatic (measured on this computer)",
    "fp32": "fp32 (slowest, the reference)",
    "bf16": "bf16",
    "int8": "int8 language model (CPU only)",
}


def expected_times(keys: Iterable[str], device: str | None = None,
                   config_dir: Path | None = None) -> dict[str, Expected]:
    """Each model's expected time for a one-hour interview here, from the cache (empty where unknown)."""
    return expected_on_this_machine(list(keys), device or likely_device(), config_dir)


def expected_line(key: str, times: Mapping[str, Expected]) -> str:
    """'On this computer: about 25 min for a one-hour interview (estimated)', or what is not known yet."""
    found = times.get(key)
    return f"On this computer: {found.text()}" if found else NOT_MEASURED[0].upper() + NOT_MEASURED[1:]


def short_expected(key: str, times: Mapping[str, Expected]) -> str:
    """For a table cell: 'about 25 min (estimated)', or a dash."""
    found = times.get(key)
    if found is None:
        return "\u2014"
    text = found.text().replace(" for a one-hour interview", "")
    return text.replace("measured on this computer", "measured")


class PrecisionChooser(QWidget):
    """'Precision on this computer: [Automatic | fp32 | bf16 | int8]', kept for every later run."""

    def __init__(self, config_dir: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config_dir = config_dir
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Precision on this computer:"))
        self.combo = QComboBox()
        for choice in PRECISION_CHOICES:
            self.combo.addItem(PRECISION_LABELS[choice], choice)
        self.combo.setCurrentIndex(PRECISION_CHOICES.index(saved_choice(config_dir)))
        self.combo.setToolTip("Automatic picks, per stage, the fastest format that gives fp32's results on a "
                              "check; `verbatim system` shows the choice and the measurement.")
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        row.addWidget(self.combo)
        row.addStretch(1)

    @property
    def choice(self) -> str:
        return str(self.combo.currentData())

    def _on_combo_changed(self, _index: int) -> None:
        try:
            save_choice(self.choice, self.config_dir)
        except OSError:  # a read-only config folder: the choice holds for no later run
            self.combo.setToolTip("This choice cannot be saved: the settings folder is read-only.")
