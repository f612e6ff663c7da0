"""Opening a file as the window's project: a recording, a project, or a recovery journal.

A recording starts a new, unsaved project, unless a crash left unsaved work on it (its journal is
offered) or a project saved beside it was made from it (that one opens). A project is locked for this
window (`ProjectGuard`: another instance gets it read-only); its recovery journal is offered when newer
than the file; a recording that moved is asked for (and its fingerprint checked). At start-up the newest
journal of a never-saved project is offered. What a user can get wrong is one sentence in a message box.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.crash_log import log_exception, unexpected_sentence
from app.core.document import Transcript
from app.core.errors import ProjectError, VerbatimError
from app.core.fingerprint import media_fingerprint
from app.core.project import PROJECT_SUFFIX, Project, load_project
from app.core.recovery import RecoveryJournal, find_orphan_journals, instance_journal
from app.ui.dialogs.prompts import ask_recover, ask_relink

if TYPE_CHECKING:
    from app.ui.file_controller import FileController


def is_project_file(path: Path) -> bool:
    """Whether `path` names a project (by its suffix) rather than a recording."""
    return path.suffix.lower() in (PROJECT_SUFFIX, ".json")


class ProjectOpener:
    """Turns a path into the open project of `files` (through `FileController.install`)."""

    def __init__(self, files: FileController, window: QWidget, recovery_root: Path | None) -> None:
        self._files = files
        self._window = window
        self._recovery_root = recovery_root
        self._guard = files.guard

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
        if not self._guard.claim_journal(journal.path):  # another instance works on this recording
            self._files.install(project, modified=False, journal=instance_journal(project, self._recovery_root))
            self._files.add_recent(path)
            return True
        if journal.exists() and self._offer(journal, path):
            return True
        if self._open_project_beside(path, fingerprint):
            return True
        self._files.install(project, modified=False, journal=journal)
        self._files.add_recent(path)
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
            self._files.message.emit(f"{found.name} beside the recording could not be opened ({exc}); "
                                     "a new transcript was started.")
            return False
        if opened:
            self._files.message.emit(f"Opened {found.name}, the project saved beside {recording.name}.")
        return opened

    def _offer(self, journal: RecoveryJournal, media: Path | None = None) -> bool:
        """Offer an unsaved project's journal; True when it was recovered (declining discards it)."""
        try:
            project = journal.load()
        except ProjectError as exc:
            self._files.message.emit(f"A recovery journal could not be read and was left in place: {exc}")
            return False
        name = project.media_path.name if project.media_path else "an untitled project"
        if not ask_recover(self._window, name):
            journal.discard()
            return False
        if media is not None:
            project.media_path = media
        else:
            self._relink_if_moved(project)
        self._files.install(project, modified=True, journal=journal)
        return True

    def open_project(self, path: Path) -> bool:
        """Open a project, offering its recovery journal when that is newer, relinking moved media."""
        from app.core.input_checks import check_input_file

        path = check_input_file(Path(path), "project").resolve()
        claimed = self._guard.claim(path)
        if claimed is None:
            return False
        path = claimed
        try:
            return self._open_claimed(path)
        except BaseException:
            self._guard.release()
            raise

    def _open_claimed(self, path: Path) -> bool:
        guard = self._guard
        guard.release_journal()
        journal = RecoveryJournal(path, None, self._recovery_root)
        recovered = False
        project: Project | None = None
        if not guard.read_only and journal.has_newer_than_project():
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
        guard.remember(path)
        own_journal = instance_journal(project, self._recovery_root) if guard.read_only else None
        self._files.install(project, modified=recovered or relinked, journal=own_journal, keep_lock=True)
        if guard.read_only and guard.read_only_owner is not None:
            self._files.notice("read_only", f"Read-only: {path.name} is open in another Verbatim window "
                               f"({guard.read_only_owner.describe()}). Save As keeps your changes in a new file.")
        self._files.add_recent(path)
        if recovered:
            self._files.message.emit(f"Recovered unsaved changes to {path.name}.")
        return True

    def offer_orphan_recovery(self) -> bool:
        """At start-up: offer the newest journal of a never-saved project. True when one was recovered."""
        for journal in find_orphan_journals(self._recovery_root):  # newest first; a damaged one is skipped
            if not self._guard.claim_journal(journal.path):  # a running instance is still writing it
                continue
            try:
                journal.load()
            except ProjectError:
                continue
            recovered = self._offer(journal)
            if not recovered:
                self._guard.release_journal()
            return recovered
        self._guard.release_journal()
        return False

    def _relink_if_moved(self, project: Project) -> bool:
        media = project.media_path
        if media is None or media.exists():
            return False
        new = ask_relink(self._window, media, project.media_fingerprint)
        if new is None:
            self._files.message.emit(f"{media.name} was not found; the transcript opens without audio.")
            return False
        project.media_path = new
        if project.media_fingerprint is None:
            project.media_fingerprint = media_fingerprint(new)
        return True
