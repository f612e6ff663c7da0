"""Verbatim JSON import: our own export format, or a Verbatim project file (via `app.core.project`)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word, default_color
from app.core.errors import ImportExportError
from app.core.exporters.json_export import FORMAT_MARKER, FORMAT_VERSION
from app.core.json_checks import Invalid, loads_bounded, valid_text
from app.core.timecode import MAX_TIME_MS

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return valid_text(value)


def _speaker(raw: Any, index: int) -> Speaker:
    if not isinstance(raw, dict):
        raise ValueError("a speaker is not an object")
    sid = _text(raw["id"], "a speaker id").strip()
    if not sid:
        raise ValueError("a speaker has an empty id")
    name = _text(raw.get("name") or sid, "a speaker name")
    color = raw.get("color")
    if not (isinstance(color, str) and _HEX.fullmatch(color)):
        color = default_color(index)
    return Speaker(sid, name, color)


def _settings(raw: Any) -> TranscriptionSettings:
    if not isinstance(raw, dict):
        return TranscriptionSettings()
    known = {f.name for f in dataclasses.fields(TranscriptionSettings)}
    values = {}
    for key, value in raw.items():
        if key in known and value is not None:
            values[key] = _text(value, f"settings.{key}")
    return TranscriptionSettings(**values)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} is not a whole number of milliseconds")
    if value > MAX_TIME_MS:
        raise ValueError(f"{what} {value} ms lies beyond any recording")
    return value


def _word(raw: Any, fallback_speaker: str | None) -> Word:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise ValueError("a word has no text")
    text = valid_text(raw["text"])
    start, end = _int(raw.get("start_ms"), "start_ms"), _int(raw.get("end_ms"), "end_ms")
    confidence = raw.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0.0 <= confidence <= 1.0):
        raise ValueError("a confidence is not a number between 0 and 1")
    speaker = raw.get("speaker", fallback_speaker)
    if speaker is not None and not isinstance(speaker, str):
        raise ValueError("a speaker id is not text")
    source = TimingSource(raw.get("source", TimingSource.MODEL.value))
    return Word(text, start, max(end, start), speaker, confidence, source)


def transcript_from_dict(data: dict[str, Any], name: str = "the file") -> Transcript:
    """The Transcript in a Verbatim JSON export (the layout of `app.core.exporters.json_export`)."""
    version = data.get("version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise ImportExportError(f"{name} was written by a newer Verbatim (transcript format {version}).")
    try:
        speakers = [_speaker(s, i) for i, s in enumerate(data.get("speakers") or [])]
        words: list[Word] = []
        prev_speaker: object = object()
        for seg in data.get("segments") or []:
            seg_words = [_word(w, seg.get("speaker")) for w in seg.get("words") or []]
            if seg_words:
                # a paragraph break inside one speaker's turn; a speaker change breaks by itself
                seg_words[0] = seg_words[0].replace(starts_segment=bool(words) and seg_words[0].speaker == prev_speaker)
                prev_speaker = seg_words[-1].speaker
                words += seg_words
        settings = _settings(data.get("settings"))
        keywords = [_text(k, "a keyword") for k in data.get("keywords") or []]
    except KeyError as exc:
        raise ImportExportError(f"{name} is not a valid Verbatim transcript (the field {exc} is missing).") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ImportExportError(f"{name} is not a valid Verbatim transcript ({exc}).") from None
    return Transcript.from_words(words, speakers, keywords, settings)


def load_json(path: Path, text: str) -> Transcript:
    """A transcript from Verbatim JSON text: an exported transcript or a project file."""
    try:
        data = loads_bounded(text)
    except json.JSONDecodeError as exc:
        raise ImportExportError(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    except Invalid as exc:
        raise ImportExportError(f"{path.name} cannot be imported: {exc}.") from None
    if isinstance(data, dict) and data.get("format") == FORMAT_MARKER:
        return transcript_from_dict(data, path.name)
    if isinstance(data, dict) and "schema_version" in data:
        from app.core.project import project_from_dict

        return project_from_dict(data, path.parent).transcript
    raise ImportExportError(f"{path.name} is JSON but neither a Verbatim transcript nor a Verbatim project.")
