"""Copy keeps attribution: a selection copied from the transcript says who spoke and when.

Each paragraph the selection touches becomes one line, "[00:06] Dr. Amal Osei: We found ...", with the
time of the first selected word of that paragraph and only the selected text; a paragraph without a
speaker is "[00:06] We found ...". The same goes on the clipboard as HTML (time in grey, name in bold)
so that a word processor keeps the look. The bare words are Ctrl+Shift+C (`TranscriptEditor.copy_plain`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QTextCursor

from app.core.document import Transcript
from app.core.timecode import format_clock
from app.core.word_units import UNIT_SEPARATOR
from app.ui.transcript_render import TranscriptLayout


@dataclass(frozen=True, slots=True)
class QuotedParagraph:
    """The selected part of one paragraph: its first selected word's time, the speaker's name, the text."""

    start_ms: int
    speaker: str
    text: str


def selected_paragraphs(doc: Transcript | None, layout: TranscriptLayout, start: int, end: int
                        ) -> list[QuotedParagraph]:
    """The paragraphs that text positions [start, end) touch, each cut to the selected text."""
    out: list[QuotedParagraph] = []
    if doc is None or start >= end:
        return out
    block = layout.qdoc.findBlock(start)
    while block.isValid() and block.position() < end:
        lo = max(start, block.position()) - block.position()
        hi = min(end, block.position() + block.length() - 1) - block.position()
        text = block.text()[lo:hi].replace(UNIT_SEPARATOR, "").strip()
        seg = layout.segment_at_block(block.blockNumber())
        if text and seg is not None:
            first = layout.word_at_position(block.position() + lo)
            span = layout.word_span(first) if first >= 0 else None
            if span is not None and span[1] <= block.position() + lo:
                first += 1  # the selection starts in the space after this word
            first = min(max(first, seg.start), seg.end - 1)
            out.append(QuotedParagraph(doc.words[first].start_ms, doc.speaker_name(seg.speaker), text))
        block = block.next()
    return out


def plain_text(paragraphs: list[QuotedParagraph]) -> str:
    """'[00:06] Dr. Amal Osei: We found ...', one line per paragraph."""
    return "\n".join(f"[{format_clock(p.start_ms)}] " + (f"{p.speaker}: " if p.speaker else "") + p.text
                     for p in paragraphs)


def html_text(paragraphs: list[QuotedParagraph]) -> str:
    """The same as HTML: one <p> per paragraph, the time grey, the name bold."""
    rows = []
    for p in paragraphs:
        who = f"<b>{html.escape(p.speaker)}:</b> " if p.speaker else ""
        stamp = f'<span style="color:#707070">[{format_clock(p.start_ms)}]</span>'
        rows.append(f"<p>{stamp} {who}{html.escape(p.text)}</p>")
    return "<html><body>" + "".join(rows) + "</body></html>"


def attributed_mime(doc: Transcript | None, layout: TranscriptLayout, cursor: QTextCursor) -> QMimeData:
    """The clipboard data for the editor's selection (empty when nothing is selected)."""
    data = QMimeData()
    paragraphs = selected_paragraphs(doc, layout, cursor.selectionStart(), cursor.selectionEnd())
    if paragraphs:
        data.setText(plain_text(paragraphs))
        data.setHtml(html_text(paragraphs))
    elif cursor.hasSelection():
        data.setText(cursor.selectedText().replace("\u2029", "\n").replace(UNIT_SEPARATOR, ""))
    return data
