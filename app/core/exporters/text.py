"""Plain text export: one paragraph per speaker turn ("Name: text"), paragraphs separated by a blank line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.document import Transcript
from app.core.exporters.common import ExportOptions, resolve_source, write_text
from app.core.timecode import format_stamp
from app.core.word_units import join_words


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One segment ready to print: its start time, speaker name ("" when unnamed or not wanted) and text."""

    start_ms: int
    speaker: str
    text: str


def paragraphs(doc: Transcript, speakers: bool = True) -> list[Paragraph]:
    """The document's segments as paragraphs (shared by the text and DOCX exporters)."""
    words = doc.words
    out: list[Paragraph] = []
    for seg in doc.segments():
        chunk = words[seg.start : seg.end]
        text = join_words([w.text for w in chunk])
        name = doc.speaker_name(seg.speaker) if speakers else ""
        out.append(Paragraph(chunk[0].start_ms, name, text))
    return out


def render_text(source: Any, options: ExportOptions | None = None) -> str:
    """The plain text of a transcript or project."""
    doc, options = resolve_source(source, options)
    lines = []
    # default: stamps when no paragraph names a speaker (then the time is what tells paragraphs apart)
    stamps = options.timestamps if options.timestamps is not None else not any(s.speaker for s in doc.segments())
    for p in paragraphs(doc, options.speakers):
        stamp = format_stamp(p.start_ms) + " " if stamps else ""
        who = f"{p.speaker}: " if p.speaker else ""
        lines.append(f"{stamp}{who}{p.text}\n")
    return "\n".join(lines)


def export_txt(source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None) -> Path:
    """Write a transcript or project as a UTF-8 text file."""
    return write_text(path, render_text(source, options))
