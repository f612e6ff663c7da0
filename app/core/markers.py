"""Markers typed while transcribing by hand: a timestamp at the playhead and tags such as [inaudible].

A marker is an ordinary word (so every export writes it as it stands) of zero length at the time it
was inserted, with a MANUAL timing source: it sits between the words spoken before and after that
time and belongs to the speaker of the word before it.
"""

from __future__ import annotations

from app.core.document import TimingSource, Transcript, Word
from app.core.edits import SpliceWords
from app.core.errors import EditError
from app.core.history import Command

TAGS = ("[inaudible]", "[crosstalk]", "[laughs]")


def timestamp_text(ms: int) -> str:
    """The text of a timestamp marker: `[mm:ss]` below an hour, `[h:mm:ss]` from an hour on."""
    seconds = max(0, int(ms)) // 1000
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"[{h}:{m:02d}:{s:02d}]" if h else f"[{m:02d}:{s:02d}]"


def marker_position(doc: Transcript, ms: int) -> tuple[int, int]:
    """Where a marker at `ms` goes: (word index to insert at, its time).

    Inside a word it goes after that word (a word is never cut in two) and takes the word's end time.
    """
    words = doc.words
    index = 0
    while index < len(words) and words[index].start_ms < ms:
        index += 1
    time = ms
    if index > 0 and words[index - 1].end_ms > ms:
        time = words[index - 1].end_ms
    if index < len(words):
        time = min(time, words[index].start_ms)
    return index, max(0, time)


class InsertMarker(Command):
    """Insert a marker word (`text` without spaces) at time `ms`. After `apply`, `index` is where it went."""

    description = "Insert marker"

    def __init__(self, ms: int, text: str) -> None:
        self.ms, self.text = int(ms), text.strip()
        self.index: int | None = None
        self._splice: SpliceWords | None = None

    def apply(self, doc: Transcript) -> None:
        if self._splice is None:
            if not self.text or any(c.isspace() for c in self.text):
                raise EditError("A marker is one word without spaces, such as [inaudible].")
            if self.ms < 0:
                raise EditError("A marker cannot go before the start of the recording.")
            index, time = marker_position(doc, self.ms)
            words = doc.words
            near = words[index - 1] if index > 0 else (words[index] if index < len(words) else None)
            marker = Word(self.text, time, time, near.speaker if near is not None else None, None, TimingSource.MANUAL)
            self.index = index
            self._splice = SpliceWords(index, index, [marker], self.description)
        self._splice.origin = self.origin
        self._splice.apply(doc)

    def revert(self, doc: Transcript) -> None:
        assert self._splice is not None, "revert before apply"
        self._splice.revert(doc)
