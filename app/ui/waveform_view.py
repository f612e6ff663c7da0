"""The waveform: the recording's envelope, speaker turns, word boundaries and the playhead.

The envelope comes from the peak pyramid for the visible range only (re-queried whenever the range
changes), so a two-hour file costs the same as a minute. The wheel zooms in time only; dragging pans;
a click asks to seek there; dragging a word boundary (zoomed in) re-times the word through the undo
stack with SetWordTimes, so it is undoable and marks the timing as manual.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent

from app.core.document import Change, Transcript
from app.core.errors import VerbatimError
from app.core.timecode import format_position
from app.ui.waveform_items import LANE_BOTTOM, SpeakerTurnsItem, TimeAxis, WaveformViewBox, WordLaneItem, speaker_turns
from app.ui.waveform_marks import WaveformMarks

GRAB_PX = 5  # how close (pixels) the mouse must be to grab a word boundary
MIN_WORD_MS = 10


class WaveformView(pg.PlotWidget):
    """The waveform panel. Emits `seek_requested(ms)` on a click."""

    seek_requested = Signal(int)
    message = Signal(str)  # an edit that was refused, in one sentence

    def __init__(self, parent: Any = None) -> None:
        self._vb = WaveformViewBox(self)
        super().__init__(parent, viewBox=self._vb, axisItems={"bottom": TimeAxis("bottom")})
        self.setBackground("#fbfcfd")
        self.setMinimumHeight(150)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        pi = self.getPlotItem()
        pi.hideAxis("left")
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.getAxis("bottom").setPen(pg.mkPen("#9aa5b1"))
        pi.getAxis("bottom").setTextPen(pg.mkPen("#52606d"))
        self._vb.setYRange(LANE_BOTTOM - 0.02, 1.05, padding=0)
        self._turns = SpeakerTurnsItem()
        self._lane = WordLaneItem(self._word_label)
        self._env = pg.PlotDataItem(pen=pg.mkPen(QColor("#4a6fa5"), width=1), connect="pairs", antialias=False)
        self._playhead = pg.InfiniteLine(0, angle=90, movable=False, pen=pg.mkPen("#e53935", width=2))
        for z, item in enumerate((self._turns, self._env, self._lane, self._playhead)):
            item.setZValue(z)
            self._vb.addItem(item)
        self._peaks: Any = None
        self._scale = 1.0
        self._duration_ms = 0
        self._doc: Transcript | None = None
        self._undo: Any = None
        self.boundaries_editable = True  # False while a background job writes the document
        self._starts = np.zeros(0, dtype=np.int64)
        self._ends = np.zeros(0, dtype=np.int64)
        self._turns_dirty = False
        self._playhead_ms = 0
        self._vb.sigXRangeChanged.connect(self._on_range_changed)
        self.marks = WaveformMarks(self)  # the time selection (Shift+drag) and the highlight bands

    # -- content ------------------------------------------------------------------------------

    def set_audio(self, peaks: Any, duration_ms: int) -> None:
        """Show a recording: `peaks` is a PeakPyramid (or None for none) and the length in ms."""
        self._peaks = peaks
        self._duration_ms = int(duration_ms)
        self._scale = 1.0
        if peaks is not None and duration_ms > 0:
            _, mins, maxs = peaks.envelope(0.0, duration_ms / 1000, 2000)
            top = float(max(np.abs(mins).max(initial=0), np.abs(maxs).max(initial=0)))
            self._scale = 0.95 / top if top > 1e-4 else 1.0
        self._apply_limits()
        self.fit()
        # fit() redraws only when the range changes; a project opened before its audio loaded already
        # shows this range, so the envelope is drawn here in any case
        self._redraw_envelope()

    def set_document(self, doc: Transcript | None, undo_stack: Any = None) -> None:
        """Follow a transcript (turns, word boundaries) and push boundary edits to `undo_stack`."""
        if self._doc is not None:
            self._doc.unsubscribe(self._on_doc_changed)
        self._doc, self._undo = doc, undo_stack
        if doc is not None:
            doc.subscribe(self._on_doc_changed)
        self._reload_words()
        self._refresh_turns()
        self._apply_limits()

    def _apply_limits(self) -> None:
        extent_s = max(self._duration_ms, self._doc.duration_ms if self._doc else 0, 1000) / 1000
        self._vb.setLimits(xMin=0.0, xMax=extent_s, minXRange=0.25, maxXRange=extent_s)

    def _word_label(self, i: int) -> tuple[str, str]:
        w = self._doc.words[i] if self._doc is not None else None
        return (w.text, w.source.value) if w is not None else ("", "")

    def _reload_words(self) -> None:
        words = self._doc.words if self._doc is not None else ()
        self._starts = np.fromiter((w.start_ms for w in words), np.int64, len(words))
        self._ends = np.fromiter((w.end_ms for w in words), np.int64, len(words))
        self._lane.set_times(self._starts / 1000.0, self._ends / 1000.0)

    def _on_doc_changed(self, change: Change) -> None:
        if change.touches_words and self._doc is not None:
            s, r, n = change.start, change.removed, change.inserted
            new = self._doc.words[s : s + n]
            starts = [w.start_ms for w in new]
            self._starts = np.concatenate([self._starts[:s], starts, self._starts[s + r :]]).astype(np.int64)
            self._ends = np.concatenate([self._ends[:s], [w.end_ms for w in new], self._ends[s + r :]]).astype(np.int64)
            self._lane.set_times(self._starts / 1000.0, self._ends / 1000.0)
            if n > 0 and self._doc.words[s + n - 1].end_ms > self._duration_ms:
                self._apply_limits()
        self._turns_dirty = True
        self._turns.update()
        self._refresh_turns_if_dirty()

    def _refresh_turns_if_dirty(self) -> None:
        if self._turns_dirty:
            self._refresh_turns()

    def _refresh_turns(self) -> None:
        self._turns_dirty = False
        self._turns.set_turns(*speaker_turns(self._doc))

    # -- what the tests and the window read --------------------------------------------------------

    def speaker_name_at(self, ms: int) -> str:
        """The speaker name the waveform shows (label and tooltip) at `ms`."""
        self._refresh_turns_if_dirty()
        return self._turns.name_at(ms / 1000)

    @property
    def turn_names(self) -> list[str]:
        self._refresh_turns_if_dirty()
        return self._turns.names

    @property
    def word_ticks_visible(self) -> bool:
        return self._lane.ticks_visible()

    @property
    def playhead_ms(self) -> int:
        return self._playhead_ms

    def visible_range_ms(self) -> tuple[int, int]:
        (x0, x1), _ = self._vb.viewRange()
        return int(round(x0 * 1000)), int(round(x1 * 1000))

    def envelope_points(self) -> int:
        """How many (min, max) pairs are drawn now (the envelope never holds raw samples)."""
        x, _ = self._env.getData()
        return 0 if x is None else len(x) // 2

    # -- navigation -------------------------------------------------------------------------------

    def show_range(self, start_ms: int, end_ms: int) -> None:
        self._vb.setXRange(start_ms / 1000, max(end_ms, start_ms + 250) / 1000, padding=0)

    def fit(self) -> None:
        """Show the whole recording."""
        extent = max(self._duration_ms, self._doc.duration_ms if self._doc else 0, 1000)
        self.show_range(0, extent)

    def zoom(self, factor: float) -> None:
        """Zoom in (factor < 1) or out around the playhead if it is in view, else the centre."""
        x0, x1 = self.visible_range_ms()
        centre = self._playhead_ms if x0 <= self._playhead_ms <= x1 else (x0 + x1) // 2
        span = (x1 - x0) * factor
        frac = (centre - x0) / max(x1 - x0, 1)
        start = centre - span * frac
        self.show_range(int(start), int(start + span))

    def scroll(self, fraction: float) -> None:
        """Move the view by a fraction of its width (negative: back)."""
        x0, x1 = self.visible_range_ms()
        d = int((x1 - x0) * fraction)
        self.show_range(x0 + d, x1 + d)

    def set_playhead(self, ms: int, follow: bool = False) -> None:
        """Move the playhead; with `follow`, page the view so the playhead stays visible."""
        self._playhead_ms = int(ms)
        self._playhead.setValue(ms / 1000)
        if follow:
            x0, x1 = self.visible_range_ms()
            if not (x0 <= ms <= x0 + (x1 - x0) * 0.95):
                span = x1 - x0
                start = max(0, int(ms - span * 0.1))
                self.show_range(start, start + span)

    def set_current_word(self, index: int) -> None:
        """Highlight a word in the lane (-1: none)."""
        if index != self._lane.current:
            self._lane.current = index
            self._lane.update()

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        key = ev.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(0.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom(2.0)
        elif key == Qt.Key.Key_Left:
            self.scroll(-0.25)
        elif key == Qt.Key.Key_Right:
            self.scroll(0.25)
        elif key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(ev)

    # -- drawing ----------------------------------------------------------------------------------

    def _on_range_changed(self, *_args: object) -> None:
        self._redraw_envelope()

    def _redraw_envelope(self) -> None:
        if self._peaks is None or self._duration_ms <= 0:
            self._env.setData([], [])
            return
        (x0, x1), _ = self._vb.viewRange()
        x0, x1 = max(0.0, x0), min(self._duration_ms / 1000, x1)
        if x1 <= x0:
            self._env.setData([], [])
            return
        width = max(100, int(self._vb.width() or 1000))
        times, mins, maxs = self._peaks.envelope(x0, x1, width)
        n = len(times)
        xs = np.repeat(np.asarray(times, dtype=float), 2)
        ys = np.empty(2 * n)
        ys[0::2] = np.asarray(mins, dtype=float) * self._scale
        ys[1::2] = np.asarray(maxs, dtype=float) * self._scale
        self._env.setData(xs, ys)

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        if hasattr(self, "_env"):
            self._redraw_envelope()

    # -- clicking and dragging ------------------------------------------------------------------------

    def _on_view_clicked(self, x_s: float) -> None:
        ms = int(round(max(0.0, x_s) * 1000))
        self.set_playhead(ms)
        self.seek_requested.emit(ms)

    def boundary_near(self, x_s: float) -> tuple[int, ...] | None:
        """The word boundary within a few pixels of `x_s`, as (index, 0=start|1=end[, index2 start])."""
        if not len(self._starts) or not self._lane.ticks_visible():
            return None
        (x0, x1), _ = self._vb.viewRange()
        tol_ms = GRAB_PX * (x1 - x0) * 1000 / max(self._vb.width(), 1)
        ms = x_s * 1000
        best: tuple[float, tuple[int, ...]] | None = None
        i = int(np.searchsorted(self._starts, ms))
        for j in range(max(0, i - 2), min(len(self._starts), i + 2)):
            for which, t in ((0, self._starts[j]), (1, self._ends[j])):
                d = abs(t - ms)
                if d <= tol_ms and (best is None or d < best[0]):
                    best = (d, (j, which))
        if best is None:
            return None
        j, which = best[1]
        if which == 1 and j + 1 < len(self._starts) and abs(self._starts[j + 1] - self._ends[j]) <= 1:
            return (j, 1, j + 1)  # a shared boundary moves both words
        if which == 0 and j > 0 and abs(self._ends[j - 1] - self._starts[j]) <= 1:
            return (j - 1, 1, j)
        return (j, which)

    def _preview_boundary(self, x_s: float) -> None:
        self._lane.drag_preview = x_s
        self._lane.update()

    def move_boundary(self, boundary: tuple[int, ...], ms: int) -> None:
        """Move a boundary from `boundary_near` to `ms` (clamped inside its words) as one undo step."""
        self._lane.drag_preview = None
        self._lane.update()
        if self._doc is None or self._undo is None or not self.boundaries_editable:
            return
        from app.core.edits import SetWordTimes

        words = self._doc.words
        j, which = boundary[0], boundary[1]
        w = words[j]
        if which == 0:  # a start alone: not before the previous word's end
            lo = words[j - 1].end_ms if j > 0 else 0
            ms = min(max(ms, lo), w.end_ms - MIN_WORD_MS)
            commands = [SetWordTimes(j, ms, w.end_ms)]
        else:  # an end, shared with the next word's start or alone (then not past the next word's start)
            if len(boundary) == 3:
                hi = words[boundary[2]].end_ms - MIN_WORD_MS
            else:
                hi = words[j + 1].start_ms if j + 1 < len(words) else max(self._duration_ms, w.end_ms)
            ms = max(min(ms, hi), w.start_ms + MIN_WORD_MS)
            commands = [SetWordTimes(j, w.start_ms, ms)]
            if len(boundary) == 3:
                nxt = words[boundary[2]]
                commands.append(SetWordTimes(boundary[2], ms, nxt.end_ms))
        if ms == (w.start_ms if which == 0 else w.end_ms):
            return  # clamped back to where it was: nothing to undo
        with self._undo.one_step(f"Move word boundary to {format_position(ms)}"):  # none when refused
            try:
                for cmd in commands:
                    self._undo.push_command(cmd)
            except VerbatimError as exc:
                self.message.emit(str(exc))
