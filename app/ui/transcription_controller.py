"""Transcription in the window: start a run on the worker thread, show progress, keep partial results.

Each update's new words are pushed as a `TranscriptionStep` (app/core/run_edits.py): the run's first
step replaces the transcript, later ones only append, so an update costs its own words, not the whole
transcript so far. The undo stack merges a run's steps, so undo after a run restores the transcript
from before it in one step. A cancelled or failed run leaves what is on screen.

The status bar shows pieces done / total, audio time done, an ETA and a Cancel button. The bar moves
within a batch too: between updates a timer advances it by the time since the last update times the
speed measured so far (audio seconds per second), never past 95 % of the batch being decoded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

from app.core.document import Speaker, TranscriptionSettings, Word
from app.core.paragraphs import DEFAULT_RULES, ParagraphRules, add_paragraph_breaks
from app.core.timecode import format_position
from app.workers.transcription_worker import (
    EngineFactory,
    TranscriptionRequest,
    TranscriptionThread,
    TranscriptionWorker,
)


class ProgressWidget(QWidget):
    """The status-bar strip: a label, a progress bar and Cancel (hidden when idle)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(160)
        self.bar.setFixedHeight(12)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def begin(self, text: str) -> None:
        """Show the strip for a new job."""
        self.label.setText(text)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling...")

    def say(self, text: str) -> None:
        """Progress text, unless the job is already being cancelled (that line stays)."""
        if self.cancel_button.isEnabled():
            self.label.setText(text)


class TranscriptionController(QObject):
    """Runs transcriptions for the window; `running` tells whether one is in progress."""

    running_changed = Signal(bool)
    message = Signal(str)

    def __init__(self, parent: QWidget, engine_factory: EngineFactory | None = None) -> None:
        super().__init__(parent)
        self._window = parent
        self._factory = engine_factory
        self._thread: TranscriptionThread | None = None
        self.widget = ProgressWidget()
        self.widget.cancel_button.clicked.connect(self.cancel)
        self._undo: Any = None
        self._current: Any = None  # the open project's undo stack (the window says which)
        self._run_id = 0
        self._count = 0  # words of this run so far
        self._words: list[Word] = []  # the run's words as the engine gave them
        self._steps = 0  # steps pushed in this run
        self._speakers: list[Speaker] = []
        self._settings: TranscriptionSettings | None = None
        self._keywords: tuple[str, ...] = ()
        self._started = 0.0
        self._done_s = 0.0
        self._total_s = 0.0
        self._pieces = (0, 0)
        self._running_s = 0.0  # audio seconds in the batch being decoded now
        self._last_update = 0.0  # time of the last progress from the worker
        self._first_done = 0.0  # time the first batch ended (speed is measured from there)
        self._first_done_s = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.running = False
        self.last_error: str | None = None
        self.last_cancelled = False
        self.device: str | None = None
        self.on_settings: Callable[[TranscriptionSettings], None] | None = None
        self.paragraph_rules: ParagraphRules = DEFAULT_RULES
        """Where paragraphs start inside one speaker's words (the window sets it from its settings)."""
        # the recording's pauses (for paragraph breaks) are found off the GUI thread: ~1 s for 2 hours
        self._pause_finder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pauses")
        self._pauses: Future[list[tuple[int, int]]] | None = None
        self._pushed_with_pauses = True
        self._broken: list[Word] = []  # the run's words with paragraph breaks, as last pushed
        self._broken_with_pauses = False

    def _ensure_thread(self) -> TranscriptionThread:
        if self._thread is None:
            self._thread = TranscriptionThread(self._factory, self)
            w = cast(TranscriptionWorker, self._thread.worker)
            w.status.connect(self._on_worker_status, Qt.ConnectionType.QueuedConnection)
            w.run_started.connect(self._on_worker_run_started, Qt.ConnectionType.QueuedConnection)
            w.progress.connect(self._on_worker_progress, Qt.ConnectionType.QueuedConnection)
            w.running.connect(self._on_worker_running, Qt.ConnectionType.QueuedConnection)
            w.words_ready.connect(self._on_worker_words_ready, Qt.ConnectionType.QueuedConnection)
            w.finished.connect(self._on_worker_finished, Qt.ConnectionType.QueuedConnection)
            w.failed.connect(self._on_worker_failed, Qt.ConnectionType.QueuedConnection)
        return self._thread

    def start(self, audio: np.ndarray, model: str, options: Any, undo_stack: Any) -> None:
        """Transcribe `audio` into the document of `undo_stack` with `model` and `options`."""
        if self.running:
            return
        self._run_id += 1
        self._undo = undo_stack
        self._count, self._steps, self._speakers, self._words = 0, 0, [], []
        self._broken, self._broken_with_pauses = [], False
        from app.workers.pauses import recording_pauses

        self._pauses = self._pause_finder.submit(recording_pauses, audio)  # paragraphs break at pauses too
        self._settings = None
        self._keywords = tuple(options.keywords) or tuple(undo_stack.document.keywords)
        self._started = self._last_update = time.monotonic()
        self._done_s = self._total_s = self._running_s = 0.0
        self._first_done, self._first_done_s = 0.0, 0.0
        self._pieces = (0, 0)
        self._timer.start()
        self.last_error, self.last_cancelled = None, False
        self.running = True
        self.widget.begin("Starting...")
        self.running_changed.emit(True)
        request = TranscriptionRequest(model, options, self.device, self._run_id)
        self._ensure_thread().start(audio, request)

    def cancel(self) -> None:
        """Ask the run to stop after the current batch (the words so far stay)."""
        if self.running and self._thread is not None:
            self._thread.cancel()
            self.widget.cancelling()

    def shutdown(self) -> None:
        """Cancel and stop the worker thread (the window is closing)."""
        if self._thread is not None:
            self._thread.shutdown()
        self._pause_finder.shutdown(wait=True, cancel_futures=True)

    # -- worker signals ---------------------------------------------------------------------------

    def _on_worker_status(self, text: str) -> None:
        self.message.emit(text)
        self.widget.label.setText(text.rstrip("."))

    def _on_worker_run_started(self, settings: TranscriptionSettings) -> None:
        self._settings = settings
        if self.on_settings is not None:
            self.on_settings(settings)

    def _on_worker_progress(self, done_s: float, total_s: float, pieces_done: int, pieces_total: int) -> None:
        now = time.monotonic()
        if pieces_done > self._pieces[0] and self._first_done == 0.0:
            self._first_done, self._first_done_s = now, done_s
        self._done_s, self._total_s = done_s, total_s
        self._pieces = (pieces_done, pieces_total)
        self._last_update = now
        self._show(done_s)

    def _on_worker_running(self, batch_s: float) -> None:
        self._running_s = batch_s

    def speed(self) -> float | None:
        """Audio seconds transcribed per wall second since the first batch ended (None until measured)."""
        if self._first_done == 0.0 or self._done_s <= self._first_done_s:
            return None
        return (self._done_s - self._first_done_s) / max(self._last_update - self._first_done, 1e-6)

    def estimated_done_s(self, now: float | None = None) -> float:
        """Audio seconds done by now: the last report plus the expected share of the batch in flight."""
        speed = self.speed()
        if speed is None and self._done_s > 0:  # one batch done: its own pace
            speed = self._done_s / max(self._last_update - self._started, 1e-6)
        if speed is None or self._running_s <= 0:
            return self._done_s
        elapsed = max((time.monotonic() if now is None else now) - self._last_update, 0.0)
        return self._done_s + min(elapsed * speed, 0.95 * self._running_s)

    def _on_timer_timeout(self) -> None:
        if self.running and self._total_s > 0:
            self._show(self.estimated_done_s())

    def _show(self, done_s: float) -> None:
        total_s = self._total_s
        frac = min(done_s / total_s, 1.0) if total_s > 0 else 0.0
        self.widget.bar.setValue(int(frac * 1000))
        pieces_done, pieces_total = self._pieces
        text = f"{format_position(int(done_s * 1000), False)} / {format_position(int(total_s * 1000), False)}"
        if pieces_total:
            text = f"pieces {pieces_done}/{pieces_total}  ·  {text}"
        elapsed = time.monotonic() - self._started
        if 0.02 < frac < 1.0 and elapsed > 1.0:
            eta = elapsed * (1.0 - frac) / frac
            text += f"  ·  about {format_position(int(eta * 1000), False)} left"
        self.widget.say(text)

    def _on_worker_words_ready(self, words: list[Word], speakers: list[Speaker]) -> None:
        if not self.running or self._undo is None:
            return
        if not self._writes_current():
            return  # the project this run writes into was closed
        self._count += len(words)
        self._words.extend(words)
        changed = bool(speakers) and list(speakers) != self._speakers
        if speakers:
            self._speakers = list(speakers)
        self._push_words(wait_for_pauses=False, speakers_changed=changed)

    def _push_words(self, wait_for_pauses: bool, speakers_changed: bool = False) -> None:
        """Push the run's words as one step of the run (the steps merge into one undo step).

        Only the paragraphs that may still change are sent: the first step lays down the run, later steps
        replace the run's words from the last settled paragraph on, so an update costs the new words, not
        the whole transcript."""
        from app.core.run_edits import TranscriptionStep

        pauses = self._known_pauses(wait_for_pauses)
        self._pushed_with_pauses = pauses is not None
        start, tail = self._with_breaks(pauses)
        first = self._steps == 0
        table = self._speakers or (list(self._undo.document.speakers) if first else [])
        self._undo.push_command(TranscriptionStep(
            self._broken if first else tail, table if (first or speakers_changed) else [],
            ("transcription", id(self), self._run_id), first,
            self._settings if first else None, self._keywords if first else None,
            replace_from=0 if first else start,
        ))
        self._steps += 1

    def _with_breaks(self, pauses: list[tuple[int, int]] | None) -> tuple[int, list[Word]]:
        """The run's words with paragraph breaks, re-deciding only from the last settled paragraph on
        (a 2-hour run would otherwise re-scan ~20,000 words on the GUI thread for every piece).
        Returns where the re-decided words start and those words."""
        if (pauses is not None) != self._broken_with_pauses:
            self._broken, self._broken_with_pauses = [], pauses is not None
        broken = self._broken
        settled = len(broken) - 4  # a break may still move a word or two back to a sentence end
        start = next((i for i in range(min(settled, len(broken) - 1), 0, -1) if broken[i].starts_segment), 0)
        words = broken[:start] + self._words[start:]
        if start:
            words[start] = broken[start]  # the settled paragraph start stays
        self._broken = add_paragraph_breaks(words, self.paragraph_rules, pauses or (), start)
        return start, self._broken[start:]

    def _known_pauses(self, wait: bool) -> list[tuple[int, int]] | None:
        """The recording's pauses once found (None until then: later pieces re-break the whole run)."""
        pending = self._pauses
        if pending is None or (not wait and not pending.done()):
            return None
        try:
            return list(pending.result(timeout=10))
        except Exception:  # no pauses is a fine answer: breaks then come from word gaps
            return []

    def _complete_breaks(self) -> None:
        """At the end of a run: if the pauses came after the last piece, break the paragraphs once more."""
        if (self._words and not self._pushed_with_pauses and self._undo is not None
                and self._writes_current()):
            self._push_words(wait_for_pauses=True)

    def set_current_stack(self, stack: Any) -> None:
        """The open project's undo stack: a run that writes into another (closed) one stops writing."""
        self._current = stack

    def _writes_current(self) -> bool:
        return self._current is None or self._undo is self._current

    def _finish(self) -> None:
        self._timer.stop()
        self.running = False
        self.widget.hide()
        self.running_changed.emit(False)

    def _on_worker_finished(self, cancelled: bool) -> None:
        self.last_cancelled = cancelled
        self._complete_breaks()
        self._finish()
        n = self._count
        if cancelled:
            self.message.emit(f"Transcription cancelled; the {n} words transcribed so far are kept.")
        else:
            self.message.emit(f"Transcription finished: {n} words.")

    def _on_worker_failed(self, text: str) -> None:
        from app.ui.model_readiness import without_command_line

        text = without_command_line(text)  # never a command line inside the GUI
        self.last_error = text
        self._finish()
        self.message.emit(f"Transcription failed: {text}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Transcription Failed", text, QMessageBox.StandardButton.Ok,
                          self._window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
