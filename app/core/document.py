"""The transcript document: words are the primary data, segments and speakers are views and tables over them.

Times are integer milliseconds. Every change goes through three primitive mutators (`splice`,
`set_speakers`, `set_meta`) which the edit commands in `app.core.edits` call, so that undo and redo
cover everything. Each mutation notifies listeners with a `Change` that says what changed and who
changed it (`origin`), so the widget that typed a character need not reload itself.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, overload

from app.core.errors import EditError
from app.core.word_units import join_words

if TYPE_CHECKING:
    from app.core.highlights import HighlightSet


class TimingSource(str, Enum):
    """Where a word's times came from."""

    MODEL = "model"
    ALIGNED = "aligned"
    INTERPOLATED = "interpolated"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Word:
    """One word as spoken: its text (punctuation attached), its span in ms and its speaker id.

    `starts_segment` marks a paragraph break before this word inside one speaker's turn; a change of
    speaker always starts a new segment whatever the flag says.
    """

    text: str
    start_ms: int
    end_ms: int
    speaker: str | None = None
    confidence: float | None = None
    source: TimingSource = TimingSource.MODEL
    starts_segment: bool = False

    def replace(self, **changes: Any) -> Word:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Speaker:
    """A row of the speaker table. The name is shown wherever the id is used; text never holds it."""

    id: str
    name: str
    color: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A speaker turn or paragraph: the words [start, end) of the document, all with one speaker."""

    start: int
    end: int
    speaker: str | None


@dataclass(frozen=True, slots=True)
class TranscriptionSettings:
    """How the transcript was made, kept with it so a reader knows what to trust."""

    model: str = ""
    revision: str = ""
    language: str = "en"
    task: str = "transcribe"
    target_language: str | None = None
    device: str = ""


class ChangeKind(str, Enum):
    """What a change touched. TIMING: words kept their text, speaker and paragraph starts; only their
    times, confidence or timing source changed (a boundary drag, a re-alignment), so views that show
    text need not re-render it."""

    WORDS = "words"
    TIMING = "timing"
    SPEAKERS = "speakers"
    META = "meta"
    HIGHLIGHTS = "highlights"


@dataclass(frozen=True, slots=True)
class Change:
    """What one mutation did. For WORDS and TIMING: `removed` words at `start` were replaced by
    `inserted` words (for TIMING the two counts are equal). `origin` names who made the change (the
    widget that pushed it), so a view can skip the echo of its own edit."""

    kind: ChangeKind
    start: int = 0
    removed: int = 0
    inserted: int = 0
    origin: object | None = None

    @property
    def touches_words(self) -> bool:
        """True for WORDS and TIMING changes: words or their times changed in [start, start+inserted)."""
        return self.kind in (ChangeKind.WORDS, ChangeKind.TIMING)


Listener = Callable[[Change], None]

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
)


def default_color(index: int) -> str:
    """A distinct colour for the index-th speaker."""
    return PALETTE[index % len(PALETTE)]


@dataclass
class Transcript:
    """The document: words in time order, the speaker table, keyword list and settings."""

    _words: list[Word] = field(default_factory=list)
    _speakers: dict[str, Speaker] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    settings: TranscriptionSettings = field(default_factory=TranscriptionSettings)

    def __post_init__(self) -> None:
        self._listeners: list[Listener] = []
        self._segments: list[Segment] | None = None
        self._starts: list[int] | None = None
        self._highlights: HighlightSet | None = None  # None: the default labels and no highlights

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_words(
        cls,
        words: Iterable[Word],
        speakers: Sequence[Speaker] = (),
        keywords: Sequence[str] = (),
        settings: TranscriptionSettings | None = None,
    ) -> Transcript:
        """A document over `words`; speaker ids the table lacks get a row named "Speaker N"."""
        doc = cls(list(words), {s.id: s for s in speakers}, tuple(keywords), settings or TranscriptionSettings())
        for w in doc._words:
            if w.speaker is not None and w.speaker not in doc._speakers:
                n = len(doc._speakers)
                doc._speakers[w.speaker] = Speaker(w.speaker, f"Speaker {n + 1}", default_color(n))
        return doc

    # -- reading -----------------------------------------------------------------------------

    @property
    def words(self) -> Sequence[Word]:
        """The words, read-only (a tuple copy would cost O(n) per access on long interviews)."""
        return _ReadOnly(self._words)

    def __len__(self) -> int:
        return len(self._words)

    @property
    def speakers(self) -> tuple[Speaker, ...]:
        return tuple(self._speakers.values())

    def speaker(self, speaker_id: str | None) -> Speaker | None:
        return self._speakers.get(speaker_id) if speaker_id is not None else None

    def speaker_name(self, speaker_id: str | None) -> str:
        s = self.speaker(speaker_id)
        return s.name if s else ""

    def new_speaker_id(self) -> str:
        n = 1
        while f"S{n}" in self._speakers:
            n += 1
        return f"S{n}"

    def segments(self) -> list[Segment]:
        """Speaker turns and paragraphs, derived from the words (kept up to date incrementally)."""
        if self._segments is None:
            self._segments = _scan_segments(self._words, 0, len(self._words))
        return self._segments

    def segment_index_of(self, word_index: int) -> int:
        """Index of the segment that holds the given word."""
        segs = self.segments()
        i = bisect.bisect_right([s.start for s in segs], word_index) - 1
        return max(i, 0)

    def word_at_time(self, ms: int) -> int | None:
        """Index of the word being spoken at `ms` (or the last one that started before it)."""
        if not self._words:
            return None
        if self._starts is None:
            self._starts = [w.start_ms for w in self._words]
        i = bisect.bisect_right(self._starts, ms) - 1
        return max(i, 0)

    @property
    def duration_ms(self) -> int:
        return max((w.end_ms for w in self._words), default=0)

    def text(self, start: int = 0, end: int | None = None) -> str:
        return join_words([w.text for w in self._words[start:end]])

    # -- change notification -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- primitive mutators (called by edit commands) ------------------------------------------

    def splice(self, start: int, end: int, new_words: Sequence[Word], origin: object | None = None) -> list[Word]:
        """Replace words [start, end) by `new_words`; returns the removed words."""
        if not 0 <= start <= end <= len(self._words):
            raise EditError(f"The word range {start}-{end} is outside the transcript.")
        old = self._words[start:end]
        self._words[start:end] = list(new_words)
        self._update_segments(start, end, len(new_words))
        self._starts = None
        kind = ChangeKind.TIMING if _same_text(old, self._words[start:start + len(new_words)]) else ChangeKind.WORDS
        self._notify(Change(kind, start, end - start, len(new_words), origin))
        return old

    def _update_segments(self, start: int, end: int, inserted: int) -> None:
        """Re-derive only the segments a splice of [start, end) -> `inserted` words can touch.

        Segments wholly before the one holding word start-1 are unchanged; those after the one holding
        the first word past the old range are only shifted. On a 2-hour interview this keeps each
        keystroke O(segments) instead of a scan over every word.
        """
        segs = self._segments
        if not segs:
            self._segments = None
            return
        old_len = segs[-1].end
        delta = inserted - (end - start)
        starts = [seg.start for seg in segs]
        i = max(bisect.bisect_right(starts, max(start - 1, 0)) - 1, 0)
        if end < old_len:
            j = bisect.bisect_right(starts, end) - 1
            hi = segs[j].end + delta
        else:
            j = len(segs) - 1
            hi = len(self._words)
        lo = segs[i].start
        middle = _scan_segments(self._words, lo, hi)
        tail = segs[j + 1 :]
        if delta:
            tail = [Segment(seg.start + delta, seg.end + delta, seg.speaker) for seg in tail]
        self._segments = segs[:i] + middle + tail

    def set_speakers(self, speakers: Sequence[Speaker], origin: object | None = None) -> tuple[Speaker, ...]:
        """Replace the speaker table; returns the old one."""
        old = self.speakers
        self._speakers = {s.id: s for s in speakers}
        self._notify(Change(ChangeKind.SPEAKERS, origin=origin))
        return old

    def set_meta(
        self,
        keywords: Sequence[str] | None = None,
        settings: TranscriptionSettings | None = None,
        origin: object | None = None,
    ) -> tuple[tuple[str, ...], TranscriptionSettings]:
        """Replace keywords and/or settings; returns the old pair."""
        old = (self.keywords, self.settings)
        if keywords is not None:
            self.keywords = tuple(keywords)
        if settings is not None:
            self.settings = settings
        self._notify(Change(ChangeKind.META, origin=origin))
        return old


    # -- highlights (their meaning lives in app.core.highlights) -----------------------------------

    @property
    def highlights(self) -> HighlightSet:
        """The highlight labels and the highlights (time ranges) marked on this transcript."""
        if self._highlights is None:
            from app.core.highlights import HighlightSet

            self._highlights = HighlightSet()
        return self._highlights

    def set_highlights(self, highlights: HighlightSet, origin: object | None = None) -> HighlightSet:
        """Replace the highlight set; returns the old one."""
        old = self.highlights
        self._highlights = highlights
        self._notify(Change(ChangeKind.HIGHLIGHTS, origin=origin))
        return old


def _same_text(old: Sequence[Word], new: Sequence[Word]) -> bool:
    """Whether `new` only re-times `old`: as many words, with the same text, speaker and paragraph starts."""
    return bool(old) and len(old) == len(new) and all(
        a.text == b.text and a.speaker == b.speaker and a.starts_segment == b.starts_segment
        for a, b in zip(old, new, strict=True))


def _scan_segments(words: list[Word], lo: int, hi: int) -> list[Segment]:
    """The segments of words[lo:hi], assuming a segment starts at `lo` and one ends at `hi`."""
    segs: list[Segment] = []
    start = lo
    for i in range(lo + 1, hi):
        w = words[i]
        if w.starts_segment or w.speaker != words[i - 1].speaker:
            segs.append(Segment(start, i, words[start].speaker))
            start = i
    if hi > lo:
        segs.append(Segment(start, hi, words[start].speaker))
    return segs


class _ReadOnly(Sequence[Word]):
    """A read-only window on the document's word list (no copy)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Word]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> Word: ...

    @overload
    def __getitem__(self, index: slice) -> list[Word]: ...

    def __getitem__(self, index: int | slice) -> Word | list[Word]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Word]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        return list(self._items) == list(other) if isinstance(other, Sequence) else NotImplemented
