"""Checks on paths before anything reads or writes them: the right kind of file, and inputs never overwritten.

`check_input_file` looks at what a path IS before any byte is read: a folder, a FIFO (reading one blocks
for ever), a socket or a device is refused with the right reason, as is a file this user cannot read.
`refuse_overwriting_inputs` stops a command from writing its output over one of its own inputs (the same
path, a symbolic link to it, or a hard link: the same inode), before any slow work starts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from app.core.errors import ImportExportError, MediaError, ProjectError, VerbatimError

_KINDS: dict[str, type[VerbatimError]] = {
    "recording": MediaError,
    "project": ProjectError,
    "transcript": ImportExportError,
}


def _what_it_is(mode: int) -> str | None:
    """A description for anything that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def check_input_file(path: str | os.PathLike[str], what: str = "recording") -> Path:
    """`path` as a Path when it is a readable, non-empty regular file; else the error of kind `what`
    ("recording", "project" or "transcript") with one sentence."""
    error = _KINDS.get(what, VerbatimError)
    p = Path(path)
    if "\x00" in str(p):
        raise error(f"The {what} path holds a NUL character.")
    try:
        st = os.stat(p)  # follows links: the link's target is what would be read
    except FileNotFoundError:
        if os.path.islink(p):
            raise error(f"{p} is a link to a file that does not exist.") from None
        raise error(f"{p} does not exist.") from None
    except PermissionError:
        raise error(f"{p} cannot be reached (permission denied on a folder above it).") from None
    except (OSError, ValueError) as exc:
        raise error(f"{p} cannot be used: {getattr(exc, 'strerror', None) or exc}.") from None
    kind = _what_it_is(st.st_mode)
    if kind is not None:
        raise error(f"{p.name} is {kind}, not a {what} file.")
    if not os.access(p, os.R_OK):
        raise error(f"{p.name} cannot be read (permission denied).")
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        os.close(fd)
    except OSError as exc:
        raise error(f"{p.name} cannot be read: {exc.strerror or exc}.") from None
    if st.st_size == 0:
        raise error(f"{p.name} is empty (0 bytes).")
    return p


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        pass
    try:
        return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def refuse_overwriting_inputs(output: str | os.PathLike[str],
                              inputs: Mapping[str, str | os.PathLike[str] | None]) -> None:
    """ImportExportError when `output` is (or links to) one of `inputs` ({"the recording": path, ...}).

    A dangling symbolic link as the output is refused too: writing through it would create a file
    somewhere the person did not choose.
    """
    out = Path(output)
    if os.path.islink(out) and not out.exists():
        raise ImportExportError(f"{out} is a link to a missing file; choose a plain output file name.")
    for label, source in inputs.items():
        if source is None:
            continue
        if _same_file(out, Path(source)):
            raise ImportExportError(
                f"Writing to {out.name} would overwrite {label}; choose another output file."
            )


def refuse_other_kind(output: str | os.PathLike[str], extension: str) -> None:
    """ImportExportError when `output` already exists as a file of another kind than `extension`
    (an SRT export never silently replaces a recording or a project)."""
    out = Path(output)
    if out.exists() and out.is_file() and out.suffix.lower() != extension.lower():
        raise ImportExportError(
            f"{out.name} already exists and is not a {extension} file; choose a name ending in {extension} "
            "or remove it first."
        )
