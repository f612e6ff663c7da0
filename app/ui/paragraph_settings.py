"""Paragraph breaks as a setting: the thresholds a person chose, and the small dialog to choose them.

The rules themselves (and their defaults) live in `app.core.paragraphs`; this keeps the person's choice
in the window's QSettings and can apply it to the open transcript as one undo step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from app.core.paragraphs import DEFAULT_RULES, ParagraphRules, add_paragraph_breaks
from app.workers.pauses import recording_pauses

PAUSE_KEY = "paragraphs/pause_ms"
SENTENCE_KEY = "paragraphs/sentence_pause_ms"


def paragraph_rules(settings: QSettings) -> ParagraphRules:
    """The rules from the settings (defaults where unset or unreadable), clamped to sensible values."""
    def read(key: str, default: int) -> int:
        try:
            return int(float(str(settings.value(key, default))))
        except (TypeError, ValueError):
            return default

    return ParagraphRules(read(PAUSE_KEY, DEFAULT_RULES.pause_ms),
                          read(SENTENCE_KEY, DEFAULT_RULES.sentence_pause_ms)).checked()


def save_paragraph_rules(settings: QSettings, rules: ParagraphRules) -> None:
    """Keep `rules` for the next transcriptions."""
    rules = rules.checked()
    settings.setValue(PAUSE_KEY, rules.pause_ms)
    settings.setValue(SENTENCE_KEY, rules.sentence_pause_ms)


class ParagraphDialog(QDialog):
    """Transcribe > Paragraph Breaks…: the two pauses, and whether to apply them to this transcript now."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None, can_apply: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paragraph Breaks")
        rules = paragraph_rules(settings)
        self._settings = settings
        self.pause = self._seconds(rules.pause_ms, 0.3, 60.0)
        self.sentence = self._seconds(rules.sentence_pause_ms, 0.1, 60.0)
        self.apply_now = QCheckBox("Add these breaks to the open transcript now (Undo takes them back)")
        self.apply_now.setEnabled(can_apply)
        form = QFormLayout(self)
        intro = QLabel("New transcripts start a paragraph, with its own time stamp, at long pauses, and at the end "
                       "of a sentence followed by a shorter pause. Speaker changes always start one.")
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("New paragraph at a pause of at least", self.pause)
        form.addRow("or after a sentence end and a pause of", self.sentence)
        form.addRow(self.apply_now)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._on_defaults_clicked)
        form.addRow(buttons)

    @staticmethod
    def _seconds(ms: int, low: float, high: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(1)
        box.setSingleStep(0.1)
        box.setSuffix(" s")
        box.setValue(ms / 1000)
        return box

    def rules(self) -> ParagraphRules:
        """The rules the dialog shows now."""
        return ParagraphRules(int(round(self.pause.value() * 1000)),
                              int(round(self.sentence.value() * 1000))).checked()

    def _on_defaults_clicked(self) -> None:
        self.pause.setValue(DEFAULT_RULES.pause_ms / 1000)
        self.sentence.setValue(DEFAULT_RULES.sentence_pause_ms / 1000)

    def accept(self) -> None:
        save_paragraph_rules(self._settings, self.rules())
        super().accept()


def apply_paragraph_breaks(undo_stack: Any, rules: ParagraphRules, samples: Any = None) -> int:
    """Add `rules`' breaks to the open transcript as one undo step; how many paragraphs were added.

    `samples`: the recording (16 kHz), so that its pauses count too."""
    from app.core.edits import SpliceWords

    words = list(undo_stack.document.words)
    new = add_paragraph_breaks(words, rules, recording_pauses(samples))
    added = sum(a.starts_segment != b.starts_segment for a, b in zip(words, new, strict=True))
    if added:
        undo_stack.push_command(SpliceWords(0, len(words), new, "Add paragraph breaks"))
    return added
