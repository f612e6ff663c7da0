"""Highlights in the full Word export: highlighted words shaded in their label's colour, with a comment.

`HighlightMarks.add_text` writes one paragraph's words in place of a single run: words inside a
highlight go in runs shaded with the label colour, and once every paragraph is written `finish`
anchors one Word comment per highlight ("Label: note") on its runs, so an editor sees why a passage
was marked right beside it.
"""

from __future__ import annotations

import re
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from app.core.document import Transcript
from app.core.highlights import Highlight, live_highlights
from app.core.word_units import join_words, needs_space

COMMENT_AUTHOR = "Verbatim"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shade(run: Any, color: str) -> None:
    """Give a run a background fill of `color` (#rrggbb): any colour, unlike Word's highlight palette."""
    props = run._r.get_or_add_rPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), color.lstrip("#").upper())
    props.append(shd)


def comment_text(doc: Transcript, highlight: Highlight) -> str:
    """What a highlight's comment says: its label, and its note when it has one."""
    label = doc.highlights.label_name(highlight.label)
    return f"{label}: {highlight.note}" if highlight.note else label


class HighlightMarks:
    """Writes paragraph text with highlight shading, then adds the comments (`finish`)."""

    def __init__(self, document: Any, doc: Transcript) -> None:
        self._document = document
        self._doc = doc
        self._segments = doc.segments()
        self._live = live_highlights(doc)
        self._owner: list[Highlight | None] = [None] * len(doc)
        for h, i, j in self._live:
            for k in range(i, j):
                if self._owner[k] is None:
                    self._owner[k] = h
        self._runs: dict[str, list[Any]] = {}

    def add_text(self, para: Any, segment_index: int, text: str) -> None:
        """Write segment `segment_index`'s words into `para` (`text` alone when nothing is highlighted)."""
        seg = self._segments[segment_index] if segment_index < len(self._segments) else None
        if seg is None or not self._live or all(self._owner[k] is None for k in range(seg.start, seg.end)):
            para.add_run(_NOT_XML.sub("", text))
            return
        words = self._doc.words
        k = seg.start
        while k < seg.end:
            owner = self._owner[k]
            stop = k
            while stop < seg.end and self._owner[stop] is owner:
                stop += 1
            chunk = join_words([words[x].text for x in range(k, stop)])
            if k > seg.start and needs_space(words[k - 1].text, words[k].text):
                para.add_run(" ")
            run = para.add_run(_NOT_XML.sub("", chunk))
            if owner is not None:
                shade(run, self._doc.highlights.label_color(owner.label))
                self._runs.setdefault(owner.id, []).append(run)
            k = stop

    def finish(self) -> None:
        """Anchor one comment per highlight on its runs."""
        for h, _, _ in self._live:
            runs = self._runs.get(h.id)
            if runs:
                self._document.add_comment(runs, text=_NOT_XML.sub("", comment_text(self._doc, h)),
                                           author=COMMENT_AUTHOR, initials="V")
