"""Cycles are collected from the event loop (app.ui.safe_gc), not by a collection that starts inside a Qt call."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtWidgets import QWidget

from app.ui.safe_gc import SafeCollector, collect_due


class _Node:
    def __init__(self) -> None:
        self.other: object = self  # a cycle: reference counting alone never frees it
        self.widget = QWidget()  # what the freeze needs: a Qt object inside the cycle


def test_the_event_loop_collects_a_cycle_holding_a_widget(qtbot) -> None:
    gc.enable()  # as a fresh application starts
    collector = SafeCollector(interval_ms=20)
    try:
        assert not gc.isenabled()  # no collection can start inside a Qt call any more
        node = _Node()
        gone = weakref.ref(node)
        del node
        allocated: list[list[int]] = []
        while gc.get_count()[0] <= gc.get_threshold()[0]:  # allocate until a collection is due
            allocated.append([])
        assert gone() is not None  # nothing collected it while no event loop ran
        qtbot.waitUntil(lambda: gone() is None, timeout=5000)
        del allocated
    finally:
        collector.stop()
    assert gc.isenabled()  # given back as it was
    gc.disable()  # the test session's own setting (tests/conftest.py)


def test_nothing_is_collected_before_python_would_collect(qtbot) -> None:
    gc.collect()
    node = _Node()
    gone = weakref.ref(node)
    del node
    assert gc.get_count()[0] <= gc.get_threshold()[0]
    assert collect_due() == 0 and gone() is not None
    gc.collect()
    assert gone() is None
