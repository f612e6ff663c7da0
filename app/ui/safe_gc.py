"""Python's cycle collector, run only from the event loop, never in the middle of a Qt call.

Python starts a cyclic collection whenever enough objects have been allocated, wherever that happens. With
PySide6 that can be inside Qt code holding a lock: a collection that starts while Qt disconnects a signal
(pyqtgraph does this when an item joins a view) and finds an unreachable cycle holding a widget destroys the
widget there, and its destructor waits for the lock the disconnect holds: the window freezes for good. It was
seen in the test suite: a window from an earlier test, left in a reference cycle, collected inside
`ViewBox.addItem` of the next window.

`SafeCollector` switches automatic collection off and collects from a timer on the GUI thread instead, where
no Qt call is on the stack: the youngest generation when it has grown past its threshold, the older ones on
the same schedule Python would use. `collect_due(always=True)` does it at a chosen point (tests call it after each
test). Objects without cycles are freed at once by reference counting, as always.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


def collect_now() -> int:
    """A full collection at a point where no Qt call is running; the number of unreachable objects found."""
    return gc.collect()


def collect_due(always: bool = False) -> int:
    """Collect the generations that Python's own thresholds say are due (what automatic collection would do);
    with `always`, the youngest generation at least (cheap: a full collection costs about 0.2 s once torch and
    Qt are loaded, the youngest a few ms)."""
    young, middle, old = gc.get_count()
    first, second, third = gc.get_threshold()
    if young <= first and not always:
        return 0
    generation = 2 if middle > second and old > third else 1 if middle > second else 0
    return gc.collect(generation)


class SafeCollector(QObject):
    """Turns automatic collection off while it lives and collects from the event loop every half second."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        collect_due()

    def stop(self) -> None:
        """Stop the timer, collect once, and give collection back to Python as it was."""
        self._timer.stop()
        collect_now()
        if self._was_enabled:
            gc.enable()
