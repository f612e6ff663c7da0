"""Downloading (or copying) a speech model off the GUI thread, with progress and cancel.

`ModelDownload(store)` owns one QThread. `start(key, source=None)` runs `ModelStore.download` there;
answers arrive on the GUI thread as signals: `progress(DownloadProgress)` (throttled to one per
`interval_s`, plus the last one), then exactly one of `finished(key, folder)`, `cancelled(key)` or
`failed(key, message, offline)`. `cancel()` may be called from any thread; the files already complete stay, and
starting the same model again resumes. The thread runs only while a download does; `shutdown()` cancels
one and waits for the thread (call it before the owner goes away).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.asr.engines.base import CancelToken
from app.asr.models.model_store import DownloadProgress, HubUnreachable, ModelStore
from app.core.errors import Cancelled, VerbatimError

log = logging.getLogger(__name__)


class _DownloadJob(QObject):
    """Lives in the worker thread; runs one download per `run` call."""

    progress = Signal(object)
    finished = Signal(str, str)
    cancelled = Signal(str)
    failed = Signal(str, str, bool)

    def __init__(self, store: ModelStore, interval_s: float) -> None:
        super().__init__()
        self._store = store
        self.interval_s = interval_s  # seconds between progress signals
        self._last = 0.0

    @Slot(str, object, object)
    def run(self, key: str, source: object, token: object) -> None:
        assert isinstance(token, CancelToken)
        assert source is None or isinstance(source, Path)
        self._last = 0.0
        try:
            folder = self._store.download(key, self._on_progress, token, source=source)
        except Cancelled:
            self.cancelled.emit(key)
        except VerbatimError as exc:
            self.failed.emit(key, str(exc), isinstance(exc, HubUnreachable))
        except Exception as exc:  # a bug: one sentence here, the traceback in the log
            log.exception("downloading %s failed", key)
            self.failed.emit(key, f"The download stopped unexpectedly ({type(exc).__name__}: {exc}).", False)
        else:
            self.finished.emit(key, str(folder))

    def _on_progress(self, p: DownloadProgress) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval_s or p.done >= p.total:
            self._last = now
            self.progress.emit(p)


class ModelDownload(QObject):
    """One model download at a time in a background thread (see the module docstring)."""

    progress = Signal(object)  # DownloadProgress
    finished = Signal(str, str)  # key, folder
    cancelled = Signal(str)  # key
    failed = Signal(str, str, bool)  # key, one sentence, whether the Hub could not be reached
    running_changed = Signal(bool)
    _submit = Signal(str, object, object)

    def __init__(self, store: ModelStore, parent: QObject | None = None, interval_s: float = 0.1) -> None:
        super().__init__(parent)
        self.store = store
        # The object that runs in the worker thread; its `progress` signal is emitted there.
        self.job = _DownloadJob(store, interval_s)
        self._thread = QThread()
        self._thread.setObjectName("model-download")
        self.job.moveToThread(self._thread)
        self._submit.connect(self.job.run)
        self.job.progress.connect(self.progress)
        self.job.finished.connect(self._on_job_finished)
        self.job.cancelled.connect(self._on_job_cancelled)
        self.job.failed.connect(self._on_job_failed)
        self._token: CancelToken | None = None
        self.key: str | None = None

    @property
    def running(self) -> bool:
        return self._token is not None

    def start(self, key: str, source: Path | None = None) -> bool:
        """Start downloading `key` (from the Hub, or copying from `source`); False if one is running."""
        if self.running:
            return False
        if not self._thread.isRunning():
            self._thread.start()
        self._token = CancelToken()
        self.key = key
        self.running_changed.emit(True)
        self._submit.emit(key, source, self._token)
        return True

    def cancel(self) -> None:
        """Ask the running download to stop (it answers with `cancelled`)."""
        if self._token is not None:
            self._token.cancel()

    def _done(self) -> None:
        # The thread runs only while a download does: an idle dialog can be destroyed at any time.
        self._thread.quit()
        self._thread.wait()
        self._token = None
        self.running_changed.emit(False)

    def _on_job_finished(self, key: str, folder: str) -> None:
        self._done()
        self.finished.emit(key, folder)

    def _on_job_cancelled(self, key: str) -> None:
        self._done()
        self.cancelled.emit(key)

    def _on_job_failed(self, key: str, message: str, offline: bool) -> None:
        self._done()
        self.failed.emit(key, message, offline)

    def shutdown(self) -> None:
        """Cancel a running download and stop the thread (returns once it has stopped)."""
        self.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
