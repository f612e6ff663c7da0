"""Quote marks on the waveform: the time selection (Shift+drag) and the highlights as coloured bands.

Shift+drag selects a stretch of time; it snaps to word boundaries (from the start of the word the drag
starts in to the end of the word it ends in) unless Alt is held. A finished
drag emits `selection_changed(start_ms, end_ms)`; the transcript then selects the same words.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter

from app.core.document import Transcript
from app.core.highlights import live_highlights

SELECTION_BRUSH = QColor(66, 133, 244, 60)
SELECTION_PEN = QColor(66, 133, 244, 200)


def _press_modifiers(vb: Any) -> Qt.KeyboardModifier:
    """The keys held when the mouse button went down (pyqtgraph keeps the press until the release)."""
    scene = vb.scene()
    presses = getattr(scene, "clickEvents", None) or []
    return presses[0].modifiers() if presses else Qt.KeyboardModifier.NoModifier


class HighlightBandsItem(pg.GraphicsObject):
    """Each highlight as a translucent band in its label's colour with a solid strip along the top."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._bands: list[tuple[float, float, QColor]] = []
        self._extent = 1.0

    def set_bands(self, bands: Sequence[tuple[float, float, str]]) -> None:
        """(start_s, end_s, colour) per highlight."""
        self.prepareGeometryChange()
        self._bands = [(a, b, QColor(c)) for a, b, c in bands]
        self._extent = max((b for _, b, _ in self._bands), default=1.0)
        self.update()

    @property
    def bands(self) -> list[tuple[float, float, str]]:
        return [(a, b, c.name()) for a, b, c in self._bands]

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, -1.0, max(self._extent, 1e-3), 2.05)

    def paint(self, p: QPainter, *_args: object) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        for a, b, color in self._bands:
            fill = QColor(color)
            fill.setAlpha(45)
            p.fillRect(QRectF(a, -1.0, b - a, 2.0), fill)
            p.fillRect(QRectF(a, 0.96, b - a, 0.09), color)


class WaveformMarks(QObject):
    """Owns the selection region and the highlight bands of one WaveformView."""

    selection_changed = Signal(int, int)  # ms; emitted when the person finishes a Shift+drag

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self._view = view
        self._doc: Transcript | None = None
        self.bands = HighlightBandsItem()
        self.bands.setZValue(0.5)
        self.region = pg.LinearRegionItem(values=(0, 0), movable=False, brush=SELECTION_BRUSH,
                                          pen=pg.mkPen(SELECTION_PEN))
        self.region.setZValue(5)
        self.region.hide()
        view.getPlotItem().getViewBox().addItem(self.bands)
        view.getPlotItem().getViewBox().addItem(self.region)
        self._selection: tuple[int, int] | None = None
        self._drag_from: float | None = None
        self._drag_mods = Qt.KeyboardModifier.NoModifier

    # -- the selection ------------------------------------------------------------------------------

    @property
    def selection_ms(self) -> tuple[int, int] | None:
        """The selected time span (None: nothing selected)."""
        return self._selection

    def set_selection(self, start_ms: int | None, end_ms: int | None = None) -> None:
        """Show a selection (None: clear it) without emitting `selection_changed`."""
        if start_ms is None or end_ms is None or end_ms <= start_ms:
            self._selection = None
            self.region.hide()
            return
        self._selection = (int(start_ms), int(end_ms))
        self.region.setRegion((start_ms / 1000, end_ms / 1000))
        self.region.show()

    def snap(self, a_ms: int, b_ms: int) -> tuple[int, int]:
        """The span widened to whole words: from the start of the word it starts in (or the next one) to
        the end of the word it ends in (or the one before); unchanged when it touches no word."""
        lo, hi = min(a_ms, b_ms), max(a_ms, b_ms)
        if self._doc is None or not len(self._doc):
            return lo, hi
        words = self._doc.words
        i = bisect.bisect_right([w.end_ms for w in words], lo)  # first word ending after lo
        j = bisect.bisect_left([w.start_ms for w in words], hi)  # words [i, j) start before hi
        if j <= i:
            return lo, hi
        return words[i].start_ms, max(w.end_ms for w in words[i:j])

    def handle_drag(self, ev: Any, vb: Any) -> bool:
        """A Shift+drag (Alt: no snapping) selects time; True when this drag was ours."""
        if ev.isStart():
            mods = ev.modifiers() | _press_modifiers(vb)
            if not mods & Qt.KeyboardModifier.ShiftModifier:
                return False
            self._drag_from = vb.mapSceneToView(ev.buttonDownScenePos()).x()
            self._drag_mods = mods
        if self._drag_from is None:
            return False
        ev.accept()
        x = vb.mapSceneToView(ev.scenePos()).x()
        a, b = int(round(max(0.0, self._drag_from) * 1000)), int(round(max(0.0, x) * 1000))
        if not (ev.modifiers() | self._drag_mods) & Qt.KeyboardModifier.AltModifier:
            a, b = self.snap(a, b)
        self.set_selection(min(a, b), max(a, b))
        if ev.isFinish():
            self._drag_from = None
            if self._selection is not None:
                self.selection_changed.emit(*self._selection)
        return True

    # -- highlights ---------------------------------------------------------------------------------

    def set_document(self, doc: Transcript | None) -> None:
        self._doc = doc
        self.set_selection(None)
        self.refresh()

    def refresh(self) -> None:
        """Redraw the highlight bands from the document."""
        doc = self._doc
        if doc is None:
            self.bands.set_bands([])
            return
        words = doc.words
        hs = doc.highlights
        self.bands.set_bands([(words[i].start_ms / 1000, max(w.end_ms for w in words[i:j]) / 1000,
                               hs.label_color(h.label)) for h, i, j in live_highlights(doc)])
