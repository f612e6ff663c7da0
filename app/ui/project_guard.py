"""The window's side of "one writer per project": the lock, the read-only fallback, the changed-on-disk check.

`ProjectGuard` holds this window's lock on its project and the stamp of the file as last read or written.
Opening a project another instance holds offers Read-Only, Open a Copy or Cancel; saving over a file
that changed on disk since it was opened asks Overwrite, Save As or Reload.
"""

from __future__ import annotations

import shutil
from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from app.core.errors import ProjectError
from app.core.project_lock import DiskStamp, LockOwner, ProjectLock


class OnDisk(Enum):
    """What to do about a project file that changed on disk since it was opened."""

    OVERWRITE = "overwrite"
    SAVE_AS = "save_as"
    RELOAD = "reload"
    CANCEL = "cancel"


def copy_name(path: Path) -> Path:
    """A free name beside `path` for a copy: `interview (copy).verbatim`, `interview (copy 2).verbatim`."""
    n = 1
    while True:
        suffix = " (copy)" if n == 1 else f" (copy {n})"
        candidate = path.with_name(f"{path.stem}{suffix}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


class ProjectGuard:
    """This window's lock and disk stamp for its project file."""

    def __init__(self, window: QWidget) -> None:
        self._window = window
        self.lock: ProjectLock | None = None
        self.stamp: DiskStamp | None = None
        self.read_only_owner: LockOwner | None = None
        self.journal_lock: ProjectLock | None = None  # an unsaved project's journal (keyed by the recording)

    @property
    def read_only(self) -> bool:
        return self.read_only_owner is not None

    def claim(self, path: Path) -> Path | None:
        """Lock `path` for this window before opening it. Returns the path to open (the project, or a
        fresh copy of it), or None when the person cancelled. Read-only when another instance holds it."""
        got = ProjectLock.acquire(path)
        if isinstance(got, ProjectLock):
            self._hold(got, None)
            return path
        box = QMessageBox(QMessageBox.Icon.Warning, "Project Already Open",
                          f"{path.name} is open in another Verbatim window ({got.describe()}). Open it "
                          "read-only here, or open a copy you can edit?", QMessageBox.StandardButton.Cancel,
                          self._window)
        read_only = box.addButton("Open Read-Only", QMessageBox.ButtonRole.AcceptRole)
        copy = box.addButton("Open a Copy", QMessageBox.ButtonRole.ActionRole)
        box.setDefaultButton(read_only)
        box.exec()
        clicked = box.clickedButton()
        if clicked is read_only:
            self._hold(None, got)
            return path
        if clicked is copy:
            target = copy_name(path)
            try:
                shutil.copyfile(path, target)
            except OSError as exc:
                raise ProjectError(f"Could not make a copy of {path.name}: {exc.strerror or exc}.") from None
            mine = ProjectLock.acquire(target)
            self._hold(mine if isinstance(mine, ProjectLock) else None, None)
            return target
        return None

    def _hold(self, lock: ProjectLock | None, owner: LockOwner | None) -> None:
        if self.lock is not None and lock is not None and self.lock.path == lock.path:
            self.lock, self.read_only_owner = lock, owner  # the same file again: keep the lock file
            return
        self.release()
        self.lock, self.read_only_owner = lock, owner

    def claim_for_save(self, path: Path) -> None:
        """Lock a new file before Save As writes it; ProjectError when another instance holds it."""
        if self.lock is not None and self.lock.project_path == path:
            return
        got = ProjectLock.acquire(path)
        if not isinstance(got, ProjectLock):
            raise ProjectError(f"{path.name} is open in another Verbatim window ({got.describe()}); "
                               "save under another name.")
        self._hold(got, None)

    def remember(self, path: Path | None) -> None:
        """Take the stamp of the file just read or written."""
        self.stamp = DiskStamp.of(path) if path is not None else None

    def changed_on_disk(self, path: Path) -> bool:
        """True when `path` is the file this window read and it changed (or vanished) since."""
        return self.stamp is not None and not self.stamp.still_matches(path)

    def ask_changed(self, path: Path) -> OnDisk:
        """Overwrite / Save As / Reload / Cancel for a file changed on disk."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Project Changed on Disk",
                          f"{path.name} was changed by another program since you opened it. Overwrite those "
                          "changes, save your version under another name, or reload the file from disk?",
                          QMessageBox.StandardButton.Cancel, self._window)
        buttons: dict[QAbstractButton, OnDisk] = {
            box.addButton("Overwrite", QMessageBox.ButtonRole.DestructiveRole): OnDisk.OVERWRITE,
            box.addButton("Save As...", QMessageBox.ButtonRole.AcceptRole): OnDisk.SAVE_AS,
            box.addButton("Reload", QMessageBox.ButtonRole.ResetRole): OnDisk.RELOAD,
        }
        box.exec()
        return buttons.get(box.clickedButton(), OnDisk.CANCEL)

    def claim_journal(self, journal_path: Path) -> bool:
        """Lock an unsaved project's journal for this instance; False when another instance writes it."""
        self.release_journal()
        got = ProjectLock.acquire(journal_path)
        if isinstance(got, ProjectLock):
            self.journal_lock = got
            return True
        return False

    def release_journal(self) -> None:
        """Give up the lock on an unsaved project's journal."""
        if self.journal_lock is not None:
            self.journal_lock.release()
        self.journal_lock = None

    def release(self) -> None:
        """Give the lock up (the project is closed or replaced)."""
        if self.lock is not None:
            self.lock.release()
        self.lock, self.read_only_owner = None, None
