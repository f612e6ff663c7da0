"""Word (.docx) export with real, named styles so that an editor can restyle the whole transcript at once.

Layout: the title (style "Title"); a details line (media name, date, duration; style "Transcript
Details", based on Normal); then one paragraph per speaker turn or paragraph (style "Transcript", based
on Normal) that starts with a `[hh:mm:ss]` stamp (character style "Timestamp"; on unless turned off)
and the speaker's name (character style "Speaker Name", bold), followed by the text.

Every page has a header with the recording's name and the date, and a footer "Page n of N" (Word
fields, so the numbers stay right after editing). With `line_numbers`, Word numbers the lines in the
margin, restarting on each page, as courts and legal departments ask for.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from app.core.exporters.common import ExportOptions, resolve_source, write_atomically
from app.core.exporters.docx_highlights import HighlightMarks
from app.core.exporters.text import paragraphs
from app.core.timecode import format_duration, format_stamp

BODY_STYLE = "Transcript"
DETAILS_STYLE = "Transcript Details"
SPEAKER_STYLE = "Speaker Name"
TIMESTAMP_STYLE = "Timestamp"

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Drop control characters that XML (and therefore Word) cannot hold."""
    return _NOT_XML.sub("", text)


def _styles(document: Any) -> dict[str, Any]:
    """Create (once) the custom styles this export uses and return them by name."""
    styles = document.styles
    normal = styles["Normal"]
    body = styles.add_style(BODY_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = normal
    body.quick_style = True
    body.paragraph_format.space_after = Pt(10)
    details = styles.add_style(DETAILS_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    details.base_style = normal
    details.quick_style = True
    details.font.italic = True
    details.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    details.paragraph_format.space_after = Pt(18)
    speaker = styles.add_style(SPEAKER_STYLE, WD_STYLE_TYPE.CHARACTER)
    speaker.quick_style = True
    speaker.font.bold = True
    stamp = styles.add_style(TIMESTAMP_STYLE, WD_STYLE_TYPE.CHARACTER)
    stamp.quick_style = True
    stamp.font.color.rgb = RGBColor(0x70, 0x70, 0x70)
    return {
        "Title": styles["Title"],
        BODY_STYLE: body,
        DETAILS_STYLE: details,
        SPEAKER_STYLE: speaker,
        TIMESTAMP_STYLE: stamp,
    }


def build_docx(source: Any, options: ExportOptions | None = None) -> Any:
    """A python-docx Document holding the transcript (not yet saved)."""
    doc, options = resolve_source(source, options)
    document = Document()
    st = _styles(document)
    title = options.title or options.media_name or "Transcript"
    document.core_properties.title = _xml_safe(title)
    document.add_paragraph(_xml_safe(title), style=st["Title"])

    duration = options.media_duration_ms if options.media_duration_ms is not None else doc.duration_ms
    date = options.date or _dt.date.today()
    details = [options.media_name or "", date.isoformat(), format_duration(duration)]
    document.add_paragraph(_xml_safe(" · ".join(d for d in details if d)), style=st[DETAILS_STYLE])

    # python-docx's `style=` looks the style up among all of them on every call (seconds for a long
    # interview); the ids are set on the XML directly, which is what that setter does in the end.
    _header_and_footer(document, options.media_name or title, date)
    if options.line_numbers:
        _number_lines(document)
    body_id, speaker_id, stamp_id = (st[n].style_id for n in (BODY_STYLE, SPEAKER_STYLE, TIMESTAMP_STYLE))
    stamps = options.timestamps is not False  # on by default: every paragraph says when it was said
    marks = HighlightMarks(document, doc)  # highlighted words shaded, notes as comments
    for seg_index, p in enumerate(paragraphs(doc, options.speakers)):
        para = document.add_paragraph()
        para._p.style = body_id
        if stamps:
            para.add_run(format_stamp(p.start_ms) + " ")._r.style = stamp_id
        if p.speaker:
            para.add_run(_xml_safe(f"{p.speaker}:"))._r.style = speaker_id
            para.add_run(" ")
        marks.add_text(para, seg_index, _xml_safe(p.text))
    marks.finish()
    return document


def _field(paragraph: Any, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) whose cached value is 1 until Word updates it."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    cached = OxmlElement("w:t")
    cached.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, cached, end):
        run._r.append(element)


def _header_and_footer(document: Any, name: str, date: _dt.date) -> None:
    """Header: the recording's name and the date; footer: "Page n of N", on every page."""
    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.text = _xml_safe(f"{name} \u00b7 {date.isoformat()}")
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _number_lines(document: Any) -> None:
    """Line numbers in the margin, every line, restarting on each page."""
    numbering = OxmlElement("w:lnNumType")
    numbering.set(qn("w:countBy"), "1")
    numbering.set(qn("w:restart"), "newPage")
    numbering.set(qn("w:distance"), "360")
    sect = document.sections[0]._sectPr
    # schema order: lnNumType comes before pgNumType/cols/docGrid; python-docx's default has pgSz, pgMar, cols...
    anchor = next((child for child in sect if child.tag in (qn("w:pgNumType"), qn("w:cols"), qn("w:docGrid"))), None)
    if anchor is not None:
        anchor.addprevious(numbering)
    else:
        sect.append(numbering)


def export_docx(source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None) -> Path:
    """Write a transcript or project as a Word document."""
    document = build_docx(source, options)
    return write_atomically(path, lambda tmp: document.save(str(tmp)))
