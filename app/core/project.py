"""Project files: one JSON file per interview, written atomically and read back with strict checks.

Layout (schema 2)::

    {
      "app": "verbatim",
      "schema_version": 2,
      "media": {"path": "../audio/interview.wav", "absolute_path": "/home/me/audio/interview.wav",
                "fingerprint": "sha256:...", "duration_ms": 3600000},
      "settings": {"model": "...", "revision": "...", "language": "en", "task": "transcribe",
                   "target_language": null, "device": "cuda"},
      "keywords": ["Granite", "Mayor Okafor"],
      "speakers": [{"id": "S1", "name": "Interviewer", "color": "#1f77b4"}],
      "words": [{"t": "Hello,", "s": 120, "e": 480, "spk": "S1", "c": 0.93, "src": "model", "p": true}]
    }

Schema 2 adds "highlights" (labels and marked time spans, see `app.core.highlights_io`); a schema-1
file is migrated on reading (no highlights, the default labels).

Segments are not stored separately: a speaker change or a word with `"p": true` starts one, exactly as
`Transcript.segments()` derives them. Schema 2 is schema 1 plus automatic paragraph breaks: a schema-1
file is read as before and then given the breaks a new transcription gets (`app.core.paragraphs`).
The media path is stored relative to the project folder where
possible and also absolutely, so the recording is found after moving either the folder or the project.
Nothing in a file is ever executed: it is plain JSON checked field by field, and any surprise (an
unknown key, a string where a number belongs) is a `ProjectError`.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word
from app.core.errors import ProjectError
from app.core.highlights_io import HIGHLIGHTS_KEY, highlights_from_data, highlights_to_dict, migrate_schema_1
from app.core.json_checks import (
    Invalid,
    check_keys,
    get_int,
    get_list,
    get_object,
    get_opt_str,
    get_str,
    parse_json_strict,
)
from app.core.timecode import MAX_TIME_MS

SCHEMA_VERSION = 2
APP_MARKER = "verbatim"
PROJECT_SUFFIX = ".verbatim"

_TOP_KEYS = {"app", "schema_version", "media", "settings", "keywords", "speakers", "words", HIGHLIGHTS_KEY}
_MEDIA_KEYS = {"path", "absolute_path", "fingerprint", "duration_ms"}
_SETTINGS_KEYS = {"model", "revision", "language", "task", "target_language", "device"}
_SPEAKER_KEYS = {"id", "name", "color"}
_WORD_KEYS = {"t", "s", "e", "spk", "c", "src", "p"}
_SOURCES = {s.value: s for s in TimingSource}


@dataclass
class Project:
    """An interview being worked on: the transcript, the recording it belongs to and where it is saved."""

    transcript: Transcript
    media_path: Path | None = None
    media_fingerprint: str | None = None
    media_duration_ms: int | None = None
    path: Path | None = None


# -- writing -----------------------------------------------------------------------------------


def project_to_dict(project: Project, base_dir: Path | None) -> dict[str, Any]:
    """The JSON-ready form of `project`; the media path is made relative to `base_dir` where possible."""
    doc = project.transcript
    s = doc.settings
    return {
        "app": APP_MARKER,
        "schema_version": SCHEMA_VERSION,
        "media": _media_to_dict(project, base_dir),
        "settings": {
            "model": s.model,
            "revision": s.revision,
            "language": s.language,
            "task": s.task,
            "target_language": s.target_language,
            "device": s.device,
        },
        "keywords": list(doc.keywords),
        "speakers": [{"id": sp.id, "name": sp.name, "color": sp.color} for sp in doc.speakers],
        "words": [_word_to_dict(w) for w in doc.words],
        HIGHLIGHTS_KEY: highlights_to_dict(doc),
    }


def _media_to_dict(project: Project, base_dir: Path | None) -> dict[str, Any]:
    path = project.media_path
    stored: str | None = None
    absolute: str | None = None
    if path is not None:
        absolute = os.path.abspath(path)
        stored = absolute
        if base_dir is not None:
            try:
                stored = Path(os.path.relpath(absolute, os.path.abspath(base_dir))).as_posix()
            except ValueError:  # another drive on Windows: no relative path exists
                stored = absolute
    return {
        "path": stored,
        "absolute_path": absolute,
        "fingerprint": project.media_fingerprint,
        "duration_ms": None if project.media_duration_ms is None else _ms(project.media_duration_ms),
    }


def _ms(value: Any) -> int:
    # numpy integers or floats from an engine would not serialise (or not load back): store whole ms
    return int(round(float(value)))


def _word_to_dict(w: Word) -> dict[str, Any]:
    d: dict[str, Any] = {"t": str(w.text), "s": _ms(w.start_ms), "e": _ms(w.end_ms), "spk": w.speaker}
    if w.confidence is not None:
        d["c"] = min(1.0, max(0.0, float(w.confidence)))
    d["src"] = w.source.value
    if w.starts_segment:
        d["p"] = True
    return d


_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # one encoder: json.dumps with options
# builds a new one per call, which made autosaving a 20,000-word interview take ~100 ms on the GUI thread


def dumps_project(data: Mapping[str, Any]) -> str:
    """JSON text of a project dict: readable, one word and one speaker per line."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = ",\n".join("    " + _ROW_ENCODER.encode(v) for v in value)
            text = "[\n" + rows + "\n  ]"
        elif isinstance(value, list):
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        else:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=2).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that a crash leaves either the old file or the new one, never half of one.

    A temporary file beside the target is written, flushed and fsynced, then renamed over the target
    and the folder is fsynced where the platform allows it. Raises ProjectError on any OS failure and
    removes the temporary file.
    """
    path = Path(path)
    folder = path.parent
    remove_stale_temporaries(path)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    data = text.encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise ProjectError(f"Could not save {path.name} in {folder}: {exc.strerror or exc}.") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)  # keep the permissions of the file we replace
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ProjectError(f"Could not save {path.name} in {folder}: {exc.strerror or exc}.") from exc
        raise
    _fsync_folder(folder)


_LEGACY_TMP_AGE_S = 60.0  # temporaries without a pid (older versions): stale after this long


def remove_stale_temporaries(path: Path) -> int:
    """Delete the temporary files that killed saves of `path` left beside it; returns how many.

    A temporary is `.NAME.PID.XXXXXXXX.tmp`: it is stale when process PID no longer runs (a save in
    flight in a live process is never touched). Nothing but this file's own temporaries is matched.
    """
    from app.core.project_lock import pid_alive

    path = Path(path)
    pattern = re.compile(r"\." + re.escape(path.name) + r"\.(?:(\d+)\.)?[0-9a-f]{8}\.tmp")
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None:
            continue
        try:
            if m.group(1) is not None:
                stale = int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1)))
            else:
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > _LEGACY_TMP_AGE_S
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        except (OSError, ValueError):
            continue
    return removed


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; the rename is as durable as it gets there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Save `project` to `path` atomically and set `project.path` to it. Raises ProjectError on failure."""
    target = Path(path)
    try:
        text = dumps_project(project_to_dict(project, target.parent))
    except (TypeError, ValueError) as exc:
        raise ProjectError(
            f"Could not save {target.name}: the transcript holds a value that cannot be stored ({exc})."
        ) from None
    write_atomically(target, text)
    project.path = target


# -- reading -----------------------------------------------------------------------------------


def project_from_dict(data: Any, base_dir: Path | None) -> Project:
    """A Project from its JSON form; relative media paths are resolved against `base_dir`.

    Raises ProjectError (one sentence) for anything that is not a valid Verbatim project of this
    schema or an older one. `Project.path` is left None: `load_project` sets it.
    """
    _check_header(data, "The data")
    try:
        return _parse(data, base_dir)
    except Invalid as exc:
        raise ProjectError(f"The project data is invalid: {exc}.") from None


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file. Raises ProjectError with one clear sentence; never modifies the file."""
    from app.core.input_checks import check_input_file

    p = Path(path)
    name = p.name
    check_input_file(p, "project")  # a folder, a FIFO or a device is refused before anything reads it
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"The project file {p} does not exist.") from None
    except IsADirectoryError:
        raise ProjectError(f"{p} is a folder, not a project file.") from None
    except OSError as exc:
        raise ProjectError(f"The project file {p} cannot be read: {exc.strerror or exc}.") from None
    if not raw.strip():
        raise ProjectError(f"The project file {name} is empty.")
    try:
        data = parse_json_strict(raw)
    except Invalid as exc:
        raise ProjectError(f"The project file {name} is damaged or incomplete ({exc}).") from None
    _check_header(data, name)
    try:
        project = _parse(data, p.parent)
    except Invalid as exc:
        raise ProjectError(f"The project file {name} is damaged: {exc}.") from None
    project.path = p
    return project


def _check_header(data: Any, name: str) -> None:
    if not isinstance(data, dict) or data.get("app") != APP_MARKER:
        raise ProjectError(f"{name} is not a Verbatim project.")
    version = data.get("schema_version")
    if type(version) is not int or version < 1:
        raise ProjectError(f"{name} has no valid schema version, so it is not a readable Verbatim project.")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{name} was saved by a newer version of Verbatim (schema {version}); update Verbatim to open it."
        )


def _parse(data: dict[str, Any], base_dir: Path | None) -> Project:
    if data.get("schema_version") == 1:
        data = migrate_schema_1(data)
    check_keys(data, _TOP_KEYS, "", required={"app", "schema_version", "words"})
    media = get_object(data, "media", "", optional=True) or {}
    check_keys(media, _MEDIA_KEYS, "media")
    settings = _parse_settings(get_object(data, "settings", "", optional=True) or {})
    keywords = [
        _as_str(k, f"keywords[{i}]") for i, k in enumerate(get_list(data, "keywords", "", optional=True))
    ]
    speakers = [_parse_speaker(s, i) for i, s in enumerate(get_list(data, "speakers", "", optional=True))]
    ids = [s.id for s in speakers]
    if len(set(ids)) != len(ids):
        raise Invalid("two speakers share one id")
    words = [_parse_word(w, i) for i, w in enumerate(get_list(data, "words", ""))]
    words = _migrate_words(data["schema_version"], words)
    duration = get_int(media, "duration_ms", "media", optional=True)
    if duration is not None and (duration < 0 or duration > MAX_TIME_MS):
        raise Invalid("media.duration_ms is negative or beyond any recording")
    check_word_times(words, duration)
    transcript = Transcript.from_words(words, speakers, keywords, settings)
    transcript.set_highlights(highlights_from_data(data))
    return Project(
        transcript=transcript,
        media_path=_resolve_media(media, base_dir),
        media_fingerprint=get_opt_str(media, "fingerprint", "media"),
        media_duration_ms=duration,
    )


def _migrate_words(version: int, words: list[Word]) -> list[Word]:
    """Bring the words of an older schema up to this one (paragraph breaks came with schema 2)."""
    if version < 2:
        from app.core.paragraphs import migrate_schema1_words

        return migrate_schema1_words(words)
    return words


def check_word_times(words: list[Word], duration_ms: int | None) -> None:
    """Refuse words out of time order (Invalid names the first one).

    Words past the recording's stored length are kept: a recording may since have been salvaged from a
    cut copy, and refusing the project would lose the work. Every time is below MAX_TIME_MS already.
    """
    prev_start = -1
    for i, w in enumerate(words):
        if w.start_ms < prev_start:
            raise Invalid(f"words[{i}] starts before the word ahead of it (the words are out of time order)")
        prev_start = w.start_ms


def _resolve_media(media: dict[str, Any], base_dir: Path | None) -> Path | None:
    stored = get_opt_str(media, "path", "media")
    absolute = get_opt_str(media, "absolute_path", "media")
    if stored is None:
        return Path(absolute) if absolute else None
    if "\x00" in stored or (absolute and "\x00" in absolute):
        raise Invalid("media.path holds a NUL character")
    candidate = Path(stored)
    if not candidate.is_absolute() and base_dir is not None:
        candidate = Path(os.path.normpath(Path(base_dir) / candidate))
    if candidate.exists() or not absolute:
        return candidate
    # the relative path leads nowhere: keep the last known absolute place (found again when the drive is
    # back), so that saving the project now does not overwrite it with a guess
    return Path(absolute)


def _parse_settings(d: dict[str, Any]) -> TranscriptionSettings:
    check_keys(d, _SETTINGS_KEYS, "settings")
    default = TranscriptionSettings()
    return TranscriptionSettings(
        model=get_str(d, "model", "settings", default.model),
        revision=get_str(d, "revision", "settings", default.revision),
        language=get_str(d, "language", "settings", default.language),
        task=get_str(d, "task", "settings", default.task),
        target_language=get_opt_str(d, "target_language", "settings"),
        device=get_str(d, "device", "settings", default.device),
    )


def _parse_speaker(d: Any, i: int) -> Speaker:
    where = f"speakers[{i}]"
    if not isinstance(d, dict):
        raise Invalid(f"{where} is not an object")
    check_keys(d, _SPEAKER_KEYS, where, required=_SPEAKER_KEYS)
    sid, name, color = get_str(d, "id", where), get_str(d, "name", where), get_str(d, "color", where)
    if not sid:
        raise Invalid(f"{where} has an empty id")
    if not _is_hex_color(color):
        raise Invalid(f"{where} has a colour that is not of the form #rrggbb")
    return Speaker(sid, name, color)


def _is_hex_color(c: str) -> bool:
    return c.startswith("#") and len(c) in (4, 7, 9) and all(ch in "0123456789abcdefABCDEF" for ch in c[1:])


def _parse_word(d: Any, i: int) -> Word:
    where = f"words[{i}]"
    if not isinstance(d, dict):
        raise Invalid(f"{where} is not an object")
    check_keys(d, _WORD_KEYS, where, required={"t", "s", "e"})
    start, end = get_int(d, "s", where), get_int(d, "e", where)
    if start < 0 or end < 0:
        raise Invalid(f"{where} has a negative time")
    if end > MAX_TIME_MS:
        raise Invalid(f"{where} has a time beyond any recording ({end} ms)")
    if end < start:
        raise Invalid(f"{where} ends before it starts")
    conf = d.get("c")
    if conf is not None:
        if type(conf) not in (int, float) or not math.isfinite(conf) or not 0.0 <= conf <= 1.0:
            raise Invalid(f"{where} has a confidence that is not a number from 0 to 1")
        conf = float(conf)
    src = get_str(d, "src", where, TimingSource.MODEL.value)
    if src not in _SOURCES:
        raise Invalid(f"{where} has an unknown timing source {src!r}")
    p = d.get("p", False)
    if type(p) is not bool:
        raise Invalid(f"{where} has a paragraph flag that is not true or false")
    return Word(get_str(d, "t", where), start, end, get_opt_str(d, "spk", where), conf, _SOURCES[src], p)


def _as_str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise Invalid(f"{where} is not text")
    return v
