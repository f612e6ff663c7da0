"""Importers: a Transcript from an SRT, WebVTT or Verbatim JSON file (an export or a project file).

`import_transcript(path)` picks the format by extension (.srt, .vtt, .json, .verbatim) and, for any
other name, by the content. Every problem a file can have gives `ImportExportError` with one sentence.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.document import Transcript
from app.core.importers.json_import import load_json, transcript_from_dict
from app.core.importers.reading import read_text
from app.core.importers.subtitles import RawCue, cues_to_transcript, parse_srt_text, parse_vtt_text

IMPORT_EXTENSIONS = (".srt", ".vtt", ".json", ".verbatim")


def _sniff(text: str) -> str:
    head = text.lstrip("\ufeff \t\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") or head.startswith("["):
        return "json"
    return "srt"


def import_transcript(path: str | os.PathLike[str]) -> Transcript:
    """Read a transcript file; SRT/WebVTT words are spread over their cues (timing source INTERPOLATED)."""
    p = Path(path)
    text = read_text(p)
    kind = {".srt": "srt", ".vtt": "vtt", ".json": "json", ".verbatim": "json"}.get(p.suffix.lower()) or _sniff(text)
    if kind == "json":
        return load_json(p, text)
    cues = parse_vtt_text(text, p.name) if kind == "vtt" else parse_srt_text(text, p.name)
    return cues_to_transcript(cues, p.name)


__all__ = [
    "IMPORT_EXTENSIONS",
    "RawCue",
    "cues_to_transcript",
    "import_transcript",
    "parse_srt_text",
    "parse_vtt_text",
    "read_text",
    "transcript_from_dict",
]
