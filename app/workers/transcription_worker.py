"""The transcription worker: a long-lived QObject in its own QThread that owns the loaded engine.

The GUI thread never runs a model. `TranscriptionThread` (used by the window) starts the thread once,
hands requests to the worker through a queued signal, and stops the thread on shutdown. The worker
keeps the engine it loaded and reuses it for the next run with the same model and device; it reports
progress and only the new words of each step as signals (never the words so far, so an update costs
the same at the end of a 3-hour run as at its start), and turns every error into one sentence.
`cancel()` may be called from any thread: the engine stops between batches and what it already
produced stays valid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.asr.engines.base import Engine, TranscribeOptions, audio_seconds, validate_options
from app.core.errors import Cancelled, VerbatimError
from app.workers.worker_thread import BackgroundWorker, WorkerThread

log = logging.getLogger(__name__)

EngineFactory = Callable[[str, "str | None"], Engine]


def _default_factory(model: str, device: str | None) -> Engine:
    from app.asr.engines.factory import create_engine

    return create_engine(model, device)


@dataclass(frozen=True)
class TranscriptionRequest:
    """One run: which model on which device, with which options. `run_id` tags the run's results."""

    model: str
    options: TranscribeOptions
    device: str | None = None
    run_id: int = 0


class TranscriptionWorker(BackgroundWorker):
    """Runs engines; lives in a worker thread. Signals carry plain Python objects."""

    run_started = Signal(object)  # TranscriptionSettings of this run
    progress = Signal(float, float, int, int)  # audio done s, total s, pieces done, pieces total
    running = Signal(float)  # audio seconds of the batch being decoded now (follows each progress)
    words_ready = Signal(object, object)  # new words of this step (list[Word]), speaker table (list[Speaker])

    def __init__(self, engine_factory: EngineFactory | None = None) -> None:
        super().__init__()
        self._factory = engine_factory or _default_factory

    @property
    def engine(self) -> Engine | None:
        """The engine loaded by the last run (kept for the next one)."""
        return self._resource

    def _engine_for(self, request: TranscriptionRequest) -> Engine:
        return self.kept((request.model, request.device), lambda: self._factory(request.model, request.device),
                         f"Loading model {request.model}...")

    def run(self, audio: np.ndarray, request: TranscriptionRequest) -> None:
        """Transcribe `audio` (16 kHz mono float32); ends with exactly one of finished / failed."""
        token = self.token
        total = audio_seconds(audio)
        try:
            engine = self._engine_for(request)
            validate_options(engine.name, engine.capabilities, request.options)
            self.run_started.emit(engine.settings(request.options))
            note = getattr(engine, "timing_note", None)
            why = note(request.options) if callable(note) else ""
            self.status.emit(f"Transcribing with {engine.name}..." + (f" {why}" if why else ""))
            self.progress.emit(0.0, total, 0, 0)
            for update in engine.transcribe(audio, request.options, token):
                p = update.progress
                if update.words or update.speakers:
                    self.words_ready.emit(list(update.words), list(update.speakers))
                self.progress.emit(p.audio_done_s, p.audio_total_s, p.pieces_done, p.pieces_total)
                self.running.emit(p.running_s)
                if token.cancelled:
                    break
        except Cancelled:
            self.finished.emit(True)
        except VerbatimError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit("The computer ran out of memory; try a smaller batch size or a shorter recording.")
        except Exception as exc:  # a bug: one sentence for the user, the traceback in the log
            log.exception("transcription failed")
            from app.core.crash_log import log_exception

            log_exception(exc, "transcribe")  # the traceback where a bug report can find it
            self.failed.emit(f"Transcription failed unexpectedly ({type(exc).__name__}: {exc}).")
        else:
            self.finished.emit(token.cancelled)


class TranscriptionThread(WorkerThread):
    """The window's handle on the transcription worker and its thread."""

    def __init__(self, engine_factory: EngineFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(TranscriptionWorker(engine_factory), "transcription",
                         "A transcription is already running; cancel it first.", parent)

    def start(self, audio: np.ndarray, request: TranscriptionRequest) -> None:
        """Queue a run on the worker thread."""
        self.submit(audio, request)
