"""How the transcript looks: word styles (timing source, confidence, playing word, find matches),
the highlighter that applies them and the painted speaker/time headers of the segments."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from app.core.document import TimingSource, Word
from app.core.timecode import format_clock
from app.ui.transcript_render import TranscriptLayout, token_spans

LOW_CONFIDENCE = 0.5
"""Words the model was less sure of than this get the low-confidence style."""

INTERPOLATED_UNDERLINE = QColor("#7a7a7a")
LOW_CONFIDENCE_BACKGROUND = QColor("#ffe3a3")  # amber, light enough to read black text on
PLAYING_BACKGROUND = QColor("#bcd7ff")
MATCH_BACKGROUND = QColor("#fff59d")
CURRENT_MATCH_BACKGROUND = QColor("#ffb74d")
HEADER_TIME_COLOR = QColor("#808080")


def word_format(word: Word) -> QTextCharFormat | None:
    """The format a word needs beyond plain text, or None when it looks normal (model/aligned/manual)."""
    interpolated = word.source == TimingSource.INTERPOLATED
    low = word.confidence is not None and word.confidence < LOW_CONFIDENCE
    if not interpolated and not low:
        return None
    fmt = QTextCharFormat()
    if interpolated:
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        fmt.setUnderlineColor(INTERPOLATED_UNDERLINE)
        fmt.setToolTip("Timing estimated after an edit")
    if low:
        fmt.setBackground(LOW_CONFIDENCE_BACKGROUND)
        fmt.setToolTip(f"Low confidence ({word.confidence:.0%})")
    return fmt


def background_format(color: QColor) -> QTextCharFormat:
    """A format that only paints a background (for extra selections)."""
    fmt = QTextCharFormat()
    fmt.setBackground(color)
    return fmt


class WordMarks:
    """The playing word and find matches, drawn as extra selections (never part of the text)."""

    MAX_MATCHES = 2000  # beyond this, only the first matches are painted

    def __init__(self, view: QTextEdit) -> None:
        self._view = view
        self._playing: list[QTextEdit.ExtraSelection] = []
        self._matches: list[QTextEdit.ExtraSelection] = []
        self._highlights: list[QTextEdit.ExtraSelection] = []

    def _selection(self, start: int, end: int, color: QColor) -> QTextEdit.ExtraSelection:
        sel = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        sel.cursor = cursor
        sel.format = background_format(color)
        return sel

    def set_playing(self, span: tuple[int, int] | None) -> None:
        self._playing = [self._selection(*span, PLAYING_BACKGROUND)] if span is not None else []
        self._apply()

    def set_matches(self, spans: list[tuple[int, int]], current: tuple[int, int] | None) -> None:
        self._matches = [self._selection(a, b, CURRENT_MATCH_BACKGROUND if (a, b) == current else MATCH_BACKGROUND)
                         for a, b in spans[: self.MAX_MATCHES]]
        self._apply()

    def set_highlights(self, spans: list[tuple[int, int, QColor]]) -> None:
        """Highlighted quotes: text spans with their label colour (under matches and the playing word)."""
        self._highlights = [self._selection(a, b, color) for a, b, color in spans]
        self._apply()

    def clear(self) -> None:
        self._playing, self._matches, self._highlights = [], [], []
        self._apply()

    def _apply(self) -> None:
        self._view.setExtraSelections(self._highlights + self._matches + self._playing)


class WordHighlighter(QSyntaxHighlighter):
    """Styles interpolated and low-confidence words of each block (layout formats, not text edits)."""

    def __init__(self, layout: TranscriptLayout) -> None:
        super().__init__(layout.qdoc)
        self._layout = layout

    def highlightBlock(self, text: str) -> None:
        doc = self._layout.doc
        seg = self._layout.segment_at_block(self.currentBlock().blockNumber())
        if doc is None or seg is None:
            return
        spans = token_spans(text)
        if len(spans) != seg.end - seg.start:
            return  # the block is mid-edit; it is highlighted again once the document caught up
        words = doc.words
        for k, (a, b) in enumerate(spans):
            fmt = word_format(words[seg.start + k])
            if fmt is not None:
                self.setFormat(a, b - a, fmt)


class SegmentHeaders:
    """Paints each segment's header (speaker name in its colour, start time) in its block's top margin.

    Headers are never text: they cannot be edited, selected or exported, and a rename repaints them.
    """

    def __init__(self, layout: TranscriptLayout, view: QTextEdit) -> None:
        self._layout = layout
        self._view = view

    def height(self) -> int:
        """The top margin each block reserves for its header."""
        return int(self._view.fontMetrics().height() * 1.6) + 4

    def _offset(self) -> QPoint:
        return QPoint(self._view.horizontalScrollBar().value(), self._view.verticalScrollBar().value())

    def block_top(self, block_number: int) -> float:
        """The viewport y where block `block_number`'s text starts (its header sits just above)."""
        block = self._layout.qdoc.findBlockByNumber(block_number)
        rect = self._layout.qdoc.documentLayout().blockBoundingRect(block)  # the text, margins excluded
        return rect.top() - self._offset().y()

    def name_rect(self, segment_index: int) -> QRect:
        """Viewport rectangle of a segment's speaker name (the click target of its speaker menu)."""
        seg = self._layout.segment_at_block(segment_index)
        doc = self._layout.doc
        if seg is None or doc is None:
            return QRect()
        font = self._name_font()
        width = QFontMetrics(font).horizontalAdvance(self._name(seg.speaker)) + 8
        top = self.block_top(segment_index)
        h = self.height()
        left = int(self._layout.qdoc.documentMargin()) - self._offset().x()
        return QRect(left - 2, int(top - h), width, h - 2)

    def text(self, segment_index: int) -> str:
        """The header of a segment as plain text: "Name [mm:ss]"."""
        seg = self._layout.segment_at_block(segment_index)
        if seg is None or self._layout.doc is None:
            return ""
        return f"{self._name(seg.speaker)} [{format_clock(self._layout.doc.words[seg.start].start_ms)}]"

    def _name(self, speaker_id: str | None) -> str:
        doc = self._layout.doc
        name = doc.speaker_name(speaker_id) if doc is not None else ""
        return name or "(no speaker)"

    def _name_font(self) -> QFont:
        font = QFont(self._view.font())
        font.setBold(True)
        return font

    def segment_at(self, point: QPoint) -> int:
        """The segment whose speaker name is under a viewport point, or -1."""
        block = self._view.cursorForPosition(point).block()
        for number in (block.blockNumber(), block.blockNumber() + 1):
            if self._layout.segment_at_block(number) is not None and self.name_rect(number).contains(point):
                return number
        return -1

    def paint(self, painter: QPainter, exposed: QRect) -> None:
        """Draw the headers of the blocks inside `exposed` (viewport coordinates)."""
        doc = self._layout.doc
        if doc is None or not self._layout.segments:
            return
        view = self._view
        block = view.cursorForPosition(QPoint(0, max(0, exposed.top()))).block()
        if block.previous().isValid():
            block = block.previous()
        name_font, time_font = self._name_font(), QFont(view.font())
        name_metrics = QFontMetrics(name_font)
        h = self.height()
        words = doc.words
        while block.isValid():
            number = block.blockNumber()
            seg = self._layout.segment_at_block(number)
            top = self.block_top(number)
            if top - h > exposed.bottom():
                break
            if seg is not None and top > exposed.top():
                rect = self.name_rect(number)
                speaker = doc.speaker(seg.speaker)
                painter.setFont(name_font)
                painter.setPen(QColor(speaker.color) if speaker else HEADER_TIME_COLOR)
                base = int(top - h * 0.3)
                name = self._name(seg.speaker)
                painter.drawText(rect.left() + 2, base, name)
                painter.setFont(time_font)
                painter.setPen(HEADER_TIME_COLOR)
                start = words[seg.start].start_ms if seg.start < len(words) else 0
                painter.drawText(rect.left() + 2 + name_metrics.horizontalAdvance(name) + 12, base,
                                 f"[{format_clock(start)}]")
            block = block.next()
