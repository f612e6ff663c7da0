"""SubRip (.srt) export: numbered cues, `HH:MM:SS,mmm` times, "Name:" where the speaker changes."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.cues import Cue, build_cues
from app.core.document import Transcript
from app.core.exporters.common import ExportOptions, resolve_source, write_text
from app.core.timecode import format_srt


def srt_cues(doc: Transcript, options: ExportOptions) -> list[Cue]:
    """The cues an SRT export shows (speaker prefixes when speakers are wanted)."""
    rules = replace(options.cue_rules, speaker_prefix=options.speakers)
    return build_cues(doc.words, rules, doc.speaker_name, options.media_duration_ms)


def render_srt(source: Any, options: ExportOptions | None = None) -> str:
    """The SRT text of a transcript or project."""
    doc, options = resolve_source(source, options)
    blocks = [
        f"{n}\n{format_srt(c.start_ms)} --> {format_srt(c.end_ms)}\n{c.text}\n"
        for n, c in enumerate(srt_cues(doc, options), start=1)
    ]
    return "\n".join(blocks)


def export_srt(source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None) -> Path:
    """Write a transcript or project as an SRT file."""
    return write_text(path, render_srt(source, options))
