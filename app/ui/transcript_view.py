"""The text surface of the transcript editor: a QTextEdit that hands keys, clicks and pastes to its editor.

It paints the segment headers in each paragraph's top margin, reports clicks on words and headers, and
turns pasted line breaks into spaces (a paste never creates a paragraph: turns are split with Enter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QPoint, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QTextCursor
from PySide6.QtWidgets import QTextEdit

from app.ui.editor_keys import structure_key

if TYPE_CHECKING:
    from app.ui.transcript_editor import TranscriptEditor


class TranscriptTextView(QTextEdit):
    """The text surface: routes structural keys, clicks and painting to the editor."""

    def __init__(self, editor: TranscriptEditor) -> None:
        super().__init__(editor)
        self._editor = editor
        self._press: QPoint | None = None
        self.setAcceptRichText(False)
        self.setAcceptDrops(False)
        self.setMouseTracking(True)
        self.document().setUndoRedoEnabled(False)  # the DocumentUndoStack is the only history

    def cursor_at(self, start: int, end: int | None = None) -> QTextCursor:
        """A text cursor at position `start` (selecting up to `end` when given)."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        if end is not None:
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not structure_key(self._editor, event):
            super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        # Undo/redo must reach keyPressEvent (and our stack) even when the window has Ctrl+Z actions.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and (
            event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
        ):
            event.accept()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        try:
            self._editor._headers.paint(painter, event.rect())
        finally:
            painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton:
            segment = self._editor._headers.segment_at(pos)
            if segment >= 0:
                self._editor._on_header_clicked(segment, self.viewport().mapToGlobal(pos))
                return
            self._press = pos
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        pos = event.position().toPoint()
        press, self._press = self._press, None
        if (event.button() == Qt.MouseButton.LeftButton and press is not None
                and (pos - press).manhattanLength() < 4 and not self.textCursor().hasSelection()):
            self._editor._on_view_clicked(pos)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over_name = self._editor._headers.segment_at(event.position().toPoint()) >= 0
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if over_name else Qt.CursorShape.IBeamCursor)
        super().mouseMoveEvent(event)

    def createMimeDataFromSelection(self) -> QMimeData:
        # Ctrl+C keeps attribution: "[00:06] Name: words" as text and as HTML (Ctrl+Shift+C: bare text)
        return self._editor.selection_mime()

    def insertFromMimeData(self, source: QMimeData) -> None:
        # Pasted line breaks would create paragraphs without a segment: paste them as spaces.
        text = source.text().replace("\r\n", " ")
        for ch in "\r\n\u2028\u2029\t\v\f":
            text = text.replace(ch, " ")
        self.textCursor().insertText(text)
