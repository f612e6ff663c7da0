"""One writer per project: a lock file beside the project, and the stamp that tells a file changed on disk.

`interview.verbatim` is locked by `interview.verbatim.lock`, a small JSON file naming the process that
holds it (pid, host, time). The file is created with O_EXCL, so two instances can never both believe they
hold it. A lock left by a process that no longer runs on this host is stale and is taken over; a lock
from another host is respected (that machine may still be working on a shared drive).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_SUFFIX = ".lock"
_MAX_LOCK_BYTES = 4096


@dataclass(frozen=True)
class LockOwner:
    """Who holds a project: a process on a host, since a time (seconds since the epoch)."""

    pid: int
    host: str
    since: float

    def describe(self) -> str:
        """"process 4121 on laptop since 14:02" for a sentence."""
        clock = time.strftime("%H:%M", time.localtime(self.since)) if self.since > 0 else "an unknown time"
        return f"process {self.pid} on {self.host or 'an unknown computer'} since {clock}"


def lock_path_for(project_path: Path) -> Path:
    """Where the lock of `project_path` lives."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.name + LOCK_SUFFIX)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (True when it cannot be told)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return True
    return True


def read_owner(lock: Path) -> LockOwner | None:
    """The owner written in a lock file; None when it is missing or unreadable (damaged)."""
    try:
        with open(lock, "rb") as f:
            raw = f.read(_MAX_LOCK_BYTES)
        data = json.loads(raw.decode("utf-8"))
        pid, host, since = data["pid"], data["host"], data["since"]
        if type(pid) is not int or not isinstance(host, str) or type(since) not in (int, float):
            return None
        return LockOwner(pid, host, float(since))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _is_stale(lock: Path, owner: LockOwner | None) -> bool:
    if owner is None:  # damaged or half-written: stale once it is older than a few seconds
        try:
            return time.time() - lock.stat().st_mtime > 5.0
        except OSError:
            return True
    return owner.host == socket.gethostname() and not pid_alive(owner.pid)


class ProjectLock:
    """The lock this process holds on one project file; `release` removes it (only if still ours)."""

    def __init__(self, project_path: Path, owner: LockOwner) -> None:
        self.project_path = Path(project_path)
        self.path = lock_path_for(self.project_path)
        self.owner = owner

    @classmethod
    def acquire(cls, project_path: Path) -> ProjectLock | LockOwner:
        """Take the lock; when another live process holds it, its `LockOwner` is returned instead.

        A folder that cannot be written to cannot hold a lock: the project is then treated as unlocked
        (the save itself will say why it fails).
        """
        lock = lock_path_for(Path(project_path))
        me = LockOwner(os.getpid(), socket.gethostname(), time.time())
        for _ in range(3):
            try:
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = read_owner(lock)
                if owner is not None and owner.pid == me.pid and owner.host == me.host:
                    return cls(project_path, owner)  # this process already holds it (another window)
                if not _is_stale(lock, owner):
                    return owner if owner is not None else LockOwner(0, "", 0.0)
                try:
                    lock.unlink()  # stale: take it over
                except FileNotFoundError:
                    pass
                except OSError:
                    return cls(project_path, me)
                continue
            except OSError:
                return cls(project_path, me)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"pid": me.pid, "host": me.host, "since": me.since}, f)
            return cls(project_path, me)
        owner = read_owner(lock)
        return owner if owner is not None else LockOwner(0, "", 0.0)

    def release(self) -> None:
        """Remove the lock file if it still names this process."""
        owner = read_owner(self.path)
        if owner is not None and owner.pid == self.owner.pid and owner.host == self.owner.host:
            try:
                self.path.unlink()
            except OSError:
                pass


@dataclass(frozen=True)
class DiskStamp:
    """A project file as it was when read or written: size, modification time and content hash."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> DiskStamp | None:
        """The stamp of `path` now; None when it does not exist or cannot be read."""
        try:
            st = os.stat(path)
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return None
        return cls(st.st_size, st.st_mtime_ns, h.hexdigest())

    def still_matches(self, path: Path) -> bool:
        """False when the file changed (content differs) or vanished since the stamp was taken."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        if st.st_size == self.size and st.st_mtime_ns == self.mtime_ns:
            return True
        now = DiskStamp.of(path)
        return now is not None and now.sha256 == self.sha256
