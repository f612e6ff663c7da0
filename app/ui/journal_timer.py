"""When the recovery journal is written: a debounce with a maximum wait.

A plain debounce (restart a timer on every keystroke) never fires while someone types without a pause,
so a crash after a minute of typing lost the whole minute. `JournalTimer` fires `quiet_ms` after the
last change, but never later than `max_wait_ms` after the first change not yet journaled: however fast
the person types, a journal is written at least every `max_wait_ms`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

QUIET_MS = 1000  # a pause this long writes the journal at once
MAX_WAIT_MS = 2000  # continuous typing is journaled at least this often


class JournalTimer(QObject):
    """Calls `fire` at most `max_wait_ms` after the first unjournaled change (sooner after a pause)."""

    def __init__(self, fire: Callable[[], None], parent: QObject | None = None,
                 quiet_ms: int = QUIET_MS, max_wait_ms: int = MAX_WAIT_MS) -> None:
        super().__init__(parent)
        self._fire = fire
        self.quiet_ms = quiet_ms
        self.max_wait_ms = max_wait_ms
        self._first_change: float | None = None  # monotonic seconds of the oldest change not yet journaled
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    def changed(self) -> None:
        """A change the journal does not hold yet: (re)arm the timer, never past the maximum wait."""
        now = time.monotonic()
        if self._first_change is None:
            self._first_change = now
        waited_ms = (now - self._first_change) * 1000.0
        left_ms = max(0, int(self.max_wait_ms - waited_ms))
        self._timer.start(min(self.quiet_ms, self.max_wait_ms, left_ms))

    def stop(self) -> None:
        """Forget pending changes (saved, undone to the saved state, or the project closed)."""
        self._timer.stop()
        self._first_change = None

    def isActive(self) -> bool:
        return self._timer.isActive()

    def _on_timer_timeout(self) -> None:
        self._first_change = None
        self._fire()
