"""The journal timer: a debounce with a maximum wait, so continuous typing is journaled while it goes on."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app.ui.journal_timer import JournalTimer


def test_continuous_changes_are_journaled_while_they_go_on(qtbot) -> None:
    fired: list[int] = []
    changes = 0
    timer = JournalTimer(lambda: fired.append(changes), quiet_ms=10_000, max_wait_ms=150)
    typing = QTimer()

    def type_one() -> None:
        nonlocal changes
        changes += 1
        timer.changed()  # a plain debounce would restart here and never fire

    typing.timeout.connect(type_one)
    typing.start(10)
    # two writes, and typing still going on after the second: the writes came while the typing went on
    qtbot.waitUntil(lambda: len(fired) >= 2 and changes > fired[1], timeout=10_000)
    typing.stop()
    timer.stop()
    assert 0 < fired[0] < fired[1] < changes  # each write held what was typed so far, and typing went on


def test_a_pause_writes_once_and_stop_forgets_pending_changes(qtbot) -> None:
    fired: list[str] = []
    timer = JournalTimer(lambda: fired.append("write"), quiet_ms=20, max_wait_ms=10_000)
    timer.changed()
    assert timer.isActive()
    qtbot.waitUntil(lambda: fired == ["write"], timeout=5_000)
    assert not timer.isActive()
    timer.changed()
    timer.stop()  # saved meanwhile: nothing left to journal
    qtbot.wait(60)
    assert fired == ["write"] and not timer.isActive()
