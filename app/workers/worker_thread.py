"""One long-lived worker object in its own QThread: the pattern every model-running job here follows.

A `BackgroundWorker` keeps what is slow to make (a loaded model) between jobs and reuses it while the
job asks for the same thing; it runs one job at a time in its thread, checks a cancel flag that any
thread may set, and ends each job with exactly one of `finished(cancelled)` / `failed(sentence)`.
Its `WorkerThread` starts the thread on first use, refuses a second job while one runs, gives each job
a fresh cancel flag before queueing it (so a cancel pressed before the job starts still counts), and
stops the thread cleanly on shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.asr.engines.base import CancelToken
from app.core.errors import VerbatimError

T = TypeVar("T")


class BackgroundWorker(QObject):
    """Base of the workers: the cancel flag, the kept resource, and the job entry point."""

    status = Signal(str)  # a short line for the status bar ("Loading model 2b...")
    finished = Signal(bool)  # cancelled
    failed = Signal(str)  # one sentence

    def __init__(self) -> None:
        super().__init__()
        self._token = CancelToken()
        self._resource: Any = None
        self._resource_key: Hashable = None

    @property
    def token(self) -> CancelToken:
        """The current job's cancel flag."""
        return self._token

    def cancel(self) -> None:
        """Ask the current job to stop at its next check (any thread)."""
        self._token.cancel()

    def new_request(self) -> None:
        """A fresh cancel flag for the next job (called before the job is queued)."""
        self._token = CancelToken()

    def kept(self, key: Hashable, make: Callable[[], T], loading_message: str) -> T:
        """The resource made for `key` by an earlier job, or a new one (the old one is freed first)."""
        if self._resource is None or self._resource_key != key:
            self._resource = None
            self.status.emit(loading_message)
            self._resource = make()
            self._resource_key = key
        return self._resource

    @Slot(object)
    def run_job(self, args: tuple) -> None:
        self.run(*args)

    def run(self, *args: Any) -> None:
        raise NotImplementedError


W = TypeVar("W", bound=BackgroundWorker)


class WorkerThread(QObject, Generic[W]):
    """Owns a worker's QThread: start once, submit jobs, cancel, shut down cleanly.

    Generic in the worker's class, so that `thread.worker` has that class's signals."""

    _submit = Signal(object)

    def __init__(self, worker: W, name: str, busy_sentence: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._busy_sentence = busy_sentence
        self._thread = QThread()
        self._thread.setObjectName(name)
        worker.moveToThread(self._thread)
        self._submit.connect(worker.run_job)
        worker.finished.connect(self._on_worker_done)
        worker.failed.connect(self._on_worker_done)
        self._busy = False

    @property
    def busy(self) -> bool:
        """True while a job is in progress."""
        return self._busy

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread.isRunning()

    def submit(self, *args: Any) -> None:
        """Queue `worker.run(*args)` on the worker thread (the thread starts on first use)."""
        if self._busy:
            raise VerbatimError(self._busy_sentence)
        if not self._thread.isRunning():
            self._thread.start()
        self._busy = True
        self.worker.new_request()
        self._submit.emit(args)

    def cancel(self) -> None:
        self.worker.cancel()

    def _on_worker_done(self, *_args: object) -> None:
        self._busy = False

    def shutdown(self) -> None:
        """Cancel any job and stop the thread. Waits for the step in progress (one batch) to end:
        a QThread destroyed while it runs would take the whole app down, and Python threads cannot
        be killed."""
        self.worker.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
