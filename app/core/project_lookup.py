"""Find the project that belongs to a recording: the one saved beside it.

Opening `interview.m4a` when `interview.verbatim` sits beside it (or another project in that folder
whose media fingerprint is the recording's) should open that project, not an empty transcript.
Only the folder of the recording is looked at, only files with the project suffix, at most
`MAX_CANDIDATES` of them and none larger than `MAX_BYTES`; each is read as plain JSON (never executed)
and a file that cannot be read is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.project import APP_MARKER, PROJECT_SUFFIX

MAX_CANDIDATES = 200
MAX_BYTES = 64 << 20  # a 2-hour interview's project is a few MB


def _media_of(project: Path) -> tuple[str | None, Path | None]:
    """(fingerprint, media path) a project file names; (None, None) when it is not a readable project."""
    try:
        if project.stat().st_size > MAX_BYTES:
            return None, None
        data = json.loads(project.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict) or data.get("app") != APP_MARKER or not isinstance(data.get("media"), dict):
        return None, None
    media = data["media"]
    fingerprint = media.get("fingerprint") if isinstance(media.get("fingerprint"), str) else None
    stored = media.get("path") if isinstance(media.get("path"), str) else None
    path: Path | None = None
    if stored and "\x00" not in stored:
        candidate = Path(stored)
        path = candidate if candidate.is_absolute() else Path(os.path.normpath(project.parent / candidate))
    return fingerprint, path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def project_beside(recording: str | os.PathLike[str], fingerprint: str | None = None) -> Path | None:
    """The project saved beside `recording` for it, or None.

    First the project of the same name (`interview.verbatim` for `interview.m4a`) when it names this
    recording or its fingerprint; then any project in the folder whose fingerprint matches.
    """
    media = Path(recording)
    same_stem = media.with_suffix(PROJECT_SUFFIX)
    if same_stem.is_file():
        found, path = _media_of(same_stem)
        if (fingerprint is not None and found == fingerprint) or (path is not None and _same_file(path, media)):
            return same_stem
    if fingerprint is None:
        return None
    try:
        candidates = sorted(p for p in media.parent.iterdir() if p.suffix.lower() == PROJECT_SUFFIX and p != same_stem)
    except OSError:
        return None
    for candidate in candidates[:MAX_CANDIDATES]:
        if candidate.is_file() and _media_of(candidate)[0] == fingerprint:
            return candidate
    return None
