"""Verbatim JSON import: our own export format, or a Verbatim project file (via `app.core.project`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word, default_color
from app.core.errors import ImportExportError
from app.core.exporters.json_export import FORMAT_MARKER, FORMAT_VERSION


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} is not a whole number of milliseconds")
    return value


def _word(raw: Any, fallback_speaker: str | None) -> Word:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise ValueError("a word has no text")
    start, end = _int(raw.get("start_ms"), "start_ms"), _int(raw.get("end_ms"), "end_ms")
    confidence = raw.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))):
        raise ValueError("a confidence is not a number")
    speaker = raw.get("speaker", fallback_speaker)
    if speaker is not None and not isinstance(speaker, str):
        raise ValueError("a speaker id is not text")
    source = TimingSource(raw.get("source", TimingSource.MODEL.value))
    return Word(raw["text"], start, max(end, start), speaker, confidence, source)


def transcript_from_dict(data: dict[str, Any], name: str = "the file") -> Transcript:
    """The Transcript in a Verbatim JSON export (the layout of `app.core.exporters.json_export`)."""
    version = data.get("version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise ImportExportError(f"{name} was written by a newer Verbatim (transcript format {version}).")
    try:
        speakers = [
            Speaker(str(s["id"]), str(s.get("name") or s["id"]), str(s.get("color") or default_color(i)))
            for i, s in enumerate(data.get("speakers") or [])
        ]
        words: list[Word] = []
        prev_speaker: object = object()
        for seg in data.get("segments") or []:
            seg_words = [_word(w, seg.get("speaker")) for w in seg.get("words") or []]
            if seg_words:
                # a paragraph break inside one speaker's turn; a speaker change breaks by itself
                seg_words[0] = seg_words[0].replace(starts_segment=bool(words) and seg_words[0].speaker == prev_speaker)
                prev_speaker = seg_words[-1].speaker
                words += seg_words
        known = {f.name for f in dataclasses.fields(TranscriptionSettings)}
        settings = TranscriptionSettings(**{k: v for k, v in (data.get("settings") or {}).items() if k in known})
        keywords = [str(k) for k in data.get("keywords") or []]
    except KeyError as exc:
        raise ImportExportError(f"{name} is not a valid Verbatim transcript (the field {exc} is missing).") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ImportExportError(f"{name} is not a valid Verbatim transcript ({exc}).") from None
    return Transcript.from_words(words, speakers, keywords, settings)


def load_json(path: Path, text: str) -> Transcript:
    """A transcript from Verbatim JSON text: an exported transcript or a project file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportExportError(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None
    if isinstance(data, dict) and data.get("format") == FORMAT_MARKER:
        return transcript_from_dict(data, path.name)
    if isinstance(data, dict) and "schema_version" in data:
        from app.core.project import project_from_dict

        return project_from_dict(data, path.parent).transcript
    raise ImportExportError(f"{path.name} is JSON but neither a Verbatim transcript nor a Verbatim project.")
