"""Highlights drawn in the transcript: each one's words get its label's colour behind them.

The marks are extra selections of the text view (never part of the text). After a keystroke the
editor pushes the edit and only then re-lays out its text, so the marks are repainted on the next
turn of the event loop rather than inside the document's change notification.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor

from app.core.document import Transcript
from app.core.highlights import live_highlights

HIGHLIGHT_ALPHA = 150  # label colours, light enough to read black text on


class TranscriptHighlights(QObject):
    """Paints the document's highlights into a TranscriptEditor."""

    def __init__(self, editor: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self._doc: Transcript | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.paint)

    def set_document(self, doc: Transcript | None) -> None:
        self._doc = doc
        self.paint()

    def schedule(self) -> None:
        """Repaint once the editor has caught up with the change being made."""
        self._timer.start()

    def paint(self) -> None:
        self._timer.stop()
        doc, layout = self._doc, self._editor.layout_model()
        spans: list[tuple[int, int, object]] = []
        if doc is not None:
            for h, i, j in live_highlights(doc):
                a, b = layout.word_span(i), layout.word_span(j - 1)
                if a is not None and b is not None:
                    color = QColor(doc.highlights.label_color(h.label))
                    color.setAlpha(HIGHLIGHT_ALPHA)
                    spans.append((a[0], b[1], color))
        self._editor.set_highlight_spans(spans)

    def spans(self) -> list[tuple[int, int]]:
        """The text spans painted as highlights now (pending repaints done first)."""
        if self._timer.isActive():
            self.paint()
        marks = self._editor.text_view().extraSelections()
        return [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in marks
                if s.format.background().color().alpha() == HIGHLIGHT_ALPHA]
