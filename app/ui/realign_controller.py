"""Re-align Edited Words in the window: re-time INTERPOLATED words with a CTC aligner, as one undo step.

The action is enabled when a project with its recording is open, a model that can align is on this
computer (`AlignerFactory.find`, never the network) and the document has interpolated words; when it
is not, its tooltip says why. A run re-times the whole transcript's interpolated words, or with a
selection those touching it, on the align worker's thread, in the transcript's language (the language
it was transcribed in: numbers are spelled for the head in it); the editor is read-only meanwhile and the
status bar shows progress with a Cancel button. The results are applied at the end as one QUndoStack
macro of `SpliceWords` per run: words keep their text and speaker and become ALIGNED; a run the
aligner could not place keeps its interpolated times, and the status bar says how many failed.

The controller never reads the window: it gets its collaborators (the action, the editor for the
selection, the transcribe panel for the chosen model) in its constructor, the window tells it what is
open (`set_stack`, `set_audio`, `set_blocked`), and it answers through signals (`running_changed`,
`message`, `model_wanted`). The window adds `widget` to its status bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget

from app.asr.align.realign import AlignerFactory, has_interpolated, runs_touching
from app.core.document import Word
from app.core.edits import SpliceWords
from app.ui.transcription_controller import ProgressWidget
from app.workers.align_worker import AlignThread, RealignRequest

if TYPE_CHECKING:
    from app.ui.transcribe_panel import TranscribePanel
    from app.ui.transcript_editor import TranscriptEditor

WHAT_IT_DOES = ("Re-time the words you typed or changed (their times are only interpolated) against the "
                "recording; with a selection, only the edited words in it")
ALIGNER_MODEL = "nar"  # the model Re-align offers when none can align (4.1-2b needs a CTC head file too)
CHECK_EVERY_S = 5.0  # how long a "which model can align" answer is reused while typing


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class RealignController(QObject):
    """Runs re-alignments for the window and keeps its action's enabled state and tooltip current."""

    running_changed = Signal(bool)
    message = Signal(str)
    model_wanted = Signal(str, str)
    """(model key, purpose): no model on this computer can align; the window offers to get this one."""

    def __init__(self, action: QAction, editor: TranscriptEditor, panel: TranscribePanel,
                 factory: AlignerFactory | None = None, device: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._editor = editor
        self._panel = panel
        self._device = device
        self.action = action
        self.factory = factory or AlignerFactory()
        self._thread: AlignThread | None = None
        self.widget = ProgressWidget()
        self.widget.cancel_button.clicked.connect(self.cancel)
        self._current: Any = None  # the undo stack of the open project
        self._samples: Any = None  # the open recording's samples
        self._blocked = False  # another job (a transcription) writes the document
        self._found: tuple[str | None, str] = (None, "")
        self._found_at = -CHECK_EVERY_S
        self._stack: Any = None
        self._snapshot: list[Word] = []
        self._aligned: list[tuple[int, int, list[Word]]] = []
        self._failed: list[str] = []
        self.running = False
        self.last_failed_runs = 0
        self.last_error: str | None = None
        self.last_cancelled = False

    # -- what the window has open -------------------------------------------------------------------

    def set_stack(self, stack: Any) -> None:
        """The open project's undo stack (None: no project); a run for an earlier one is not applied."""
        self._current = stack
        self.update_action()

    def set_audio(self, samples: Any) -> None:
        """The open recording's samples (None: not loaded)."""
        self._samples = samples
        self.update_action()

    def set_blocked(self, blocked: bool) -> None:
        """Another job (a transcription) is writing the document: no re-alignment meanwhile."""
        self._blocked = blocked
        self.update_action()

    # -- availability -------------------------------------------------------------------------------

    def aligner_model(self, force: bool = False) -> tuple[str | None, str]:
        """(model to align with, "") or (None, why none can); looked up at most every few seconds."""
        now = time.monotonic()
        if force or now - self._found_at > CHECK_EVERY_S:
            from app.ui.model_readiness import without_command_line

            model, why = self.factory.find(self._panel.model_key)
            self._found = (model, without_command_line(why))
            self._found_at = now
        return self._found

    def refresh(self) -> None:
        """Look for an aligner again (the chosen model or the downloaded ones changed) and update the action."""
        self._found_at = -CHECK_EVERY_S
        self.update_action()

    def update_action(self) -> None:
        """Enable the action when it can run now; its tooltip says what it does, or why it cannot."""
        doc = self._current.document if self._current is not None else None
        enabled = False
        if doc is None or self._samples is None:
            tip = "Open a project with its recording to re-align edited words."
        else:
            model, why = self.aligner_model()
            if not has_interpolated(doc.words):
                tip = ("No edited words to re-align: words you type or change get interpolated times, "
                       "which this re-times.")
            elif model is None:  # enabled: choosing it offers the model it needs
                enabled, tip = True, f"{why} Choose Re-align to see how to get it."
            else:
                enabled, tip = True, f"{WHAT_IT_DOES} (model: {model})."
        busy = self.running or self._blocked
        self.action.setEnabled(enabled and not busy)
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    # -- running ------------------------------------------------------------------------------------

    def selected_range(self) -> tuple[int, int | None]:
        """[first, last) word indices of the editor's selection; (0, None) without one (the whole transcript)."""
        return self._editor.selected_words()

    def start(self) -> None:
        """Re-align the edited words of the selection (or of the whole transcript) in the background."""
        stack, samples = self._current, self._samples
        if self.running or self._blocked or stack is None or samples is None:
            return
        model, why = self.aligner_model(force=True)
        if model is None:
            self.update_action()
            self.message.emit(why)
            self.model_wanted.emit(ALIGNER_MODEL, "Re-align Edited Words")
            return
        words = list(stack.document.words)
        first, last = self.selected_range()
        if not runs_touching(words, first, last):
            self.message.emit("No edited words to re-align" + (" in the selection." if last is not None else "."))
            return
        self._stack, self._snapshot = stack, words
        self._aligned, self._failed = [], []
        self.last_error, self.last_cancelled, self.last_failed_runs = None, False, 0
        self.running = True
        self.widget.begin("Re-aligning...")
        self.running_changed.emit(True)
        self.update_action()
        request = RealignRequest(model, first, last, self._device(), stack.document.settings.language)
        self._ensure_thread().start(words, samples, request)

    def cancel(self) -> None:
        """Stop after the run being aligned; the runs aligned so far are applied."""
        if self.running and self._thread is not None:
            self._thread.cancel()
            self.widget.cancelling()

    def shutdown(self) -> None:
        """Cancel and stop the worker thread (the window is closing)."""
        if self._thread is not None:
            self._thread.shutdown()

    def _ensure_thread(self) -> AlignThread:
        if self._thread is None:
            self._thread = AlignThread(self.factory, self)
            wk, queued = self._thread.worker, Qt.ConnectionType.QueuedConnection
            wk.status.connect(self._on_worker_status, queued)
            wk.progress.connect(self._on_worker_progress, queued)
            wk.run_aligned.connect(self._on_worker_run_aligned, queued)
            wk.run_failed.connect(self._on_worker_run_failed, queued)
            wk.finished.connect(self._on_worker_finished, queued)
            wk.failed.connect(self._on_worker_failed, queued)
        return self._thread

    # -- worker signals -----------------------------------------------------------------------------

    def _on_worker_status(self, text: str) -> None:
        self.widget.say(text.rstrip("."))

    def _on_worker_progress(self, done: int, total: int) -> None:
        self.widget.bar.setValue(int(1000 * done / total) if total else 0)
        self.widget.say(f"Re-aligning: {done} / {_plural(total, 'run')}")

    def _on_worker_run_aligned(self, start: int, end: int, words: list[Word]) -> None:
        self._aligned.append((start, end, list(words)))

    def _on_worker_run_failed(self, start: int, end: int, why: str) -> None:
        self._failed.append(f"words {start + 1}-{end}: {why}")

    def _apply(self) -> int:
        """Push the aligned runs as one undo step; runs whose words changed meanwhile are left out."""
        stack, old = self._stack, self._snapshot
        doc = stack.document
        same = stack is self._current and len(doc) == len(old)  # another project opened meanwhile
        runs = [(i, j, new) for i, j, new in self._aligned if same and list(doc.words[i:j]) == old[i:j]]
        self.last_failed_runs = len(self._failed) + len(self._aligned) - len(runs)
        if not runs:
            return 0
        with stack.one_step("Re-align edited words"):  # no empty step if the document refuses the first run
            for i, j, new in runs:
                stack.push_command(SpliceWords(i, j, new, "Re-align words"))
        return sum(j - i for i, j, _ in runs)

    def _finish(self) -> int:
        aligned = self._apply()
        self.running = False
        self.widget.hide()
        self._stack, self._snapshot, self._aligned = None, [], []
        self.running_changed.emit(False)
        self.update_action()
        return aligned

    def _on_worker_finished(self, cancelled: bool) -> None:
        self.last_cancelled = cancelled
        aligned = self._finish()
        text = f"Re-aligned {_plural(aligned, 'word')}"
        if cancelled:
            text = f"Re-alignment cancelled; {_plural(aligned, 'word')} re-aligned so far are kept"
        if self.last_failed_runs:
            n = self.last_failed_runs
            text += f"; {_plural(n, 'run')} could not be aligned and {'keeps its' if n == 1 else 'keep their'} times"
        self.message.emit(text + ".")

    def _on_worker_failed(self, text: str) -> None:
        self.last_error = text
        self._finish()
        self.message.emit(f"Re-alignment failed: {text}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Re-alignment Failed", text, QMessageBox.StandardButton.Ok,
                          self._parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
