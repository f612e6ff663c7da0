"""Verbatim JSON export: the whole transcript at full fidelity, for other tools and for re-import.

    {"format": "verbatim-transcript", "version": 1,
     "media": {"name": ..., "duration_ms": ...},
     "settings": {...}, "keywords": [...],
     "speakers": [{"id", "name", "color"}],
     "segments": [{"speaker", "speaker_name", "start_ms", "end_ms", "text",
                   "words": [{"text", "start_ms", "end_ms", "speaker", "confidence", "source"}]}]}

Speaker names are always kept here (JSON is the lossless format); the `speakers` option is ignored.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from app.core.document import Transcript, Word
from app.core.exporters.common import ExportOptions, resolve_source, write_text
from app.core.word_units import join_words

FORMAT_MARKER = "verbatim-transcript"
FORMAT_VERSION = 1


def _word(w: Word) -> dict[str, Any]:
    return {
        "text": w.text,
        "start_ms": w.start_ms,
        "end_ms": w.end_ms,
        "speaker": w.speaker,
        "confidence": w.confidence,
        "source": w.source.value,
    }


def transcript_to_dict(doc: Transcript, options: ExportOptions | None = None) -> dict[str, Any]:
    """The JSON-ready dictionary of a transcript (see the module docstring for the layout)."""
    options = options or ExportOptions()
    words = doc.words
    segments = []
    for seg in doc.segments():
        chunk = words[seg.start : seg.end]
        segments.append(
            {
                "speaker": seg.speaker,
                "speaker_name": doc.speaker_name(seg.speaker) or None,
                "start_ms": chunk[0].start_ms,
                "end_ms": max(w.end_ms for w in chunk),
                "text": join_words([w.text for w in chunk]),
                "words": [_word(w) for w in chunk],
            }
        )
    return {
        "format": FORMAT_MARKER,
        "version": FORMAT_VERSION,
        "media": {"name": options.media_name, "duration_ms": options.media_duration_ms},
        "settings": dataclasses.asdict(doc.settings),
        "keywords": list(doc.keywords),
        "speakers": [{"id": s.id, "name": s.name, "color": s.color} for s in doc.speakers],
        "segments": segments,
    }


def render_json(source: Any, options: ExportOptions | None = None) -> str:
    """The Verbatim JSON text of a transcript or project."""
    doc, options = resolve_source(source, options)
    return json.dumps(transcript_to_dict(doc, options), ensure_ascii=False, indent=1) + "\n"


def export_json(source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None) -> Path:
    """Write a transcript or project as Verbatim JSON."""
    return write_text(path, render_json(source, options))
