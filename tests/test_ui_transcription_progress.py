"""The transcription progress strip: pieces done/total, and a bar that moves while a batch runs.

The estimate is driven with explicit times (no sleeping, no timed assertions): after the first batch
the speed is what that batch took, later the speed measured since the first batch ended; the bar never
passes 95 % of the batch being decoded before the worker reports it done.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from app.ui.transcription_controller import TranscriptionController


@pytest.fixture
def controller(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    c = TranscriptionController(parent)
    c.running = True  # as after start(), without a worker thread
    yield c
    c._finish()
    assert not c._timer.isActive()


def test_the_strip_shows_pieces_done_of_total(controller) -> None:
    controller._on_worker_progress(30.0, 300.0, 1, 10)
    assert "pieces 1/10" in controller.widget.label.text()
    assert controller.widget.bar.value() == 100


def test_the_bar_moves_within_a_batch_at_the_measured_speed(controller) -> None:
    controller._on_worker_progress(30.0, 300.0, 1, 10)
    controller._on_worker_running(60.0)  # the next batch holds two 30 s pieces
    t = controller._last_update
    controller._started = t - 10.0  # the first batch took 10 s: 3 audio seconds per second
    assert controller.estimated_done_s(t) == pytest.approx(30.0)
    assert controller.estimated_done_s(t + 5.0) == pytest.approx(45.0)
    assert controller.estimated_done_s(t + 1000.0) == pytest.approx(30.0 + 0.95 * 60.0)  # never the whole batch
    # the second report measures the speed from the end of the first batch: 60 s of audio in 30 s
    controller._first_done = t
    controller._done_s, controller._last_update = 90.0, t + 30.0
    assert controller.speed() == pytest.approx(2.0)
    assert controller.estimated_done_s(t + 40.0) == pytest.approx(90.0 + 20.0)
    controller._on_timer_timeout()
    assert controller.widget.bar.value() >= 300


def test_before_any_batch_ends_the_bar_waits(controller) -> None:
    controller._on_worker_progress(0.0, 300.0, 0, 0)
    controller._on_worker_running(30.0)
    assert controller.speed() is None
    assert controller.estimated_done_s(controller._last_update + 50.0) == 0.0
