"""The waveform view: envelope of the visible range only, zoom, ticks, turns, click to seek, boundary drags."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app.audio.peaks import PeakPyramid
from app.core.document import Speaker, TimingSource, Transcript, Word
from app.ui.undo import DocumentUndoStack
from app.ui.waveform_view import WaveformView

RATE = 16_000
SECONDS = 120


@pytest.fixture
def view(qtbot):
    rng = np.random.default_rng(3)
    t = np.arange(RATE * SECONDS) / RATE
    samples = (0.4 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)
               + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    words = [Word(f"w{i}", i * 500, i * 500 + 400, "S1" if (i // 20) % 2 == 0 else "S2") for i in range(SECONDS * 2)]
    doc = Transcript.from_words(words, [Speaker("S1", "Ana", "#1f77b4"), Speaker("S2", "Ben", "#d62728")])
    stack = DocumentUndoStack(doc)
    v = WaveformView()
    qtbot.addWidget(v)
    v.resize(1000, 240)
    v.show()
    qtbot.waitExposed(v)
    v.set_document(doc, stack)
    v.set_audio(PeakPyramid.from_samples(samples, RATE), SECONDS * 1000)
    v.doc, v.stack = doc, stack
    return v


def _widget_pos(v: WaveformView, t_s: float, y: float = 0.0) -> QPoint:
    scene = v.getPlotItem().getViewBox().mapViewToScene(QPointF(t_s, y))
    return v.mapFromScene(scene)


def test_envelope_covers_only_the_visible_range(view: WaveformView) -> None:
    assert 0 < view.envelope_points() <= 4000  # two minutes = 1.9 million samples, never plotted raw
    view.show_range(40_000, 42_000)
    x, _ = view._env.getData()
    assert x.min() >= 39.9 and x.max() <= 42.1
    assert view.visible_range_ms() == (40_000, 42_000)


def test_ticks_and_labels_only_when_zoomed_in(view: WaveformView) -> None:
    view.fit()
    assert not view.word_ticks_visible
    view.show_range(10_000, 25_000)
    assert view.word_ticks_visible
    view.zoom(4.0)
    assert not view.word_ticks_visible


def test_wheel_zooms_time_only(qtbot, view: WaveformView) -> None:
    view.show_range(30_000, 60_000)
    y_before = view.getPlotItem().getViewBox().viewRange()[1]
    pos = _widget_pos(view, 45.0)
    ev = QWheelEvent(QPointF(pos), QPointF(view.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 240),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)
    x0, x1 = view.visible_range_ms()
    assert x1 - x0 < 30_000 and x0 <= 45_000 <= x1
    assert view.getPlotItem().getViewBox().viewRange()[1] == y_before


def test_keys_zoom_and_scroll(qtbot, view: WaveformView) -> None:
    view.show_range(30_000, 60_000)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.visible_range_ms()[1] - view.visible_range_ms()[0] == 15_000
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.visible_range_ms()[1] - view.visible_range_ms()[0] == 30_000
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert view.visible_range_ms() == (0, SECONDS * 1000)


def test_click_seeks_and_playhead_is_followed(qtbot, view: WaveformView) -> None:
    view.show_range(20_000, 40_000)
    with qtbot.waitSignal(view.seek_requested) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=_widget_pos(view, 31.0, 0.5))
    assert abs(sig.args[0] - 31_000) < 60
    assert view.playhead_ms == sig.args[0]
    view.set_playhead(45_000, follow=True)  # playback ran past the view: it pages along
    x0, x1 = view.visible_range_ms()
    assert x0 < 45_000 < x1 and x1 - x0 == 20_000


def test_speaker_turns_follow_the_document(view: WaveformView) -> None:
    assert view.turn_names[:3] == ["Ana", "Ben", "Ana"]
    assert view.speaker_name_at(12_000) == "Ben"
    from app.core.edits import RenameSpeaker

    view.stack.push_command(RenameSpeaker("S2", "Ben Okafor"))
    assert view.speaker_name_at(12_000) == "Ben Okafor"
    view.stack.undo()
    assert view.speaker_name_at(12_000) == "Ben"


def test_dragging_a_word_boundary_sets_manual_times_undoably(qtbot, view: WaveformView) -> None:
    doc = view.doc
    view.show_range(9_000, 11_000)  # words 18..21: w20 is 10.0-10.4 s, a 100 ms gap to w21 at 10.5 s
    before = list(doc.words)
    start = _widget_pos(view, 10.4, 0.2)
    end = _widget_pos(view, 10.46, 0.2)
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, QPoint(start.x() + (end.x() - start.x()) * k // 5, start.y()))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    w = doc.words[20]
    assert w.start_ms == 10_000 and abs(w.end_ms - 10_460) <= 5
    assert w.source == TimingSource.MANUAL
    assert [x for k, x in enumerate(doc.words) if k != 20] == [x for k, x in enumerate(before) if k != 20]
    assert view.visible_range_ms() == (9_000, 11_000)  # the drag moved the boundary, not the view
    view.stack.undo()
    assert list(doc.words) == before


def test_a_shared_boundary_moves_both_words_in_one_step(view: WaveformView) -> None:
    doc = view.doc
    from app.core.edits import SetWordTimes

    view.stack.push_command(SetWordTimes(31, 15_500, 15_900))
    view.stack.push_command(SetWordTimes(30, 15_000, 15_500))  # w30 ends where w31 starts
    view.show_range(14_500, 16_500)
    hit = view.boundary_near(15.501)
    assert hit == (30, 1, 31)
    depth = view.stack.count()
    view.move_boundary(hit, 15_420)
    assert (doc.words[30].end_ms, doc.words[31].start_ms) == (15_420, 15_420)
    assert view.stack.count() == depth + 1
    view.stack.undo()
    assert (doc.words[30].end_ms, doc.words[31].start_ms) == (15_500, 15_500)


def test_a_boundary_dragged_into_a_neighbour_stops_at_it(qtbot, view: WaveformView) -> None:
    doc = view.doc
    depth = view.stack.count()
    view.move_boundary((21, 0), 10_200)  # w21's start dragged back into w20 (which ends at 10 400)
    assert doc.words[21].start_ms == doc.words[20].end_ms == 10_400
    view.move_boundary((20, 1), 10_800)  # w20's end dragged past w21's start (10 400)
    assert doc.words[20].end_ms == 10_400
    assert view.stack.count() == depth + 1  # the first drag moved; the second had nowhere to go

