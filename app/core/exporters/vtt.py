"""WebVTT (.vtt) export: `WEBVTT` header, `HH:MM:SS.mmm` cue times, `<v Speaker Name>` voice spans."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.cues import Cue, build_cues
from app.core.document import Transcript
from app.core.exporters.common import ExportOptions, resolve_source, write_text
from app.core.timecode import format_vtt


def escape_vtt(text: str) -> str:
    """Escape the three characters WebVTT cue text reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_cues(doc: Transcript, options: ExportOptions) -> list[Cue]:
    """The cues a WebVTT export shows (speakers go in voice spans, never in the text)."""
    rules = replace(options.cue_rules, speaker_prefix=False)
    return build_cues(doc.words, rules, doc.speaker_name, options.media_duration_ms)


def _cue_text(doc: Transcript, cue: Cue, speakers: bool) -> str:
    text = "\n".join(escape_vtt(line) for line in cue.lines)
    name = doc.speaker_name(cue.speaker) if speakers else ""
    # the annotation runs to the next ">", so it must not hold a raw ">" (or a line break)
    name = " ".join(escape_vtt(name).split())
    return f"<v {name}>{text}" if name else text


def render_vtt(source: Any, options: ExportOptions | None = None) -> str:
    """The WebVTT text of a transcript or project; every cue with a speaker carries its voice span."""
    doc, options = resolve_source(source, options)
    parts = ["WEBVTT\n"]
    for c in vtt_cues(doc, options):
        parts.append(f"{format_vtt(c.start_ms)} --> {format_vtt(c.end_ms)}\n{_cue_text(doc, c, options.speakers)}\n")
    return "\n".join(parts)


def export_vtt(source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None) -> Path:
    """Write a transcript or project as a WebVTT file."""
    return write_text(path, render_vtt(source, options))
