"""Projects in the window: open (media or project), save, save as, recent files, autosave and recovery.

The controller owns the open `Project`, its undo stack and its recovery journal. The journal is
written at most ~2 s after the first unjournaled change however fast the person types (`JournalTimer`),
on a writer thread; saving writes the project atomically, marks the undo stack clean and discards the
journal. A project is locked for this window (`ProjectGuard`): another instance opens it read-only or as
a copy, and a file changed on disk is never overwritten without asking. Opening a project whose journal
is newer offers to recover it; a project whose recording moved asks where it went (and checks the
fingerprint).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from app.core.crash_log import log_exception, unexpected_sentence
from app.core.document import Transcript
from app.core.errors import ProjectError, VerbatimError
from app.core.fingerprint import media_fingerprint
from app.core.project import PROJECT_SUFFIX, Project, load_project, save_project
from app.core.recovery import RecoveryJournal, find_orphan_journals, instance_journal
from app.ui.dialogs.prompts import MEDIA_FILTER, ask_recover, ask_relink, ask_save_changes
from app.ui.journal_timer import MAX_WAIT_MS, JournalTimer
from app.ui.notice_bar import NoticeBar
from app.ui.project_guard import OnDisk, ProjectGuard
from app.ui.undo import DocumentUndoStack

PROJECT_FILTER = "Verbatim projects (*.verbatim *.json)"
MAX_RECENT = 10
AUTOSAVE_MS = MAX_WAIT_MS


def is_project_file(path: Path) -> bool:
    return path.suffix.lower() in (PROJECT_SUFFIX, ".json")


class FileController(QObject):
    """Holds the current project; the window follows `project_opened` and `recent_changed`."""

    project_opened = Signal(object, object)  # Project, DocumentUndoStack
    recent_changed = Signal()
    message = Signal(str)  # a status-bar line
    _journal_failed = Signal(str, object)  # from the journal writer thread: sentence, the snapshot
    _journal_ok = Signal()

    def __init__(self, parent: QWidget, settings: QSettings, recovery_root: Path | None = None) -> None:
        super().__init__(parent)
        self._window = parent
        self._settings = settings
        self._recovery_root = recovery_root
        self.project: Project | None = None
        self.undo_stack: DocumentUndoStack | None = None
        self.journal: RecoveryJournal | None = None
        self._autosave = JournalTimer(self.write_journal, self)
        self.guard = ProjectGuard(parent)
        self.notices = NoticeBar(parent) if isinstance(parent, QMainWindow) else None
        # The journal is serialised and written off the GUI thread (~50 ms for a 2-hour interview);
        # one writer thread keeps writes in order, and every discard waits for the write in flight.
        self._journal_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._journal_write: Future | None = None
        self._journal_failed.connect(self._on_journal_failed)
        self._journal_ok.connect(lambda: self._notice("autosave", None))

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
    def autosave_ms(self) -> int:
        """The longest a change waits before it is in the journal."""
        return self._autosave.max_wait_ms

    @autosave_ms.setter
    def autosave_ms(self, ms: int) -> None:
        self._autosave.max_wait_ms = ms
        self._autosave.quiet_ms = min(self._autosave.quiet_ms, ms)

    @property
    def read_only(self) -> bool:
        """True when another instance holds this project: saving needs a new name."""
        return self.guard.read_only

    def _notice(self, key: str, text: str | None) -> None:
        if self.notices is None:
            return
        if text is None:
            self.notices.clear_notice(key)
        else:
            self.notices.show_notice(key, text)

    def show_truncation(self, truncation: Any, name: str) -> None:
        """A banner while the open recording is one cut short (salvaged: only what it holds is there)."""
        self._notice("truncated", truncation.sentence(name) if truncation is not None else None)

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
        except Exception as exc:  # a bug: one sentence here, the traceback in the crash log
            QMessageBox.warning(self._window, "Cannot Open",
                                unexpected_sentence(exc, f"open {path.name}", log_exception(exc, f"open {path}")))
            return False

    def open_media(self, path: Path) -> bool:
        """Start a new, unsaved project for a recording, or recover the unsaved work on it that a crash
        left behind (its journal is keyed by the recording's fingerprint and would otherwise be
        overwritten by the next autosave)."""
        from app.audio.decode import probe
        from app.core.input_checks import check_input_file

        path = check_input_file(Path(path), "recording").resolve()
        probe(path)  # headers only: a file that is not a recording is refused before the open work is replaced
        try:
            fingerprint = media_fingerprint(path)
        except OSError as exc:
            raise VerbatimError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
        journal = RecoveryJournal(None, fingerprint, self._recovery_root)
        project = Project(Transcript(), path, fingerprint, None, None)
        if not self.guard.claim_journal(journal.path):  # another instance works on this recording
            self._install(project, modified=False, journal=instance_journal(project, self._recovery_root))
            self.add_recent(path)
            return True
        if journal.exists() and self._offer(journal, path):
            return True
        if self._open_project_beside(path, fingerprint):
            return True
        self._install(project, modified=False, journal=journal)
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
        from app.core.input_checks import check_input_file

        path = check_input_file(Path(path), "project").resolve()
        claimed = self.guard.claim(path)
        if claimed is None:
            return False
        path = claimed
        try:
            return self._open_claimed(path)
        except BaseException:
            self.guard.release()
            raise

    def _open_claimed(self, path: Path) -> bool:
        self.guard.release_journal()
        journal = RecoveryJournal(path, None, self._recovery_root)
        recovered = False
        project: Project | None = None
        if not self.guard.read_only and journal.has_newer_than_project():
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
        self.guard.remember(path)
        own_journal = instance_journal(project, self._recovery_root) if self.guard.read_only else None
        self._install(project, modified=recovered or relinked, journal=own_journal, keep_lock=True)
        if self.guard.read_only and self.guard.read_only_owner is not None:
            self._notice("read_only", f"Read-only: {path.name} is open in another Verbatim window "
                         f"({self.guard.read_only_owner.describe()}). Save As keeps your changes in a new file.")
        self.add_recent(path)
        if recovered:
            self.message.emit(f"Recovered unsaved changes to {path.name}.")
        return True

    def offer_orphan_recovery(self) -> bool:
        """At start-up: offer the newest journal of a never-saved project. True when one was recovered."""
        for journal in find_orphan_journals(self._recovery_root):  # newest first; a damaged one is skipped
            if not self.guard.claim_journal(journal.path):  # a running instance is still writing it
                continue
            try:
                journal.load()
            except ProjectError:
                continue
            recovered = self._offer(journal)
            if not recovered:
                self.guard.release_journal()
            return recovered
        self.guard.release_journal()
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

    def _install(self, project: Project, modified: bool, journal: RecoveryJournal | None = None,
                 keep_lock: bool = False) -> None:
        self._autosave.stop()
        if not keep_lock:
            self.guard.release()
            self.guard.remember(None)
        for key in ("read_only", "autosave", "truncated"):
            self._notice(key, None)
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

        # the demo's is a temporary folder; a read-only project is saved under another name
        if self.project.path is None or self.read_only or is_demo_path(self.project.path):
            return self.save_as()
        if self.guard.changed_on_disk(self.project.path):
            choice = self.guard.ask_changed(self.project.path)
            if choice == OnDisk.SAVE_AS:
                return self.save_as()
            if choice == OnDisk.RELOAD:
                self._autosave.stop()
                self._discard_journal()
                if self.undo_stack is not None:
                    self.undo_stack.setClean()
                return self.open_path(self.project.path)
            if choice == OnDisk.CANCEL:
                return False
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
            from app.core.input_checks import refuse_overwriting_inputs

            refuse_overwriting_inputs(path, {"the recording": self.project.media_path})
            self.guard.claim_for_save(path.resolve())
            bring_demo_media(self.project, path)
            save_project(self.project, path)
        except (VerbatimError, OSError) as exc:
            QMessageBox.warning(self._window, "Save Failed", str(exc))
            return False
        except Exception as exc:  # a bug: one sentence, the traceback in the crash log; the work stays open
            QMessageBox.warning(self._window, "Save Failed",
                                unexpected_sentence(exc, f"save {path.name}", log_exception(exc, f"save {path}")))
            return False
        remember_folder(self._settings, path)
        self.guard.remember(path)
        self.guard.release_journal()  # saved: the journal lives beside the project file from now on
        self._notice("read_only", None)
        self._notice("autosave", None)
        try:
            instance_journal(self.project, self._recovery_root).discard()
        except VerbatimError:
            pass
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
            self._autosave.changed()
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
        self._journal_write.snapshot = data  # type: ignore[attr-defined]  # for the fallback on failure
        self._journal_write.add_done_callback(self._on_journal_written)

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
        if self.project is None or not isinstance(data, dict):
            self.message.emit(f"Autosave failed: {text}")
            return
        fallback = instance_journal(self.project, self._recovery_root)
        try:
            fallback.write_snapshot(data)
        except VerbatimError as exc:
            self._notice("autosave", f"Autosave failed: {text} Your changes are not backed up anywhere "
                         f"({exc}); save the project somewhere else now.")
            return
        self._notice("autosave", f"Autosave cannot write beside the project ({text}) Your unsaved changes are "
                     f"kept in {fallback.path.parent} instead until it can.")

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
        self.guard.release()
        self.guard.release_journal()

    def flush_journal(self) -> None:
        """Write the journal now and wait until it is on disk (the session is ending: SIGTERM, logout)."""
        self._autosave.stop()
        self.write_journal()
        self.wait_for_journal()

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
        media_globs = MEDIA_FILTER.split("(")[1].split(")")[0]
        chosen, _ = QFileDialog.getOpenFileName(self._window, "Open Recording or Project", str(last),
                                                f"Recordings and projects (*.verbatim *.json {media_globs});;"
                                                f"{PROJECT_FILTER};;{MEDIA_FILTER}")
        if not chosen:
            return None
        self._settings.setValue("recent/folder", str(Path(chosen).parent))
        return Path(chosen)
