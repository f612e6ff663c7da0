"""The re-align worker: re-times edited (INTERPOLATED) words with a CTC aligner in its own QThread.

`AlignThread` (used by the window) starts the thread once and hands requests to the worker through a
queued signal. The worker loads the aligner once and keeps it for the next request with the same
model and device. For each run of interpolated words in the requested word range it emits the
retimed words (`run_aligned`) or why that run could not be aligned (`run_failed`), then progress;
it ends with exactly one of `finished(cancelled)` / `failed(sentence)`. `cancel()` may be called
from any thread and is checked between runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.asr.engine import CancelToken
from app.asr.realign import Aligner, AlignerFactory, retime_run, runs_touching
from app.core.document import Word
from app.core.errors import ModelError, VerbatimError

log = logging.getLogger(__name__)

AlignerLoader = Callable[[str, "str | None"], Aligner]
"""(model, device) -> Aligner; `AlignerFactory()` is the default."""


@dataclass(frozen=True)
class RealignRequest:
    """Re-time the interpolated runs touching words [first, last) (last None: to the end) with `model`."""

    model: str = "nar"
    first: int = 0
    last: int | None = None
    device: str | None = None


class AlignWorker(QObject):
    """Aligns runs of words; lives in a worker thread. Signals carry plain Python objects."""

    status = Signal(str)  # a short line for the status bar ("Loading aligner nar...")
    progress = Signal(int, int)  # runs done, runs total
    run_aligned = Signal(int, int, object)  # start, end, the new words for [start, end) (list[Word])
    run_failed = Signal(int, int, str)  # start, end, why (one sentence)
    finished = Signal(bool)  # cancelled
    failed = Signal(str)  # one sentence (the aligner could not be loaded, or a bug)

    def __init__(self, loader: AlignerLoader | None = None) -> None:
        super().__init__()
        self._loader: AlignerLoader = loader or AlignerFactory()
        self._aligner: Aligner | None = None
        self._key: tuple[str, str | None] | None = None
        self._token = CancelToken()

    def cancel(self) -> None:
        """Stop after the run in progress (any thread)."""
        self._token.cancel()

    def new_request(self) -> None:
        """A fresh cancel flag for the next request (called before it is queued, so an early cancel holds)."""
        self._token = CancelToken()

    def _aligner_for(self, request: RealignRequest) -> Aligner:
        key = (request.model, request.device)
        if self._aligner is None or self._key != key:
            self._aligner = None  # free the old model before loading the next
            self.status.emit(f"Loading aligner {request.model}...")
            self._aligner = self._loader(request.model, request.device)
            self._key = key
        return self._aligner

    @Slot(object, object, object)
    def run(self, words: Sequence[Word], audio: np.ndarray, request: RealignRequest) -> None:
        """Re-time the interpolated runs of `words` touching the request's range against `audio` (16 kHz)."""
        token = self._token
        words = list(words)
        runs = runs_touching(words, request.first, request.last)
        try:
            align = self._aligner_for(request) if runs else None
            self.status.emit("Re-aligning edited words...")
            self.progress.emit(0, len(runs))
            for done, (i, j) in enumerate(runs):
                if token.cancelled:
                    break
                assert align is not None
                try:
                    new = retime_run(words, i, j, audio, align)
                except ModelError as exc:
                    self.run_failed.emit(i, j, str(exc))
                else:
                    self.run_aligned.emit(i, j, new)
                self.progress.emit(done + 1, len(runs))
        except VerbatimError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit("The computer ran out of memory while loading the aligner.")
        except Exception as exc:  # a bug: one sentence for the user, the traceback in the log
            log.exception("re-alignment failed")
            self.failed.emit(f"Re-alignment failed unexpectedly ({type(exc).__name__}: {exc}).")
        else:
            self.finished.emit(token.cancelled)


class AlignThread(QObject):
    """Owns the align worker's QThread: start once, submit requests, cancel, shut down cleanly."""

    _submit = Signal(object, object, object)

    def __init__(self, loader: AlignerLoader | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = AlignWorker(loader)
        self._thread = QThread()
        self._thread.setObjectName("realign")
        self.worker.moveToThread(self._thread)
        self._submit.connect(self.worker.run)
        self.worker.finished.connect(self._on_worker_done)
        self.worker.failed.connect(self._on_worker_done)
        self._busy = False

    @property
    def busy(self) -> bool:
        """True while a request is in progress."""
        return self._busy

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        return self._thread.isRunning()

    def start(self, words: Sequence[Word], audio: np.ndarray, request: RealignRequest) -> None:
        """Queue a request on the worker thread (the thread starts on first use)."""
        if self._busy:
            raise VerbatimError("A re-alignment is already running; cancel it first.")
        if not self._thread.isRunning():
            self._thread.start()
        self._busy = True
        self.worker.new_request()
        self._submit.emit(list(words), audio, request)

    def cancel(self) -> None:
        self.worker.cancel()

    def _on_worker_done(self, *_args: object) -> None:
        self._busy = False

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel any request and stop the thread (waits for the run in progress to end)."""
        self.worker.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait(timeout_ms)
