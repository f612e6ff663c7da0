"""Autosave: the open project's recovery journal, written off the GUI thread while the person works.

The journal is written at most ~2 s after the first unjournaled change however fast the person types
(`JournalTimer`), on one writer thread (~50 ms for a 2-hour interview, and writes stay in order); every
discard waits for the write in flight. A journal that cannot be written beside the project goes to the
user data folder instead, with a banner until a write or a save succeeds. Undoing back to the saved
state discards the journal: it would only bring back what was undone.

A write's outcome reaches the GUI thread later, maybe after another project was opened: each write
carries the project its snapshot was taken from and that project's fallback journal, so a failed write
is kept for its own project (the banner only while that project is open, else a status line naming it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.core.errors import VerbatimError
from app.core.project import Project
from app.core.recovery import RecoveryJournal, instance_journal
from app.ui.journal_timer import JournalTimer

Notice = Callable[[str, str | None], None]
"""Shows (text) or clears (None) the banner with a key."""


class _Write:
    """One journal write in flight, and what its outcome needs on the GUI thread: the project the
    snapshot was taken from and that project's fallback journal (both taken with the snapshot)."""

    __slots__ = ("project", "journal", "fallback", "data", "future")

    def __init__(self, project: Project, journal: RecoveryJournal, fallback: RecoveryJournal,
                 data: dict[str, Any], future: Future[None]) -> None:
        self.project = project
        self.journal = journal
        self.fallback = fallback
        self.data = data
        self.future = future


def _failure(done: Future[None]) -> str | None:
    """The sentence for a write that failed, None for one that succeeded."""
    exc = done.exception()
    if exc is None:
        return None
    return str(exc) if isinstance(exc, VerbatimError) else f"{type(exc).__name__}: {exc}"


def _name(project: Project) -> str:
    """The project as a status line names it when it is no longer the open one (its whole path)."""
    if project.path is not None:
        return str(project.path)
    return project.media_path.name if project.media_path is not None else "an untitled project"


class ProjectAutosave(QObject):
    """Writes `journal` for the project `project()` returns whenever `modified()` says there is unsaved work."""

    _journal_done = Signal(object, object)  # from the writer thread: the _Write, its failure sentence or None

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
        self._write: Future[None] | None = None
        self._unreported: list[_Write] = []
        """Writes whose outcome is still to be dealt with, oldest first."""
        self._fallbacks: list[tuple[weakref.ref[Project], RecoveryJournal]] = []
        """The fallback journals written, with their projects (while these are alive)."""
        # always queued, even when the write ended before its callback was added: the outcome is dealt
        # with on the GUI thread, after what the GUI thread does now (a flush deals with it at once)
        self._journal_done.connect(self._on_journal_done, Qt.ConnectionType.QueuedConnection)

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
        # the fallback is this project's, taken now: when the outcome arrives another one may be open
        future = self._writer.submit(journal.write_snapshot, data)
        record = _Write(project, journal, instance_journal(project, self._recovery_root), data, future)
        self._unreported.append(record)
        self._write = future
        future.add_done_callback(lambda done: self._journal_done.emit(record, _failure(done)))

    def _on_journal_done(self, record: _Write, failure: str | None) -> None:
        if record in self._unreported:  # not dealt with already (a flush, a save, a discard)
            self._report(record, failure)

    def _report(self, record: _Write, failure: str | None) -> None:
        self._unreported.remove(record)
        if failure is None:
            self._drop_fallbacks(record.project, keep=record.journal.path)  # the journal written is newer
            if record.project is self._project():
                self._notice("autosave", None)
        else:
            self._keep_in_fallback(record, failure)

    def _keep_in_fallback(self, record: _Write, text: str) -> None:
        """The journal could not be written where it belongs: write it to the user data folder instead,
        and say so: in a banner until a journal write or a save succeeds while its project is open,
        else in a status line that names the project."""
        fallback, name = record.fallback, _name(record.project)
        try:
            fallback.write_snapshot(record.data)
        except VerbatimError as exc:
            self._tell(record, f"Autosave failed: {text} Your changes are not backed up anywhere ({exc}); save the "
                       f"project somewhere else now.",
                       f"Autosave of {name} failed: {text} Its last changes are not backed up anywhere ({exc}).")
            return
        if not any(j.path == fallback.path for _, j in self._fallbacks):
            self._fallbacks.append((weakref.ref(record.project), fallback))
        self._tell(record, f"Autosave cannot write beside the project ({text}) Your unsaved changes are kept in "
                   f"{fallback.path.parent} instead until it can.",
                   f"Autosave could not write the recovery journal of {name} ({text}) Its unsaved changes are "
                   f"kept in {fallback.path} instead.")

    def _tell(self, record: _Write, banner: str, line: str) -> None:
        """`banner` over the window while the write's project is the open one, else `line` in the status bar."""
        if record.project is self._project():
            self._notice("autosave", banner)
        else:
            self._message(line)

    def _drop_fallbacks(self, project: Project, keep: Path | None = None) -> None:
        """Remove the fallback journals of `project` (but `keep`): its work is in a newer journal, saved
        or given up. Those of projects no longer alive stay on disk for the next start to offer."""
        kept: list[tuple[weakref.ref[Project], RecoveryJournal]] = []
        for ref, journal in self._fallbacks:
            owner = ref()
            if owner is None:
                continue
            if owner is not project or journal.path == keep:
                kept.append((ref, journal))
                continue
            try:
                journal.discard()
            except VerbatimError:
                pass
        self._fallbacks = kept

    def _report_finished(self) -> None:
        """Deal with the outcome of every write now (the event loop may not run again)."""
        self.wait()
        for record in list(self._unreported):
            self._report(record, _failure(record.future))

    def wait(self) -> None:
        """Block until the journal write in flight (if any) is on disk."""
        pending, self._write = self._write, None
        if pending is not None:
            wait([pending])

    def discard(self) -> None:
        """Remove the open project's journals (after the write in flight, so that it does not come back):
        its work was saved, given up or undone, and what its writes so far would still do is forgotten."""
        self.wait()
        project = self._project()
        if project is not None:
            self._unreported = [r for r in self._unreported if r.project is not project]
            self._drop_fallbacks(project)
            self._notice("autosave", None)
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
        """Write the journal now and wait until it (or its fallback) is on disk (the session is ending:
        SIGTERM, logout)."""
        self._timer.stop()
        self.write()
        self._report_finished()

    def shutdown(self) -> None:
        """Stop the timer and finish the write in flight (the window is closing)."""
        self._timer.stop()
        self._report_finished()
        self._writer.shutdown(wait=True)
