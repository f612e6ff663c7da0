"""Highlights: quotes a journalist marks on the transcript, each with a label (colour) and a note.

A highlight is anchored in time, not to word positions: it holds the span [start_ms, end_ms] of the
words it was made from, and its words are always those whose middle lies inside that span. So every
edit of the words keeps it right without bookkeeping: typing inside it replaces words inside the
span (new words get times inside it), deleting all its words leaves it with none (it is then gone
from the panel, the exports and the saved file) and undoing the deletion brings the words, and with
them the highlight, back.

The labels (Quote, Check, Follow up by default) are a table like the speakers: a highlight refers to
a label by id, so renaming a label or changing its colour changes every highlight that has it.
Changes go through the commands in `app.core.highlight_edits`, so undo covers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the document imports this module for its highlight set
    from app.core.document import Transcript, Word


@dataclass(frozen=True, slots=True)
class Label:
    """A kind of highlight: an id the highlights refer to, the name shown and a colour (#rrggbb)."""

    id: str
    name: str
    color: str


DEFAULT_LABELS: tuple[Label, ...] = (
    Label("quote", "Quote", "#ffd54f"),
    Label("check", "Check", "#ef9a9a"),
    Label("follow", "Follow up", "#90caf9"),
)


@dataclass(frozen=True, slots=True)
class Highlight:
    """A marked stretch of the interview: its words are those whose middle lies in [start_ms, end_ms]."""

    id: str
    start_ms: int
    end_ms: int
    label: str = "quote"
    note: str = ""


@dataclass(frozen=True, slots=True)
class HighlightSet:
    """The labels table and the highlights (kept sorted by start time), a value replaced as a whole."""

    labels: tuple[Label, ...] = DEFAULT_LABELS
    items: tuple[Highlight, ...] = field(default_factory=tuple)

    def label(self, label_id: str) -> Label | None:
        """The label row with this id (None when there is none)."""
        return next((lab for lab in self.labels if lab.id == label_id), None)

    def label_name(self, label_id: str) -> str:
        lab = self.label(label_id)
        return lab.name if lab is not None else label_id

    def label_color(self, label_id: str) -> str:
        lab = self.label(label_id)
        return lab.color if lab is not None else "#ffd54f"

    def get(self, highlight_id: str) -> Highlight | None:
        """The highlight with this id (None when there is none)."""
        return next((h for h in self.items if h.id == highlight_id), None)

    def new_id(self) -> str:
        """An id no highlight of this set uses (H1, H2, ...)."""
        used = {h.id for h in self.items}
        n = len(used) + 1
        while f"H{n}" in used:
            n += 1
        return f"H{n}"

    def new_label_id(self) -> str:
        """An id no label of this set uses (L1, L2, ...)."""
        used = {lab.id for lab in self.labels}
        n = 1
        while f"L{n}" in used:
            n += 1
        return f"L{n}"

    def with_items(self, items: Sequence[Highlight]) -> HighlightSet:
        """A copy holding `items`, sorted by start (then end, then id)."""
        return replace(self, items=tuple(sorted(items, key=lambda h: (h.start_ms, h.end_ms, h.id))))

    def with_labels(self, labels: Sequence[Label]) -> HighlightSet:
        return replace(self, labels=tuple(labels))


def word_middle_ms(word: Word) -> float:
    """The instant a word counts as being at (zero-length markers: their time)."""
    return (word.start_ms + word.end_ms) / 2


def words_in_span(doc: Transcript, start_ms: int, end_ms: int) -> tuple[int, int]:
    """The word range [i, j) whose middles lie in [start_ms, end_ms] (i == j when none do).

    Words are in time order, so the middles are too; a binary search keeps this cheap on long interviews.
    """
    words = doc.words
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi) // 2
        if word_middle_ms(words[mid]) < start_ms:
            lo = mid + 1
        else:
            hi = mid
    first = lo
    hi = len(words)
    while lo < hi:
        mid = (lo + hi) // 2
        if word_middle_ms(words[mid]) <= end_ms:
            lo = mid + 1
        else:
            hi = mid
    return first, max(first, lo)


def span_of_words(doc: Transcript, start: int, end: int) -> tuple[int, int]:
    """The time span [start_ms, end_ms] of the words [start, end) (a highlight made from them)."""
    words = doc.words
    return words[start].start_ms, max(w.end_ms for w in words[start:end])


def highlight_words(doc: Transcript, highlight: Highlight) -> tuple[int, int]:
    """The word range [i, j) a highlight covers now."""
    return words_in_span(doc, highlight.start_ms, highlight.end_ms)


def live_highlights(doc: Transcript) -> list[tuple[Highlight, int, int]]:
    """The highlights that still have words, with their word ranges, in time order."""
    out: list[tuple[Highlight, int, int]] = []
    for h in doc.highlights.items:
        i, j = highlight_words(doc, h)
        if j > i:
            out.append((h, i, j))
    return out


def highlights_at_word(doc: Transcript, index: int) -> list[Highlight]:
    """The highlights that include word `index`."""
    if not 0 <= index < len(doc):
        return []
    middle = word_middle_ms(doc.words[index])
    return [h for h in doc.highlights.items if h.start_ms <= middle <= h.end_ms]
