"""Undoable commands on highlights and their labels (same `Command` protocol as `app.core.edits`).

Each command computes the new `HighlightSet` once, on its first `apply`, and swaps it in with
`Transcript.set_highlights`; `revert` puts the old set back, so redo reproduces exactly what was seen.
"""

from __future__ import annotations

from app.core.document import Transcript
from app.core.errors import EditError
from app.core.highlights import Highlight, HighlightSet, Label, span_of_words, words_in_span
from app.core.history import Command

__all__ = [
    "AddHighlight", "RemoveHighlight", "SetHighlightNote", "SetHighlightLabel", "AddLabel", "RenameLabel",
    "SetLabelColor",
]


class _HighlightsCommand(Command):
    """Replaces the highlight set by one computed once (`_compute`)."""

    def __init__(self) -> None:
        self._new: HighlightSet | None = None
        self._old: HighlightSet | None = None

    def _compute(self, doc: Transcript) -> HighlightSet:
        raise NotImplementedError

    def apply(self, doc: Transcript) -> None:
        if self._new is None:
            self._new = self._compute(doc)
        self._old = doc.set_highlights(self._new, self.origin)

    def revert(self, doc: Transcript) -> None:
        assert self._old is not None, "revert before apply"
        doc.set_highlights(self._old, self.origin)


def _existing(hs: HighlightSet, highlight_id: str) -> Highlight:
    h = hs.get(highlight_id)
    if h is None:
        raise EditError("That highlight no longer exists.")
    return h


def _check_label(hs: HighlightSet, label_id: str) -> None:
    if hs.label(label_id) is None:
        raise EditError(f"There is no highlight label {label_id!r}.")


def _check_label_name(hs: HighlightSet, name: str, label_id: str | None = None) -> str:
    name = name.strip()
    if not name:
        raise EditError("A label needs a name.")
    same = next((lab for lab in hs.labels if lab.id != label_id and lab.name.casefold() == name.casefold()), None)
    if same is not None:
        raise EditError(f"There is already a label called {same.name}.")
    return name


class AddHighlight(_HighlightsCommand):
    """Mark the words [start, end) as a highlight with a label and a note.

    After `apply`, `highlight_id` holds the new highlight's id.
    """

    description = "Highlight"

    def __init__(self, start: int, end: int, label: str = "quote", note: str = "") -> None:
        super().__init__()
        self.start, self.end, self.label, self.note = start, end, label, note
        self.highlight_id: str | None = None

    def _compute(self, doc: Transcript) -> HighlightSet:
        if not (type(self.start) is int and type(self.end) is int and 0 <= self.start < self.end <= len(doc)):
            raise EditError("Select the words to highlight first.")
        hs = doc.highlights
        _check_label(hs, self.label)
        start_ms, end_ms = span_of_words(doc, self.start, self.end)
        if words_in_span(doc, start_ms, end_ms) != (self.start, self.end):
            raise EditError("Those words overlap their neighbours in time; fix their timing before highlighting.")
        if any(h.start_ms == start_ms and h.end_ms == end_ms for h in hs.items):
            raise EditError("Those words are already highlighted.")
        self.highlight_id = hs.new_id()
        item = Highlight(self.highlight_id, start_ms, end_ms, self.label, self.note.strip())
        return hs.with_items(hs.items + (item,))


class RemoveHighlight(_HighlightsCommand):
    """Remove a highlight (the words stay)."""

    description = "Remove highlight"

    def __init__(self, highlight_id: str) -> None:
        super().__init__()
        self.highlight_id = highlight_id

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        _existing(hs, self.highlight_id)
        return hs.with_items([h for h in hs.items if h.id != self.highlight_id])


class SetHighlightNote(_HighlightsCommand):
    """Change a highlight's note. Consecutive edits of one highlight's note merge into one undo step."""

    description = "Edit highlight note"

    def __init__(self, highlight_id: str, note: str) -> None:
        super().__init__()
        self.highlight_id, self.note = highlight_id, note

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        old = _existing(hs, self.highlight_id)
        new = Highlight(old.id, old.start_ms, old.end_ms, old.label, self.note.strip())
        return hs.with_items([new if h.id == old.id else h for h in hs.items])

    def merge(self, other: Command) -> bool:
        if not isinstance(other, SetHighlightNote) or other.highlight_id != self.highlight_id or other._new is None:
            return False
        self.note, self._new = other.note, other._new
        return True


class SetHighlightLabel(_HighlightsCommand):
    """Give a highlight another label."""

    description = "Change highlight label"

    def __init__(self, highlight_id: str, label: str) -> None:
        super().__init__()
        self.highlight_id, self.label = highlight_id, label

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        old = _existing(hs, self.highlight_id)
        _check_label(hs, self.label)
        new = Highlight(old.id, old.start_ms, old.end_ms, self.label, old.note)
        return hs.with_items([new if h.id == old.id else h for h in hs.items])


class AddLabel(_HighlightsCommand):
    """Add a highlight label; after `apply`, `label_id` holds its id."""

    description = "Add label"

    def __init__(self, name: str, color: str = "#c5e1a5") -> None:
        super().__init__()
        self.name, self.color = name, color
        self.label_id: str | None = None

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        name = _check_label_name(hs, self.name)
        self.label_id = hs.new_label_id()
        return hs.with_labels(hs.labels + (Label(self.label_id, name, self.color),))


class RenameLabel(_HighlightsCommand):
    """Rename a label (every highlight with it shows the new name)."""

    description = "Rename label"

    def __init__(self, label_id: str, name: str) -> None:
        super().__init__()
        self.label_id, self.name = label_id, name

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        _check_label(hs, self.label_id)
        name = _check_label_name(hs, self.name, self.label_id)
        return hs.with_labels([Label(lab.id, name, lab.color) if lab.id == self.label_id else lab
                               for lab in hs.labels])


class SetLabelColor(_HighlightsCommand):
    """Change a label's colour."""

    description = "Change label colour"

    def __init__(self, label_id: str, color: str) -> None:
        super().__init__()
        self.label_id, self.color = label_id, color

    def _compute(self, doc: Transcript) -> HighlightSet:
        hs = doc.highlights
        _check_label(hs, self.label_id)
        return hs.with_labels([Label(lab.id, lab.name, self.color) if lab.id == self.label_id else lab
                               for lab in hs.labels])
