"""Recovery journals: a copy of the open work written a few seconds after each change.

A saved project `interview.verbatim` gets its journal beside it, `interview.verbatim.recovery`. A project
that was never saved has its journal in the user data folder (`<user_data_dir("verbatim")>/recovery`),
named after the media fingerprint, so that the next start can offer it back (`find_orphan_journals`).
A journal is a project file in every respect (same JSON, same atomic write, same strict reading); the GUI
decides when to write it (debounced) and discards it after a successful save.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from app.core.errors import ProjectError
from app.core.project import Project, dumps_project, load_project, project_to_dict, write_atomically

JOURNAL_SUFFIX = ".recovery"
_UNSAVED_SUFFIX = ".verbatim" + JOURNAL_SUFFIX


def default_recovery_root() -> Path:
    """The folder that holds journals of projects that were never saved."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("verbatim", appauthor=False)) / "recovery"


def journal_path_for(project_path: Path | None, media_fingerprint: str | None, root: Path | None = None) -> Path:
    """Where the journal of a project lives (see the module docstring)."""
    if project_path is not None:
        project_path = Path(project_path)
        return project_path.with_name(project_path.name + JOURNAL_SUFFIX)
    key = re.sub(r"[^A-Za-z0-9_-]+", "-", media_fingerprint or "untitled").strip("-")[:120] or "untitled"
    return Path(root if root is not None else default_recovery_root()) / (key + _UNSAVED_SUFFIX)


class RecoveryJournal:
    """The recovery journal of one project (saved: `project_path` set; unsaved: keyed by fingerprint)."""

    def __init__(
        self,
        project_path: Path | None,
        media_fingerprint: str | None,
        root: Path | None = None,
    ) -> None:
        self.project_path = Path(project_path) if project_path is not None else None
        self.media_fingerprint = media_fingerprint
        self.path = journal_path_for(self.project_path, media_fingerprint, root)

    @classmethod
    def at(cls, journal_path: Path, project_path: Path | None = None) -> RecoveryJournal:
        """The journal stored at `journal_path` (used for journals found on disk)."""
        journal = cls.__new__(cls)
        journal.project_path = Path(project_path) if project_path is not None else None
        journal.media_fingerprint = None
        journal.path = Path(journal_path)
        return journal

    def __repr__(self) -> str:
        return f"RecoveryJournal({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    def write(self, project: Project) -> None:
        """Write the journal atomically (the same format as a project file). Raises ProjectError."""
        self.write_snapshot(self.snapshot(project))

    def snapshot(self, project: Project) -> dict[str, Any]:
        """The journal's content as plain data: cheap, so it can be taken on the GUI thread, and
        independent of later edits, so `write_snapshot` can run on another thread."""
        base_dir = self.project_path.parent if self.project_path is not None else None
        return project_to_dict(project, base_dir)

    def write_snapshot(self, data: dict[str, Any]) -> None:
        """Serialise and write a `snapshot` atomically (any thread). Raises ProjectError."""
        if self.project_path is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProjectError(
                    f"Could not create the recovery folder {self.path.parent}: {exc.strerror or exc}."
                ) from None
        write_atomically(self.path, dumps_project(data))

    def has_newer_than_project(self) -> bool:
        """True when the journal exists and is newer than the project file, or the project file is gone."""
        try:
            journal_mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            return False
        if self.project_path is None:
            return True
        try:
            project_mtime = os.stat(self.project_path).st_mtime_ns
        except OSError:
            return True
        return journal_mtime > project_mtime

    def load(self) -> Project:
        """The project as the journal holds it; its `path` is the real project file (or None if unsaved).

        Raises ProjectError when the journal is missing or damaged; the journal is left as it is.
        """
        if not self.exists():
            raise ProjectError(f"There is no recovery journal at {self.path}.")
        project = load_project(self.path)
        project.path = self.project_path
        return project

    def discard(self) -> None:
        """Delete the journal (after a save, or when the user declines recovery). Missing is fine."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ProjectError(f"Could not remove the recovery journal {self.path}: {exc.strerror or exc}.") from None


def instance_journal(project: Project, root: Path | None = None) -> RecoveryJournal:
    """A journal in the user data folder that belongs to this process alone: for a project opened
    read-only (another instance journals beside the file) and for an autosave that cannot write beside
    the project. It is found at the next start like the journal of a never-saved project. Two saved
    projects of one recording get two journals (their paths are part of the name): one's work never lands
    in the other's."""
    key = project.media_fingerprint or "untitled"
    if project.path is not None:
        key += "-" + hashlib.sha256(os.fsencode(os.path.abspath(project.path))).hexdigest()[:12]
    return RecoveryJournal(None, f"{key}-pid{os.getpid()}", root)


def _live_instance(name: str) -> bool:
    """True for the journal of another instance that still runs (see `instance_journal`)."""
    from app.core.project_lock import pid_alive

    m = re.search(r"-pid(\d+)" + re.escape(_UNSAVED_SUFFIX) + "$", name)
    return m is not None and int(m.group(1)) != os.getpid() and pid_alive(int(m.group(1)))


def find_orphan_journals(root: Path | None = None) -> list[RecoveryJournal]:
    """Journals of never-saved projects left in `root` (newest first), to offer at start-up; the
    per-instance journals of instances still running are not orphans."""
    folder = Path(root if root is not None else default_recovery_root())
    try:
        found = [p for p in folder.iterdir()
                 if p.name.endswith(_UNSAVED_SUFFIX) and p.is_file() and not _live_instance(p.name)]
    except OSError:
        return []
    stamped = []
    for p in found:
        try:
            stamped.append((p.stat().st_mtime_ns, p))
        except OSError:  # removed meanwhile
            continue
    stamped.sort(reverse=True)
    return [RecoveryJournal.at(p) for _, p in stamped]
