"""Fast custom pyqtgraph items for the waveform: speaker turns and the word lane.

Both paint only what is inside the visible x range (binary search over sorted time arrays), so a
two-hour interview with thousands of turns and twenty thousand words costs no more than a minute.
Labels are drawn in device coordinates so the text is never stretched by the zoom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from app.core.timecode import format_position

LANE_TOP = -1.02  # the word lane sits under the waveform (which spans -1..1)
LANE_BOTTOM = -1.32
WORDS_MAX_SPAN_S = 30.0  # word ticks and labels only when zoomed in closer than this


def _visible(item: pg.GraphicsObject) -> tuple[float, float] | None:
    vb = item.getViewBox()
    if vb is None:
        return None
    (x0, x1), _ = vb.viewRange()
    return x0, x1


class SpeakerTurnsItem(pg.GraphicsObject):
    """Translucent coloured bands for speaker turns, the speaker's name at each band's start."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(True)
        self._starts = np.zeros(0)
        self._ends = np.zeros(0)
        self._names: list[str] = []
        self._colors: list[QColor] = []
        self._extent = 1.0
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._font.setBold(True)

    def set_turns(self, starts_s: np.ndarray, ends_s: np.ndarray, names: Sequence[str], colors: Sequence[str]) -> None:
        """Replace the turns (sorted by start)."""
        self.prepareGeometryChange()
        self._starts, self._ends = np.asarray(starts_s, float), np.asarray(ends_s, float)
        self._names = list(names)
        self._colors = [QColor(c) for c in colors]
        self._extent = float(self._ends.max()) if len(self._ends) else 1.0
        self.update()

    def turn_at(self, t_s: float) -> int | None:
        """Index of the turn covering time `t_s`, if any."""
        i = int(np.searchsorted(self._starts, t_s, side="right")) - 1
        if 0 <= i < len(self._starts) and t_s <= self._ends[i]:
            return i
        return None

    def name_at(self, t_s: float) -> str:
        i = self.turn_at(t_s)
        return self._names[i] if i is not None else ""

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, LANE_BOTTOM, max(self._extent, 1e-3), 1.0 - LANE_BOTTOM)

    def paint(self, p: QPainter, *_args: object) -> None:
        rng = _visible(self)
        if rng is None or not len(self._starts):
            return
        lo = max(0, int(np.searchsorted(self._ends, rng[0])))
        hi = int(np.searchsorted(self._starts, rng[1], side="right"))
        p.setPen(Qt.PenStyle.NoPen)
        for i in range(lo, hi):
            c = QColor(self._colors[i])
            c.setAlpha(38)
            p.fillRect(QRectF(self._starts[i], -1.0, self._ends[i] - self._starts[i], 2.0), c)
        tr = p.transform()
        p.save()
        p.resetTransform()
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        for i in range(lo, min(hi, lo + 200)):
            left = tr.map(QPointF(max(self._starts[i], rng[0]), 1.0))
            right = tr.map(QPointF(self._ends[i], 1.0))
            width = right.x() - left.x()
            text = fm.elidedText(self._names[i], Qt.TextElideMode.ElideRight, int(width) - 8)
            if width < 30 or not text:
                continue
            c = QColor(self._colors[i])
            band = QRectF(left.x(), left.y(), 3.0, tr.map(QPointF(0, -1.0)).y() - left.y())
            p.fillRect(band, c)
            p.setPen(c.darker(130))
            p.drawText(QPointF(left.x() + 7, left.y() + fm.ascent() + 4), text)
        p.restore()

    def hoverEvent(self, ev) -> None:
        if ev.isExit():
            return
        i = self.turn_at(ev.pos().x())
        if i is None:
            self.setToolTip("")
            return
        start, end = format_position(int(self._starts[i] * 1000)), format_position(int(self._ends[i] * 1000))
        self.setToolTip(f"{self._names[i]}  {start} - {end}")


class WordLaneItem(pg.GraphicsObject):
    """Word boundaries as ticks and the words' text in a lane under the waveform (zoomed in only)."""

    SOURCE_COLORS = {"model": "#3c4a5c", "aligned": "#3c4a5c", "interpolated": "#b26b00", "manual": "#2e7d32"}

    def __init__(self, text_of: Callable[[int], tuple[str, str]]) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._text_of = text_of  # index -> (text, source value)
        self._starts = np.zeros(0)
        self._ends = np.zeros(0)
        self.current = -1
        self.drag_preview: float | None = None
        self._font = QFont()
        self._font.setPointSizeF(8.5)

    def set_times(self, starts_s: np.ndarray, ends_s: np.ndarray) -> None:
        self.prepareGeometryChange()
        self._starts, self._ends = starts_s, ends_s
        self.update()

    def boundingRect(self) -> QRectF:
        extent = float(self._ends.max()) if len(self._ends) else 1.0
        return QRectF(0.0, LANE_BOTTOM, max(extent, 1e-3), LANE_TOP - LANE_BOTTOM + 2.1)

    def ticks_visible(self) -> bool:
        rng = _visible(self)
        return rng is not None and (rng[1] - rng[0]) < WORDS_MAX_SPAN_S

    def paint(self, p: QPainter, *_args: object) -> None:
        rng = _visible(self)
        if rng is None or not len(self._starts) or (rng[1] - rng[0]) >= WORDS_MAX_SPAN_S:
            return
        lo = max(0, int(np.searchsorted(self._ends, rng[0])))
        hi = min(len(self._starts), int(np.searchsorted(self._starts, rng[1], side="right")))
        tr = p.transform()
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        y_top = tr.map(QPointF(0, LANE_TOP)).y()
        y_bot = tr.map(QPointF(0, LANE_BOTTOM)).y()
        x_left = tr.map(QPointF(rng[0], 0)).x()
        x_right = tr.map(QPointF(rng[1], 0)).x()
        p.fillRect(QRectF(x_left, y_top, x_right - x_left, y_bot - y_top), QColor(236, 240, 245, 235))
        p.setPen(QPen(QColor("#d5dce4"), 1))
        p.drawLine(QPointF(x_left, y_top), QPointF(x_right, y_top))
        tick_pen = QPen(QColor(60, 74, 92, 150), 1)
        for i in range(lo, hi):
            x0 = tr.map(QPointF(self._starts[i], 0)).x()
            x1 = tr.map(QPointF(self._ends[i], 0)).x()
            if i == self.current:
                p.fillRect(QRectF(x0, y_top, x1 - x0, y_bot - y_top), QColor(255, 196, 0, 110))
            p.setPen(tick_pen)
            p.drawLine(QPointF(x0, y_top), QPointF(x0, y_bot))
            p.drawLine(QPointF(x1, y_top + (y_bot - y_top) * 0.5), QPointF(x1, y_bot))
            text, source = self._text_of(i)
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(x1 - x0) - 4)
            if text:
                p.setPen(QColor(self.SOURCE_COLORS.get(source, "#3c4a5c")))
                p.drawText(QRectF(x0 + 2, y_top, x1 - x0 - 2, y_bot - y_top), Qt.AlignmentFlag.AlignVCenter, text)
        if self.drag_preview is not None:
            x = tr.map(QPointF(self.drag_preview, 0)).x()
            p.setPen(QPen(QColor("#2e7d32"), 2))
            p.drawLine(QPointF(x, tr.map(QPointF(0, 1.0)).y()), QPointF(x, y_bot))
        p.restore()


class TimeAxis(pg.AxisItem):
    """An x axis labelled m:ss (h:mm:ss past an hour)."""

    def tickStrings(self, values, scale, spacing):
        return [format_position(int(round(v * 1000)), tenths=spacing < 1) for v in values]


class WaveformViewBox(pg.ViewBox):
    """x-only zoom and pan; clicks seek; drags near a word boundary move it."""

    def __init__(self, owner: Any) -> None:
        super().__init__(enableMenu=False)
        self._owner = owner
        self._drag: tuple[int, ...] | None = None
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner._on_view_clicked(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        marks = getattr(self._owner, "marks", None)
        if self._drag is None and marks is not None and marks.handle_drag(ev, self):
            return None  # Shift+drag: a time selection
        if ev.isStart():
            self._drag = self._owner.boundary_near(self.mapSceneToView(ev.buttonDownScenePos()).x())
        if self._drag is None:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        x = self.mapSceneToView(ev.scenePos()).x()
        if ev.isFinish():
            drag, self._drag = self._drag, None
            self._owner.move_boundary(drag, int(round(x * 1000)))
        else:
            self._owner._preview_boundary(x)

    def hoverEvent(self, ev) -> None:
        if ev.isExit():
            return
        near = self._owner.boundary_near(self.mapSceneToView(ev.scenePos()).x())
        self._owner.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)


def speaker_turns(doc: Any) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The document's segments merged into speaker turns: (starts_s, ends_s, names, colours)."""
    starts: list[float] = []
    ends: list[float] = []
    names: list[str] = []
    colors: list[str] = []
    last: str | None = None
    if doc is not None:
        words = doc.words
        for seg in doc.segments():
            if seg.speaker is None:
                last = None
                continue
            s, e = words[seg.start].start_ms / 1000, words[seg.end - 1].end_ms / 1000
            if seg.speaker == last:  # a paragraph break inside one speaker's turn
                ends[-1] = max(ends[-1], e)
                continue
            spk = doc.speaker(seg.speaker)
            starts.append(s)
            ends.append(e)
            names.append(spk.name if spk else seg.speaker)
            colors.append(spk.color if spk else "#7f7f7f")
            last = seg.speaker
    return np.array(starts), np.array(ends), names, colors
