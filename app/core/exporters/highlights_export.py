"""Highlights only: a CSV for a spreadsheet, a plain-text list and a Word document of the marked quotes.

Every row holds start, end, speaker, label, note, the words and the quote check. The CSV uses
`HH:MM:SS.mmm` times, a header row and the csv module's quoting (UTF-8 with a BOM, so a spreadsheet
opens names with accents correctly).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.document import Transcript
from app.core.errors import ImportExportError
from app.core.exporters.common import ExportOptions, resolve_source, write_atomically, write_text
from app.core.highlights import live_highlights
from app.core.quotes import QuoteStyle, check_quote, format_quote
from app.core.timecode import format_clock, format_timecode
from app.core.word_units import join_words

CSV_HEADER = ("start", "end", "speaker", "label", "note", "text", "check")
HIGHLIGHT_FORMATS = ("docx", "txt", "csv")


@dataclass(frozen=True, slots=True)
class HighlightRow:
    """One highlight ready to write."""

    start_ms: int
    end_ms: int
    speaker: str
    label: str
    color: str
    note: str
    text: str
    check: str  # why it needs checking against the audio ('' when it does not)
    quote: str  # the house-style quote


def highlight_rows(doc: Transcript, style: QuoteStyle | None = None) -> list[HighlightRow]:
    """The highlights that still have words, in time order."""
    rows = []
    for h, i, j in live_highlights(doc):
        words = doc.words[i:j]
        names: list[str] = []
        for w in words:
            name = doc.speaker_name(w.speaker)
            if name and name not in names:
                names.append(name)
        hs = doc.highlights
        rows.append(HighlightRow(
            words[0].start_ms, max(w.end_ms for w in words), " / ".join(names), hs.label_name(h.label),
            hs.label_color(h.label), h.note, join_words([w.text for w in words]), check_quote(doc, i, j).reasons(),
            format_quote(doc, i, j, style)))
    return rows


def _rows(source: Any, style: QuoteStyle | None) -> tuple[list[HighlightRow], ExportOptions]:
    doc, options = resolve_source(source, None)
    rows = highlight_rows(doc, style)
    if not rows:
        raise ImportExportError("The project has no highlights to export; mark some quotes first.")
    return rows, options


def render_highlights_csv(source: Any, style: QuoteStyle | None = None) -> str:
    rows, _ = _rows(source, style)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([format_timecode(r.start_ms), format_timecode(r.end_ms), r.speaker, r.label, r.note,
                         r.text, r.check])
    return out.getvalue()


def render_highlights_text(source: Any, style: QuoteStyle | None = None) -> str:
    """One block per highlight: time, label and speaker; the house-style quote; the note; the check."""
    rows, options = _rows(source, style)
    title = f"Highlights: {options.media_name}" if options.media_name else "Highlights"
    blocks = [title]
    for r in rows:
        head = f"[{format_clock(r.start_ms)} - {format_clock(r.end_ms)}] {r.label} \u00b7 {r.speaker}"
        lines = [head.rstrip(" \u00b7"), r.quote]
        if r.note:
            lines.append(f"Note: {r.note}")
        if r.check:
            lines.append(f"Check against audio: {r.check}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def build_highlights_docx(source: Any, style: QuoteStyle | None = None) -> Any:
    """A python-docx Document listing the highlights (title, then per highlight a heading, quote, note)."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    from app.core.exporters.docx_highlights import shade

    rows, options = _rows(source, style)
    document = Document()
    title = f"Highlights: {options.media_name}" if options.media_name else "Highlights"
    document.core_properties.title = title
    document.add_paragraph(title, style="Title")
    for r in rows:
        head = document.add_paragraph(style="Heading 2")
        head.add_run(f"{r.label} \u00b7 {format_clock(r.start_ms)}\u2013{format_clock(r.end_ms)}")
        if r.speaker:
            head.add_run(f" \u00b7 {r.speaker}")
        quote = document.add_paragraph()
        for k, line in enumerate(r.quote.split("\n")):
            if k:
                quote.add_run().add_break()
            shade(quote.add_run(line), r.color)
        if r.note:
            note = document.add_paragraph()
            note.add_run("Note: ").bold = True
            note.add_run(r.note).italic = True
        if r.check:
            warn = document.add_paragraph().add_run(f"Check against audio: {r.check}")
            warn.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
            warn.font.size = Pt(9)
    return document


def export_highlights(fmt: str, source: Any, path: str | os.PathLike[str], style: QuoteStyle | None = None) -> Path:
    """Write the highlights of a transcript or project as docx, txt or csv."""
    fmt = fmt.lower().lstrip(".")
    writers: dict[str, Callable[[], Path]] = {
        "csv": lambda: write_text(path, "\ufeff" + render_highlights_csv(source, style)),
        "txt": lambda: write_text(path, render_highlights_text(source, style)),
        "docx": lambda: _save_docx(build_highlights_docx(source, style), path),
    }
    if fmt not in writers:
        raise ImportExportError(f'Highlights export as "{fmt}" is not possible; choose docx, txt or csv.')
    project_path = getattr(source, "path", None)
    if project_path is not None and Path(path).resolve() == Path(project_path).resolve():
        raise ImportExportError("The export would overwrite the project itself; choose another output file.")
    return writers[fmt]()


def _save_docx(document: Any, path: str | os.PathLike[str]) -> Path:
    return write_atomically(path, lambda tmp: document.save(str(tmp)))
