"""Projects in the window: the open project, save, save as, recent files; opening and autosave it delegates.

The controller owns the open `Project`, its undo stack and its recovery journal. Opening a recording,
a project or a journal is `ProjectOpener`'s (`app.ui.project_opening`); writing the journal while the
person works is `ProjectAutosave`'s (`app.ui.project_autosave`). Saving writes the project atomically,
marks the undo stack clean and discards the journal. A project is locked for this window
(`ProjectGuard`): another instance opens it read-only or as a copy, and a file changed on disk is never
overwritten without asking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from app.core.crash_log import log_exception, unexpected_sentence
from app.core.errors import VerbatimError
from app.core.project import PROJECT_SUFFIX, Project, save_project
from app.core.recovery import RecoveryJournal
from app.ui.dialogs.prompts import MEDIA_FILTER, ask_save_changes
from app.ui.journal_timer import MAX_WAIT_MS
from app.ui.notice_bar import NoticeBar
from app.ui.project_autosave import ProjectAutosave
from app.ui.project_guard import OnDisk, ProjectGuard
from app.ui.project_opening import ProjectOpener
from app.ui.undo import DocumentUndoStack

PROJECT_FILTER = "Verbatim projects (*.verbatim *.json)"
MAX_RECENT = 10
AUTOSAVE_MS = MAX_WAIT_MS


class FileController(QObject):
    """Holds the current project; the window follows `project_opened` and `recent_changed`."""

    project_opened = Signal(object, object)  # Project, DocumentUndoStack
    recent_changed = Signal()
    message = Signal(str)  # a status-bar line

    def __init__(self, parent: QWidget, settings: QSettings, recovery_root: Path | None = None) -> None:
        super().__init__(parent)
        self._window = parent
        self._settings = settings
        self._recovery_root = recovery_root
        self.project: Project | None = None
        self.undo_stack: DocumentUndoStack | None = None
        self.guard = ProjectGuard(parent)
        self.notices = NoticeBar(parent) if isinstance(parent, QMainWindow) else None
        self.autosave = ProjectAutosave(self, recovery_root, lambda: self.project, lambda: self.modified,
                                        self.message.emit, self.notice)
        self._opener = ProjectOpener(self, parent, recovery_root)

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
    def journal(self) -> RecoveryJournal | None:
        """Where the open project's recovery journal goes."""
        return self.autosave.journal

    @property
    def autosave_ms(self) -> int:
        """The longest a change waits before it is in the journal."""
        return self.autosave.max_wait_ms

    @autosave_ms.setter
    def autosave_ms(self, ms: int) -> None:
        self.autosave.max_wait_ms = ms

    @property
    def read_only(self) -> bool:
        """True when another instance holds this project: saving needs a new name."""
        return self.guard.read_only

    def notice(self, key: str, text: str | None) -> None:
        """Show the banner `key` with `text`, or clear it (None)."""
        if self.notices is None:
            return
        if text is None:
            self.notices.clear_notice(key)
        else:
            self.notices.show_notice(key, text)

    def show_truncation(self, truncation: Any, name: str) -> None:
        """A banner while the open recording is one cut short (salvaged: only what it holds is there)."""
        self.notice("truncated", truncation.sentence(name) if truncation is not None else None)

    @property
    def modified(self) -> bool:
        return self.undo_stack is not None and not self.undo_stack.isClean()

    # -- opening ----------------------------------------------------------------------------------

    def open_path(self, path: Path) -> bool:
        """Open a project file or a recording (a new project for it). False when nothing was opened."""
        return self._opener.open_path(path)

    def offer_orphan_recovery(self) -> bool:
        """At start-up: offer the newest journal of a never-saved project. True when one was recovered."""
        return self._opener.offer_orphan_recovery()

    def install(self, project: Project, modified: bool, journal: RecoveryJournal | None = None,
                keep_lock: bool = False) -> None:
        """Make `project` the open one, with a new undo stack (`modified`: unsaved from the start) and
        `journal` as its recovery journal (None: the usual one); the window follows `project_opened`."""
        self.autosave.stop()
        if not keep_lock:
            self.guard.release()
            self.guard.remember(None)
        for key in ("read_only", "autosave", "truncated"):
            self.notice(key, None)
        old = self.undo_stack
        self.project = project
        self.undo_stack = DocumentUndoStack(project.transcript, self)
        if modified:
            self.undo_stack.resetClean()
        self.autosave.journal = journal or RecoveryJournal(project.path, project.media_fingerprint,
                                                           self._recovery_root)
        self.undo_stack.indexChanged.connect(self.autosave._on_undo_index_changed)
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
                self.autosave.stop()
                self.autosave.discard()
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
        self.notice("read_only", None)
        self.autosave.saved(self.project)
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
            self.autosave.stop()
            self.autosave.discard()
            return True
        return False

    # -- autosave (ProjectAutosave) -----------------------------------------------------------------

    def write_journal(self) -> None:
        """Start writing the recovery journal; `wait_for_journal` ends it."""
        self.autosave.write()

    def wait_for_journal(self) -> None:
        """Block until the journal write in flight (if any) is on disk."""
        self.autosave.wait()

    def flush_journal(self) -> None:
        """Write the journal now and wait until it is on disk (the session is ending: SIGTERM, logout)."""
        self.autosave.flush()

    @property
    def autosave_pending(self) -> bool:
        """A change waits for its journal write."""
        return self.autosave.pending

    def shutdown(self) -> None:
        """Stop the autosave timer and finish the journal write in flight (the window is closing)."""
        self.autosave.shutdown()
        self.guard.release()
        self.guard.release_journal()

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
