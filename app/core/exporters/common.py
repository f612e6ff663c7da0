"""What every exporter shares: its options, the document it writes, and a safe way to write the file."""

from __future__ import annotations

import datetime as _dt
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.cues import CueRules
from app.core.document import Transcript
from app.core.errors import ImportExportError


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Choices a person makes when exporting; media facts are filled from a Project when not given."""

    timestamps: bool | None = None  # DOCX/TXT: a [hh:mm:ss] stamp at each paragraph; None: the format's default
    speakers: bool = True  # speaker names (SRT prefix, WebVTT voice, DOCX/TXT name before each turn)
    title: str | None = None  # DOCX title; default: the media name
    media_name: str | None = None
    media_duration_ms: int | None = None
    date: _dt.date | None = None  # DOCX header date; default: today
    cue_rules: CueRules = field(default_factory=CueRules)
    line_numbers: bool = False  # DOCX: numbered lines in the margin (legal use)


def resolve_source(source: Any, options: ExportOptions | None) -> tuple[Transcript, ExportOptions]:
    """The transcript inside `source` (a Transcript or a Project) and options completed from it."""
    options = options or ExportOptions()
    if isinstance(source, Transcript):
        return source, options
    transcript = getattr(source, "transcript", None)
    if not isinstance(transcript, Transcript):
        raise ImportExportError(f"Only a transcript or a project can be exported, not {type(source).__name__}.")
    media_path = getattr(source, "media_path", None)
    duration = getattr(source, "media_duration_ms", None)
    if options.media_name is None and media_path is not None:
        options = replace(options, media_name=Path(media_path).name)
    if options.media_duration_ms is None and duration is not None:
        options = replace(options, media_duration_ms=int(duration))
    return transcript, options


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Have `write` fill a temporary file beside `path`, then move it into place (no half-written exports)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ImportExportError(f"Cannot write {target}: the folder {folder} does not exist.")
    if target.is_dir():
        raise ImportExportError(f"Cannot write {target}: it is a folder.")
    # a fresh name (not mkstemp) so that the file gets the usual permissions, not 0600
    tmp = folder / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise ImportExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text with LF line ends, atomically."""

    def _write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    return write_atomically(path, _write)
