"""Projects in the window: open (media or project), save, save as, recent files, autosave and recovery.

The controller owns the open `Project`, its undo stack and its recovery journal. A change starts a
~3 s single-shot timer that writes the journal; saving writes the project atomically, marks the undo
stack clean and discards the journal. Opening a project whose journal is newer offers to recover it;
a project whose recording moved asks where it went (and checks the fingerprint).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.document import Transcript
from app.core.errors import ProjectError, VerbatimError
from app.core.fingerprint import media_fingerprint
from app.core.project import PROJECT_SUFFIX, Project, load_project, save_project
from app.core.recovery import RecoveryJournal, find_orphan_journals
from app.ui.dialogs.prompts import MEDIA_FILTER, ask_recover, ask_relink, ask_save_changes
from app.ui.undo import DocumentUndoStack

PROJECT_FILTER = "Verbatim projects (*.verbatim *.json)"
MAX_RECENT = 10
AUTOSAVE_MS = 3000


def is_project_file(path: Path) -> bool:
    return path.suffix.lower() in (PROJECT_SUFFIX, ".json")


class FileController(QObject):
    """Holds the current project; the window follows `project_opened` and `recent_changed`."""

    project_opened = Signal(object, object)  # Project, DocumentUndoStack
    recent_changed = Signal()
    message = Signal(str)  # a status-bar line
    _journal_failed = Signal(str)  # from the journal writer thread

    def __init__(self, parent: QWidget, settings: QSettings, recovery_root: Path | None = None) -> None:
        super().__init__(parent)
        self._window = parent
        self._settings = settings
        self._recovery_root = recovery_root
        self.project: Project | None = None
        self.undo_stack: DocumentUndoStack | None = None
        self.journal: RecoveryJournal | None = None
        self.autosave_ms = AUTOSAVE_MS
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.timeout.connect(self.write_journal)
        # The journal is serialised and written off the GUI thread (~50 ms for a 2-hour interview);
        # one writer thread keeps writes in order, and every discard waits for the write in flight.
        self._journal_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._journal_write: Future | None = None
        self._journal_failed.connect(lambda text: self.message.emit(f"Autosave failed: {text}"))

    # -- naming -----------------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        p = self.project
        if p is None:
            return "Verbatim"
        if p.path is not None:
            return p.path.stem
        return p.media_path.stem if p.media_path is not None else "Untitled"

    @property
    def modified(self) -> bool:
        return self.undo_stack is not None and not self.undo_stack.isClean()

    # -- opening ----------------------------------------------------------------------------------

    def open_path(self, path: Path) -> bool:
        """Open a project file or a recording (a new project for it). False when nothing was opened."""
        path = Path(path)
        try:
            if not path.exists():
                raise VerbatimError(f"{path} does not exist.")
            if path.suffix.lower() == ".recovery":  # a journal: open what it belongs to, offering it
                project = path.with_suffix("")
                if project.is_file():
                    return self.open_project(project)
                return self._offer(RecoveryJournal.at(path))
            if is_project_file(path):
                return self.open_project(path)
            return self.open_media(path)
        except VerbatimError as exc:
            QMessageBox.warning(self._window, "Cannot Open", str(exc))
            return False

    def open_media(self, path: Path) -> bool:
        """Start a new, unsaved project for a recording, or recover the unsaved work on it that a crash
        left behind (its journal is keyed by the recording's fingerprint and would otherwise be
        overwritten by the next autosave)."""
        path = Path(path).resolve()
        fingerprint = media_fingerprint(path)
        journal = RecoveryJournal(None, fingerprint, self._recovery_root)
        if journal.exists() and self._offer(journal, path):
            return True
        if self._open_project_beside(path, fingerprint):
            return True
        project = Project(Transcript(), path, fingerprint, None, None)
        self._install(project, modified=False)
        self.add_recent(path)
        return True

    def _open_project_beside(self, recording: Path, fingerprint: str) -> bool:
        """Open the project saved beside `recording` for it, if there is one (the status bar says so)."""
        from app.core.project_lookup import project_beside

        found = project_beside(recording, fingerprint)
        if found is None:
            return False
        try:
            opened = self.open_project(found)
        except ProjectError as exc:
            self.message.emit(f"{found.name} beside the recording could not be opened ({exc}); "
                              "a new transcript was started.")
            return False
        if opened:
            self.message.emit(f"Opened {found.name}, the project saved beside {recording.name}.")
        return opened

    def _offer(self, journal: RecoveryJournal, media: Path | None = None) -> bool:
        """Offer an unsaved project's journal; True when it was recovered (declining discards it)."""
        try:
            project = journal.load()
        except ProjectError as exc:
            self.message.emit(f"A recovery journal could not be read and was left in place: {exc}")
            return False
        name = project.media_path.name if project.media_path else "an untitled project"
        if not ask_recover(self._window, name):
            journal.discard()
            return False
        if media is not None:
            project.media_path = media
        else:
            self._relink_if_moved(project)
        self._install(project, modified=True, journal=journal)
        return True

    def open_project(self, path: Path) -> bool:
        """Open a project, offering its recovery journal when that is newer, relinking moved media."""
        path = Path(path).resolve()
        journal = RecoveryJournal(path, None, self._recovery_root)
        recovered = False
        project: Project | None = None
        if journal.has_newer_than_project():
            if ask_recover(self._window, path.name):
                try:
                    project = journal.load()
                    recovered = True
                except ProjectError as exc:
                    QMessageBox.warning(self._window, "Recovery Failed", f"{exc} The saved version is opened.")
            else:
                journal.discard()
        if project is None:
            project = load_project(path)
        relinked = self._relink_if_moved(project)
        self._install(project, modified=recovered or relinked)
        self.add_recent(path)
        if recovered:
            self.message.emit(f"Recovered unsaved changes to {path.name}.")
        return True

    def offer_orphan_recovery(self) -> bool:
        """At start-up: offer the newest journal of a never-saved project. True when one was recovered."""
        for journal in find_orphan_journals(self._recovery_root):  # newest first; a damaged one is skipped
            try:
                journal.load()
            except ProjectError:
                continue
            return self._offer(journal)
        return False

    def _relink_if_moved(self, project: Project) -> bool:
        media = project.media_path
        if media is None or media.exists():
            return False
        new = ask_relink(self._window, media, project.media_fingerprint)
        if new is None:
            self.message.emit(f"{media.name} was not found; the transcript opens without audio.")
            return False
        project.media_path = new
        if project.media_fingerprint is None:
            project.media_fingerprint = media_fingerprint(new)
        return True

    def _install(self, project: Project, modified: bool, journal: RecoveryJournal | None = None) -> None:
        self._autosave.stop()
        old = self.undo_stack
        self.project = project
        self.undo_stack = DocumentUndoStack(project.transcript, self)
        if modified:
            self.undo_stack.resetClean()
        self.journal = journal or RecoveryJournal(project.path, project.media_fingerprint, self._recovery_root)
        self.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        self.project_opened.emit(project, self.undo_stack)
        if old is not None:
            old.deleteLater()

    # -- saving -----------------------------------------------------------------------------------

    def save(self) -> bool:
        """Save to the project's file, or ask for one. False when not saved."""
        if self.project is None:
            return False
        from app.ui.folders import is_demo_path

        if self.project.path is None or is_demo_path(self.project.path):  # the demo's is a temporary folder
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self, path: Path | None = None) -> bool:
        """Save under a new name (asks when `path` is None)."""
        if self.project is None:
            return False
        if path is None:
            from app.ui.folders import start_folder

            name = (self.project.path or self.project.media_path or Path("Untitled")).stem + PROJECT_SUFFIX
            start = start_folder(self.project, self._settings) / name
            chosen, _ = QFileDialog.getSaveFileName(self._window, "Save Project As", str(start), PROJECT_FILTER)
            if not chosen:
                return False
            path = Path(chosen)
            if not path.suffix:
                path = path.with_suffix(PROJECT_SUFFIX)
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        assert self.project is not None and self.undo_stack is not None
        from app.ui.folders import bring_demo_media, remember_folder

        try:
            bring_demo_media(self.project, path)
            save_project(self.project, path)
        except (VerbatimError, OSError) as exc:
            QMessageBox.warning(self._window, "Save Failed", str(exc))
            return False
        remember_folder(self._settings, path)
        self._autosave.stop()
        self._discard_journal()
        self.journal = RecoveryJournal(self.project.path, self.project.media_fingerprint, self._recovery_root)
        self._discard_journal()
        self.undo_stack.setClean()
        self.add_recent(path)
        self.message.emit(f"Saved {path.name}.")
        return True

    def maybe_save(self) -> bool:
        """Before closing or replacing the project: Save / Discard / Cancel. True to go on."""
        if not self.modified:
            return True
        answer = ask_save_changes(self._window, self.display_name)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self._autosave.stop()
            self._discard_journal()
            return True
        return False

    # -- autosave ---------------------------------------------------------------------------------

    def _on_undo_index_changed(self, _index: int) -> None:
        if self.modified:
            self._autosave.start(self.autosave_ms)
        else:  # undone back to the saved state: a journal would only bring back what was undone
            self._autosave.stop()
            self._discard_journal()

    def write_journal(self) -> None:
        """Start writing the recovery journal (the autosave timer calls this); `wait_for_journal` ends it."""
        if self.project is None or self.journal is None or not self.modified:
            return
        journal = self.journal
        try:
            data = journal.snapshot(self.project)
        except VerbatimError as exc:
            self.message.emit(f"Autosave failed: {exc}")
            return
        self.wait_for_journal()
        self._journal_write = self._journal_writer.submit(journal.write_snapshot, data)
        self._journal_write.add_done_callback(self._on_journal_written)

    def _on_journal_written(self, done: Future) -> None:  # on the writer thread: hand errors to the GUI
        exc = done.exception()
        if exc is not None:
            self._journal_failed.emit(str(exc) if isinstance(exc, VerbatimError) else f"{type(exc).__name__}: {exc}")

    def wait_for_journal(self) -> None:
        """Block until the journal write in flight (if any) is on disk."""
        pending, self._journal_write = self._journal_write, None
        if pending is not None:
            wait([pending])

    def _discard_journal(self) -> None:
        self.wait_for_journal()
        if self.journal is not None:
            try:
                self.journal.discard()
            except VerbatimError:
                pass

    @property
    def autosave_pending(self) -> bool:
        return self._autosave.isActive()

    def shutdown(self) -> None:
        """Stop the autosave timer and finish the journal write in flight (the window is closing)."""
        self._autosave.stop()
        self.wait_for_journal()
        self._journal_writer.shutdown(wait=True)

    # -- recent files -----------------------------------------------------------------------------

    def recent_files(self) -> list[Path]:
        value: Any = self._settings.value("recent/files", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [Path(p) for p in items if p]

    def add_recent(self, path: Path) -> None:
        text = str(Path(path).resolve())
        items = [str(p) for p in self.recent_files() if str(p) != text]
        self._settings.setValue("recent/files", [text] + items[: MAX_RECENT - 1])
        self.recent_changed.emit()

    def clear_recent(self) -> None:
        self._settings.setValue("recent/files", [])
        self.recent_changed.emit()

    def ask_open(self) -> Path | None:
        """The file dialog of File > Open."""
        from app.ui.folders import start_folder

        last = start_folder(self.project, self._settings)
        chosen, _ = QFileDialog.getOpenFileName(self._window, "Open Recording or Project", str(last),
                                                f"Recordings and projects (*.verbatim *.json {MEDIA_FILTER.split('(')[1].split(')')[0]});;"
                                                f"{PROJECT_FILTER};;{MEDIA_FILTER}")
        if not chosen:
            return None
        self._settings.setValue("recent/folder", str(Path(chosen).parent))
        return Path(chosen)
