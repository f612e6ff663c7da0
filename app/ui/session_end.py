"""When the session ends under the window (SIGTERM, SIGHUP, logout): write the journal first, then go.

Python runs a signal handler only when the interpreter gets control, which it does not while Qt waits
in its event loop. `signal.set_wakeup_fd` makes the C-level handler write a byte to a socket; a
QSocketNotifier on the other end wakes the loop, the Python handler runs, flushes the recovery journal
(so at most the last keystroke is lost) and quits. At logout the session manager may allow a dialog:
then the usual Save / Discard / Cancel is offered as well.
"""

from __future__ import annotations

import signal
import socket
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class SessionEndGuard(QObject):
    """Installs the handlers for the life of the application; `uninstall` restores the old ones."""

    def __init__(self, app: QApplication, window: MainWindow) -> None:
        super().__init__(app)
        self._app = app
        self._window = window
        self.received: int | None = None
        self._old: dict[int, Any] = {}
        self._reader, self._writer = socket.socketpair()
        for s in (self._reader, self._writer):
            s.setblocking(False)
        self._old_wakeup = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)
        for sig in _SIGNALS:
            self._old[sig] = signal.signal(sig, self._on_signal)
        app.commitDataRequest.connect(self._on_app_commit_data_request)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Python runs this between two bytecodes, maybe in the middle of an edit: the journal is written
        # from the event loop instead, at the next safe point (at once: the loop is awake already).
        self.received = signum
        QTimer.singleShot(0, lambda: self._flush_and_exit(signum))

    def _flush_and_exit(self, signum: int) -> None:
        self._window.files.flush_journal()
        self._app.exit(128 + signum)

    def _on_notifier_activated(self, *_args: object) -> None:
        try:
            self._reader.recv(64)  # the handler has run (or runs right after this slot returns)
        except OSError:
            pass

    def _on_app_commit_data_request(self, manager: Any) -> None:
        self._window.files.flush_journal()
        if manager.allowsInteraction() and not self._window.files.maybe_save():
            manager.cancel()
        manager.release()

    def uninstall(self) -> None:
        """Put the previous handlers back (the application is ending)."""
        for sig, old in self._old.items():
            signal.signal(sig, old)
        signal.set_wakeup_fd(self._old_wakeup)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
