"""The transcript as a QTextDocument: one block per segment, words separated by spaces.

Chinese and Japanese word units are separated by a zero-width space instead (`app.core.word_units`),
so the text reads without spaces and each unit is still a token of its own.

The text document holds only the words (never speaker names or times: the editor paints those as
headers in each block's top margin). Block `n` always shows segment `n` of the transcript, and the
k-th run of characters between (zero-width) spaces in a block is word `segment.start + k`; `TranscriptLayout` keeps
that true across document changes by re-rendering only the blocks a change touched, maps word
indices to text positions and back, and works out which words a user's edit of the text replaces
and where the cursor belongs after a change. (Styles and headers: `app.ui.word_styles`.)
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QTextBlockFormat, QTextCursor, QTextDocument

from app.core.document import Change, Segment, Transcript, Word
from app.core.word_units import display_join, separator_tokens

_TOKEN = re.compile(r"[^\s\u200b]+")  # words; CJK units are shown apart by zero-width spaces


def token_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each token of `text` (separated by spaces or zero-width spaces)."""
    return [m.span() for m in _TOKEN.finditer(text)]


def segment_text(words: Sequence[Word], segment: Segment) -> str:
    """The block text of a segment: its words joined by single spaces (zero-width ones between CJK units)."""
    return display_join([words[i].text for i in range(segment.start, segment.end)])


def diff_segments(old: Sequence[Segment], new: Sequence[Segment], change: Change) -> tuple[int, int, int]:
    """The blocks a WORDS change touched: old segments [first, old_end) became new [first, new_end).

    Segments wholly before the change stay equal; segments wholly after it are equal once shifted by
    the change's size difference. Everything between is re-rendered.
    """
    start, stop = change.start, change.start + change.removed
    delta = change.inserted - change.removed
    limit = min(len(old), len(new))
    first = 0
    while first < limit and old[first].end <= start and old[first] == new[first]:
        first += 1
    tail = 0
    while tail < limit - first:
        o, n = old[len(old) - 1 - tail], new[len(new) - 1 - tail]
        if o.start < stop or Segment(o.start + delta, o.end + delta, o.speaker) != n:
            break
        tail += 1
    return first, len(old) - tail, len(new) - tail


class TranscriptLayout:
    """Keeps a QTextDocument in step with a Transcript and maps words to text positions."""

    def __init__(self, qdoc: QTextDocument) -> None:
        self.qdoc = qdoc
        self.doc: Transcript | None = None
        self.segments: list[Segment] = []
        self._seg_starts: list[int] = []
        self._block_format = QTextBlockFormat()

    # -- building -------------------------------------------------------------------------------

    def set_header_height(self, height: float) -> None:
        """Room above every block for its speaker/time header."""
        self._block_format = QTextBlockFormat()
        self._block_format.setTopMargin(height)
        self._block_format.setBottomMargin(height * 0.25)
        self._apply_formats()

    def _apply_formats(self) -> None:
        # Qt collapses the first block's top margin into the frame's: give the frame the room instead.
        root = self.qdoc.rootFrame()
        frame_format = root.frameFormat()
        frame_format.setTopMargin(self._block_format.topMargin() + self.qdoc.documentMargin())
        root.setFrameFormat(frame_format)
        cursor = QTextCursor(self.qdoc)
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.mergeBlockFormat(self._block_format)

    def render(self, doc: Transcript | None) -> None:
        """Rebuild the whole text document from `doc`."""
        self.doc = doc
        self._refresh_segments()
        words = doc.words if doc is not None else ()
        self.qdoc.setPlainText("\n".join(segment_text(words, s) for s in self.segments))
        self._apply_formats()

    def _refresh_segments(self, change: Change | None = None) -> None:
        fast = self._segments_after_inner_edit(change) if change is not None else None
        if fast is not None:
            self.segments = fast
        else:
            self.segments = list(self.doc.segments()) if self.doc is not None else []
        self._seg_starts = [s.start for s in self.segments]

    def _segments_after_inner_edit(self, change: Change) -> list[Segment] | None:
        """The new segments when `change` replaced words inside one segment without touching its
        boundaries (typing): O(segments) instead of the document's O(words) rebuild."""
        doc, segs = self.doc, self.segments
        if doc is None or not segs or change.inserted == 0:
            return None
        number = self.segment_index_of(change.start)
        seg = segs[number]
        stop = change.start + change.removed
        if stop > seg.end:
            return None
        words = doc.words
        new_end = seg.end + change.inserted - change.removed
        lo, hi = change.start, change.start + change.inserted
        if any(words[i].speaker != seg.speaker or (i > seg.start and words[i].starts_segment) for i in range(lo, hi)):
            return None
        first = words[seg.start]
        if seg.start > 0 and not first.starts_segment and words[seg.start - 1].speaker == first.speaker:
            return None  # the segment's first word lost what made it start a segment
        if new_end < len(words) and not words[new_end].starts_segment and words[new_end].speaker == seg.speaker:
            return None
        delta = change.inserted - change.removed
        return (segs[:number] + [Segment(seg.start, new_end, seg.speaker)]
                + [Segment(s.start + delta, s.end + delta, s.speaker) for s in segs[number + 1:]])

    def sync(self, change: Change, shown: Sequence[Segment] | None = None) -> tuple[int, int, list[int]]:
        """Re-render the blocks a WORDS change touched.

        Returns (first, end, kept): the blocks [first, end) now show the changed segments, and those in
        `kept` already showed the right words, so their text was left alone.

        `shown` describes what the text document shows now, one entry per block (default: the
        segments rendered last).
        """
        old = list(self.segments if shown is None else shown)
        self._refresh_segments(change if shown is None or len(shown) == len(self.segments) else None)
        first, old_end, new_end = diff_segments(old, self.segments, change)
        assert self.doc is not None
        words = self.doc.words
        texts = [segment_text(words, s) for s in self.segments[first:new_end]]
        # blocks at either end of the range that already show their text (a transcription run that
        # replaces everything but only appends, a speaker change) are kept rather than rebuilt
        kept: list[int] = []
        lead = 0
        same = min(len(texts), old_end - first)
        while lead < same and self.qdoc.findBlockByNumber(first + lead).text() == texts[lead]:
            kept.append(first + lead)
            lead += 1
        trail = 0
        while (trail < min(len(texts), old_end - first) - lead
               and self.qdoc.findBlockByNumber(old_end - 1 - trail).text() == texts[len(texts) - 1 - trail]):
            kept.append(new_end - 1 - trail)
            trail += 1
        inner = texts[lead:len(texts) - trail]
        kept += self.replace_blocks(first + lead, old_end - trail, inner, len(old))
        return first, new_end, kept

    def replace_blocks(self, first: int, old_end: int, texts: list[str], old_count: int) -> list[int]:
        """Replace blocks [first, old_end) of a document that showed `old_count` segments by `texts`.

        Returns the blocks left untouched because they showed the same words already (their text may
        differ in spacing only: the block someone is typing in keeps its trailing space).
        """
        kept: list[int] = []
        cursor = QTextCursor(self.qdoc)
        cursor.beginEditBlock()
        try:
            if old_end - first == len(texts):  # same shape: touch only blocks whose text differs
                for offset, text in enumerate(texts):
                    block = self.qdoc.findBlockByNumber(first + offset)
                    if separator_tokens(block.text()) == separator_tokens(text):
                        kept.append(first + offset)
                    else:
                        cursor.setPosition(block.position())
                        cursor.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
                        cursor.insertText(text)
            elif texts and old_end > first:
                cursor.setPosition(self.qdoc.findBlockByNumber(first).position())
                last = self.qdoc.findBlockByNumber(old_end - 1)
                cursor.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
                self._insert_paragraphs(cursor, texts)
            elif texts:  # pure insertion
                if old_count == 0:
                    cursor.select(QTextCursor.SelectionType.Document)
                    self._insert_paragraphs(cursor, texts)
                elif first < old_count:
                    cursor.setPosition(self.qdoc.findBlockByNumber(first).position())
                    for text in texts:
                        cursor.insertText(text)
                        cursor.insertBlock(self._block_format)
                else:
                    last = self.qdoc.findBlockByNumber(old_count - 1)
                    cursor.setPosition(last.position() + last.length() - 1)
                    for text in texts:
                        cursor.insertBlock(self._block_format)
                        cursor.insertText(text)
            elif old_end > first:  # pure removal
                if old_end < old_count:
                    cursor.setPosition(self.qdoc.findBlockByNumber(first).position())
                    cursor.setPosition(self.qdoc.findBlockByNumber(old_end).position(), QTextCursor.MoveMode.KeepAnchor)
                elif first > 0:
                    before = self.qdoc.findBlockByNumber(first - 1)
                    cursor.setPosition(before.position() + before.length() - 1)
                    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
                else:
                    cursor.select(QTextCursor.SelectionType.Document)
                cursor.removeSelectedText()
                cursor.setBlockFormat(self._block_format)
        finally:
            cursor.endEditBlock()
        return kept

    def _insert_paragraphs(self, cursor: QTextCursor, texts: list[str]) -> None:
        cursor.insertText(texts[0])
        cursor.setBlockFormat(self._block_format)
        for text in texts[1:]:
            cursor.insertBlock(self._block_format)
            cursor.insertText(text)

    def shown_texts(self, start: int, end: int) -> list[str]:
        """The texts the text document shows for words [start, end) of the segments rendered last."""
        out: list[str] = []
        if not self.segments or start >= end:
            return out
        number = self.segment_index_of(start)
        while number < len(self.segments) and self.segments[number].start < end:
            seg = self.segments[number]
            text = self.qdoc.findBlockByNumber(number).text()
            tokens = [text[a:b] for a, b in token_spans(text)]
            lo, hi = max(start, seg.start), min(end, seg.end)
            out.extend(tokens[lo - seg.start:hi - seg.start])
            number += 1
        return out

    def consistent(self) -> bool:
        """Whether the text document has one block per segment (an empty document: one empty block)."""
        return self.qdoc.blockCount() == max(1, len(self.segments))

    # -- mapping ----------------------------------------------------------------------------------

    def segment_index_of(self, word_index: int) -> int:
        """The segment (= block number) holding a word."""
        return max(0, bisect.bisect_right(self._seg_starts, word_index) - 1)

    def segment_at_block(self, block_number: int) -> Segment | None:
        return self.segments[block_number] if 0 <= block_number < len(self.segments) else None

    def word_span(self, index: int) -> tuple[int, int] | None:
        """Text positions [start, end) of word `index`, or None when it is not shown."""
        if not self.segments or not 0 <= index < self.segments[-1].end:
            return None
        seg_no = self.segment_index_of(index)
        block = self.qdoc.findBlockByNumber(seg_no)
        spans = token_spans(block.text())
        k = index - self.segments[seg_no].start
        if k >= len(spans):
            return None
        return block.position() + spans[k][0], block.position() + spans[k][1]

    def locate(self, position: int) -> tuple[int, int, int]:
        """(block number, token index, offset inside the token) at a text position.

        Between words the token is the one before the position (or the first at a block's start);
        the token index is -1 in a block with no words.
        """
        block = self.qdoc.findBlock(position)
        offset = position - block.position()
        spans = token_spans(block.text())
        if not spans:
            return block.blockNumber(), -1, 0
        k = max(0, bisect.bisect_right([a for a, _ in spans], offset) - 1)
        return block.blockNumber(), k, min(max(0, offset - spans[k][0]), spans[k][1] - spans[k][0])

    def word_at_position(self, position: int) -> int:
        """Index of the word at (or just before) a text position; -1 where there is none."""
        block_no, k, _ = self.locate(position)
        seg = self.segment_at_block(block_no)
        if seg is None or k < 0 or seg.start + k >= seg.end:
            return -1
        return seg.start + k

    def position_of(self, index: int, offset: int = 0) -> int:
        """The text position `offset` characters into word `index` (clamped to the document)."""
        span = self.word_span(min(index, self.segments[-1].end - 1) if self.segments else -1)
        if span is None:
            return 0
        return min(span[0] + max(0, offset), span[1])


@dataclass(frozen=True)
class EditPlan:
    """What a user's edit of the text view means for the document: ReplaceText(start, end, text, speaker).

    `shown` describes the text view after the edit (one entry per block) for `TranscriptLayout.sync`;
    `cursor` is where the text cursor sits, as (word index, offset in the word) of the new words.
    """

    start: int
    end: int
    text: str
    speaker: str | None
    shown: list[Segment]
    cursor: tuple[int, int]
    blocks_changed: bool


def _cursor_in_blocks(blocks: list[str], first_block: int, cursor_block: int, offset: int,
                      start: int) -> tuple[int, int]:
    before = 0
    for i, text in enumerate(blocks):
        spans = token_spans(text)
        if cursor_block == first_block + i:
            k = max([j for j, (a, _) in enumerate(spans) if a <= offset], default=0)
            return start + before + k, max(0, offset - spans[k][0]) if spans else 0
        before += len(spans)
    return start, 0


def plan_edit(layout: TranscriptLayout, position: int, cursor_position: int, default_speaker: str | None) -> EditPlan:
    """The edit the text view now shows, given a change at `position` and the segments rendered last.

    Typing never adds blocks (Enter and pasted line breaks are handled before they reach the text),
    so fewer blocks than segments means the edit joined paragraphs: their words are replaced together
    and new words take the first paragraph's speaker. More blocks (should not happen) are read back
    as one paragraph.
    """
    qdoc, segs = layout.qdoc, layout.segments
    b = qdoc.findBlock(position).blockNumber()
    extra = qdoc.blockCount() - max(1, len(segs))
    blocks = [qdoc.findBlockByNumber(b + i).text() for i in range(max(0, extra) + 1)]
    if not segs:
        start = end = 0
        speaker, shown = default_speaker, []
    else:
        last = min(len(segs) - 1, b + max(0, -extra))
        start, end = segs[b].start, segs[last].end
        speaker = segs[b].speaker if last > b else None
        shown = segs[:b] + [Segment(start, end, segs[b].speaker)] * (max(0, extra) + 1) + segs[last + 1:]
    cursor_block = qdoc.findBlock(cursor_position)
    cursor = _cursor_in_blocks(blocks, b, cursor_block.blockNumber(), cursor_position - cursor_block.position(), start)
    return EditPlan(start, end, " ".join(blocks), speaker, shown, cursor, extra != 0)


def cursor_after_change(layout: TranscriptLayout, position: int, change: Change) -> tuple[int, int]:
    """(word, offset) a cursor at `position` (in the blocks rendered last) should keep after `change`."""
    block_no, k, inner = layout.locate(position)
    seg = layout.segment_at_block(block_no)
    if seg is None or k < 0:
        return 0, 0
    word = seg.start + k
    if word < change.start:
        return word, inner
    if word >= change.start + change.removed:
        return word + change.inserted - change.removed, inner
    return change.start + min(word - change.start, max(0, change.inserted - 1)), inner


def changed_end(start: int, old_texts: Sequence[str], new_texts: Sequence[str]) -> tuple[int, int]:
    """(word, offset) just after the last word whose text changed when `old_texts` at `start` became
    `new_texts`: where undo and redo leave the cursor. With no text changed, the range's start."""
    p = 0
    while p < min(len(old_texts), len(new_texts)) and old_texts[p] == new_texts[p]:
        p += 1
    q = 0
    while q < min(len(old_texts), len(new_texts)) - p and old_texts[-1 - q] == new_texts[-1 - q]:
        q += 1
    if len(new_texts) - q > p:
        return start + len(new_texts) - 1 - q, 1 << 30
    if len(old_texts) == len(new_texts):
        return start, 0
    return start + p, 0
