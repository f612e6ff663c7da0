"""Autosave: the open project's recovery journal, written off the GUI thread while the person works.

The journal is written at most ~2 s after the first unjournaled change however fast the person types
(`JournalTimer`), on one writer thread (~50 ms for a 2-hour interview, and writes stay in order); every
discard waits for the write in flight. A journal that cannot be written beside the project goes to the
user data folder instead, with a banner until a write or a save succeeds. Undoing back to the saved
state discards the journal: it would only bring back what was undone.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.errors import VerbatimError
from app.core.project import Project
from app.core.recovery import RecoveryJournal, instance_journal
from app.ui.journal_timer import JournalTimer

Notice = Callable[[str, str | None], None]
"""Shows (text) or clears (None) the banner with a key."""


class ProjectAutosave(QObject):
    """Writes `journal` for the project `project()` returns whenever `modified()` says there is unsaved work."""

    _journal_failed = Signal(str, object)  # from the writer thread: sentence, the snapshot
    _journal_ok = Signal()

    def __init__(self, parent: QObject, recovery_root: Path | None, project: Callable[[], Project | None],
                 modified: Callable[[], bool], message: Callable[[str], None], notice: Notice) -> None:
        super().__init__(parent)
        self._recovery_root = recovery_root
        self._project = project
        self._modified = modified
        self._message = message
        self._notice = notice
        self.journal: RecoveryJournal | None = None
        """Where the open project's journal goes (beside its file, or keyed by its recording when unsaved)."""
        self._timer = JournalTimer(self.write, self)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._write: Future | None = None
        self._journal_failed.connect(self._on_journal_failed)
        self._journal_ok.connect(lambda: notice("autosave", None))

    @property
    def max_wait_ms(self) -> int:
        """The longest a change waits before it is in the journal."""
        return self._timer.max_wait_ms

    @max_wait_ms.setter
    def max_wait_ms(self, ms: int) -> None:
        self._timer.max_wait_ms = ms
        self._timer.quiet_ms = min(self._timer.quiet_ms, ms)

    @property
    def pending(self) -> bool:
        """A change waits for its journal write."""
        return self._timer.isActive()

    def stop(self) -> None:
        """Forget the changes waiting for a write (a save or a discard has dealt with them)."""
        self._timer.stop()

    def _on_undo_index_changed(self, _index: int) -> None:
        if self._modified():
            self._timer.changed()
        else:  # undone back to the saved state: a journal would only bring back what was undone
            self._timer.stop()
            self.discard()

    def write(self) -> None:
        """Start writing the journal (the timer calls this); `wait` ends it."""
        project, journal = self._project(), self.journal
        if project is None or journal is None or not self._modified():
            return
        try:
            data = journal.snapshot(project)
        except VerbatimError as exc:
            self._message(f"Autosave failed: {exc}")
            return
        self.wait()
        self._write = self._writer.submit(journal.write_snapshot, data)
        self._write.snapshot = data  # type: ignore[attr-defined]  # for the fallback on failure
        self._write.add_done_callback(self._on_journal_written)

    def _on_journal_written(self, done: Future) -> None:  # on the writer thread: hand errors to the GUI
        exc = done.exception()
        if exc is not None:
            data = getattr(done, "snapshot", None)
            self._journal_failed.emit(str(exc) if isinstance(exc, VerbatimError) else f"{type(exc).__name__}: {exc}",
                                      data)
        else:
            self._journal_ok.emit()

    def _on_journal_failed(self, text: str, data: object) -> None:
        """The journal could not be written where it belongs: write it to the user data folder instead,
        and say so in a banner until a journal write or a save succeeds."""
        project = self._project()
        if project is None or not isinstance(data, dict):
            self._message(f"Autosave failed: {text}")
            return
        fallback = instance_journal(project, self._recovery_root)
        try:
            fallback.write_snapshot(data)
        except VerbatimError as exc:
            self._notice("autosave", f"Autosave failed: {text} Your changes are not backed up anywhere "
                         f"({exc}); save the project somewhere else now.")
            return
        self._notice("autosave", f"Autosave cannot write beside the project ({text}) Your unsaved changes are "
                     f"kept in {fallback.path.parent} instead until it can.")

    def wait(self) -> None:
        """Block until the journal write in flight (if any) is on disk."""
        pending, self._write = self._write, None
        if pending is not None:
            wait([pending])

    def discard(self) -> None:
        """Remove the journal (after the write in flight, so that it does not come back)."""
        self.wait()
        if self.journal is not None:
            try:
                self.journal.discard()
            except VerbatimError:
                pass

    def saved(self, project: Project) -> None:
        """`project` was saved: its journals go, and the next one lives beside its file."""
        self._notice("autosave", None)
        try:
            instance_journal(project, self._recovery_root).discard()
        except VerbatimError:
            pass
        self._timer.stop()
        self.discard()
        self.journal = RecoveryJournal(project.path, project.media_fingerprint, self._recovery_root)
        self.discard()

    def flush(self) -> None:
        """Write the journal now and wait until it is on disk (the session is ending: SIGTERM, logout)."""
        self._timer.stop()
        self.write()
        self.wait()

    def shutdown(self) -> None:
        """Stop the timer and finish the write in flight (the window is closing)."""
        self._timer.stop()
        self.wait()
        self._writer.shutdown(wait=True)
