"""The re-align worker: re-times edited (INTERPOLATED) words with a CTC aligner in its own QThread.

`AlignThread` (used by the window) starts the thread once and hands requests to the worker through a
queued signal. The worker loads the aligner once and keeps it for the next request with the same
model and device; each request says the transcript's language, in which the aligner spells numbers
for the head ("110" is "cent dix" in French). For each run of interpolated words in the requested
word range it emits the retimed words (`run_aligned`) or why that run could not be aligned
(`run_failed`), then progress; it ends with exactly one of `finished(cancelled)` / `failed(sentence)`.
`cancel()` may be called from any thread and is checked between runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.asr.align.forced import CtcAligner
from app.asr.align.realign import AlignerFactory, retime_run, runs_touching
from app.core.document import Word
from app.core.errors import ModelError, VerbatimError
from app.workers.worker_thread import BackgroundWorker, WorkerThread

log = logging.getLogger(__name__)

AlignerLoader = Callable[[str, "str | None"], CtcAligner]
"""(model, device) -> the loaded aligner; `AlignerFactory()` is the default."""


@dataclass(frozen=True)
class RealignRequest:
    """Re-time the interpolated runs touching words [first, last) (last None: to the end) with `model`;
    `language` is the transcript's (its settings'), None when unknown: numbers are then spelled in English."""

    model: str = "nar"
    first: int = 0
    last: int | None = None
    device: str | None = None
    language: str | None = None


class AlignWorker(BackgroundWorker):
    """Aligns runs of words; lives in a worker thread. Signals carry plain Python objects."""

    progress = Signal(int, int)  # runs done, runs total
    run_aligned = Signal(int, int, object)  # start, end, the new words for [start, end) (list[Word])
    run_failed = Signal(int, int, str)  # start, end, why (one sentence)

    def __init__(self, loader: AlignerLoader | None = None) -> None:
        super().__init__()
        self._loader: AlignerLoader = loader or AlignerFactory()

    def _aligner_for(self, request: RealignRequest) -> CtcAligner:
        """The kept aligner of the request's model and device (loaded once), spelling in its language."""
        loaded = self.kept((request.model, request.device), lambda: self._loader(request.model, request.device),
                           f"Loading aligner {request.model}...")
        return loaded.in_language(request.language)

    def run(self, words: Sequence[Word], audio: np.ndarray, request: RealignRequest) -> None:
        """Re-time the interpolated runs of `words` touching the request's range against `audio` (16 kHz)."""
        token = self.token
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


class AlignThread(WorkerThread[AlignWorker]):
    """The window's handle on the align worker and its thread."""

    def __init__(self, loader: AlignerLoader | None = None, parent: QObject | None = None) -> None:
        super().__init__(AlignWorker(loader), "realign", "A re-alignment is already running; cancel it first.", parent)

    def start(self, words: Sequence[Word], audio: np.ndarray, request: RealignRequest) -> None:
        """Queue a request on the worker thread."""
        self.submit(list(words), audio, request)
