"""Edit commands: every change to a transcript, each with an exact inverse, so undo covers everything.

Each command changes the document only through `splice` / `set_speakers` / `set_meta` and passes its
`origin` along. Commands remember what they computed on their first `apply` so that a redo reproduces
exactly the state the user saw. `History` (headless undo stack) lives in `app.core.history` and is
re-exported here; the GUI wraps the same commands in a QUndoStack.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word, default_color
from app.core.errors import EditError
from app.core.history import Command, History
from app.core.timing import retime_text

__all__ = [
    "Command", "History", "SpliceWords", "ReplaceText", "SplitSegment", "MergeSegment", "SetWordTimes",
    "AssignSpeaker", "AddSpeaker", "RenameSpeaker", "SetSpeakerColor", "MergeSpeakers",
    "ReplaceTranscript", "SetKeywords",
]


def _check_range(doc: Transcript, start: int, end: int) -> None:
    if not (type(start) is int and type(end) is int and 0 <= start <= end <= len(doc)):
        raise EditError(f"The word range {start}-{end} is outside the transcript.")


def _check_index(doc: Transcript, index: int) -> Word:
    if not (type(index) is int and 0 <= index < len(doc)):
        raise EditError(f"There is no word number {index} in the transcript.")
    return doc.words[index]


def _check_name_free(doc: Transcript, name: str, speaker_id: str | None = None) -> None:
    """Two speakers with one name could not be told apart in menus, headers or exports."""
    key = name.strip().casefold()
    for s in doc.speakers:
        if s.id != speaker_id and s.name.strip().casefold() == key:
            raise EditError(f"Another speaker is already called {s.name}; use Merge to make them one speaker.")


def _check_speaker(doc: Transcript, speaker_id: str | None) -> None:
    if speaker_id is not None and doc.speaker(speaker_id) is None:
        raise EditError(f"There is no speaker {speaker_id!r} in this transcript.")


class _WordsCommand(Command):
    """A command that replaces the words [start, start + removed) by words computed once (`_compute`)."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self._new: list[Word] | None = None
        self._removed: list[Word] | None = None

    def _compute(self, doc: Transcript) -> list[Word]:
        raise NotImplementedError

    def apply(self, doc: Transcript) -> None:
        _check_range(doc, self.start, self.end)
        if self._new is None:
            self._new = self._compute(doc)
        self._removed = doc.splice(self.start, self.end, self._new, self.origin)

    def revert(self, doc: Transcript) -> None:
        assert self._new is not None and self._removed is not None, "revert before apply"
        doc.splice(self.start, self.start + len(self._new), self._removed, self.origin)


class SpliceWords(_WordsCommand):
    """Replace the words [start, end) by `words` as given (importers, engines, tools)."""

    def __init__(self, start: int, end: int, words: Sequence[Word], description: str = "Edit words") -> None:
        super().__init__(start, end)
        self.words = list(words)
        self.description = description

    def _compute(self, doc: Transcript) -> list[Word]:
        return list(self.words)


class ReplaceText(_WordsCommand):
    """Replace the words [start, end) by the words of `text`, keeping timings (`retime_text` rules).

    New words take `speaker` when given, else the speaker of the range's first word (for an empty
    range: of the word before it, or after it). Consecutive typing merges: a ReplaceText merges into
    this one when it starts at the same word and replaces exactly the words this one produced.
    """

    def __init__(self, start: int, end: int, text: str, speaker: str | None = None,
                 description: str = "Typing") -> None:
        super().__init__(start, end)
        self.text = text
        self.speaker = speaker
        self.description = description

    def _compute(self, doc: Transcript) -> list[Word]:
        _check_speaker(doc, self.speaker)
        words = doc.words
        old = list(words[self.start : self.end])
        prev_end = words[self.start - 1].end_ms if self.start > 0 else 0
        next_start = words[self.end].start_ms if self.end < len(words) else None
        speaker = self.speaker
        if speaker is None and not old:
            neighbour = (
                words[self.start - 1] if self.start > 0 else (words[self.end] if self.end < len(words) else None)
            )
            speaker = neighbour.speaker if neighbour is not None else None
        return retime_text(old, self.text, prev_end, next_start, speaker)

    def merge(self, other: Command) -> bool:
        if not isinstance(other, ReplaceText) or self._new is None or other._new is None:
            return False
        if other.start != self.start or other.end != self.start + len(self._new) or other._removed != self._new:
            return False
        self.text = other.text
        self._new = other._new
        return True


class SplitSegment(_WordsCommand):
    """Start a new paragraph at `word_index` (sets its `starts_segment`)."""

    description = "Split paragraph"

    def __init__(self, word_index: int) -> None:
        super().__init__(word_index, word_index + 1)

    def _compute(self, doc: Transcript) -> list[Word]:
        word = _check_index(doc, self.start)
        if self.start == 0 or doc.segments()[doc.segment_index_of(self.start)].start == self.start:
            raise EditError("A paragraph already starts at that word.")
        return [word.replace(starts_segment=True)]


class MergeSegment(_WordsCommand):
    """Join the segment that starts at `word_index` to the one before it.

    If the speakers differ, the joined segment's words take the previous segment's speaker; the
    segment after it, if it would otherwise melt into the joined one, keeps its own start.
    """

    description = "Join paragraphs"

    def __init__(self, word_index: int) -> None:
        super().__init__(word_index, word_index)
        self.word_index = word_index

    def apply(self, doc: Transcript) -> None:
        if self._new is None:
            _check_index(doc, self.word_index)
            segments = doc.segments()
            seg = segments[doc.segment_index_of(self.word_index)]
            if self.word_index == 0 or seg.start != self.word_index:
                raise EditError("That word does not start a paragraph, so there is nothing to join.")
            self.end = seg.end + (1 if seg.end < len(doc) else 0)
        super().apply(doc)

    def _compute(self, doc: Transcript) -> list[Word]:
        words = doc.words
        speaker = words[self.start - 1].speaker
        seg_end = doc.segments()[doc.segment_index_of(self.start)].end
        new = [w.replace(speaker=speaker) for w in words[self.start : seg_end]]
        new[0] = new[0].replace(starts_segment=False)
        if seg_end < len(words):
            after = words[seg_end]
            keep_break = after.speaker == speaker and not after.starts_segment
            new.append(after.replace(starts_segment=True) if keep_break else after)
        return new


class SetWordTimes(_WordsCommand):
    """Set one word's times by hand (source MANUAL); it may not overlap its neighbours."""

    description = "Set word times"

    def __init__(self, index: int, start_ms: int, end_ms: int) -> None:
        super().__init__(index, index + 1)
        self.start_ms, self.end_ms = start_ms, end_ms

    def _compute(self, doc: Transcript) -> list[Word]:
        word = _check_index(doc, self.start)
        s, e = self.start_ms, self.end_ms
        if type(s) is not int or type(e) is not int or s < 0 or e < s:
            raise EditError("A word must end at or after it starts, at whole non-negative milliseconds.")
        words = doc.words
        if self.start > 0 and s < words[self.start - 1].end_ms:
            raise EditError("The word would start before the previous word ends.")
        if self.start + 1 < len(words) and e > words[self.start + 1].start_ms:
            raise EditError("The word would end after the next word starts.")
        return [word.replace(start_ms=s, end_ms=e, source=TimingSource.MANUAL)]


class AssignSpeaker(_WordsCommand):
    """Give the words [start, end) to speaker `speaker_id` (None: no speaker)."""

    description = "Assign speaker"

    def __init__(self, start: int, end: int, speaker_id: str | None) -> None:
        super().__init__(start, end)
        self.speaker_id = speaker_id

    def _compute(self, doc: Transcript) -> list[Word]:
        _check_speaker(doc, self.speaker_id)
        if self.start == self.end:
            raise EditError("No words are selected to assign a speaker to.")
        return [w.replace(speaker=self.speaker_id) for w in doc.words[self.start : self.end]]


class _SpeakersCommand(Command):
    """A command that replaces the speaker table by one computed once (`_compute`)."""

    def __init__(self) -> None:
        self._new: tuple[Speaker, ...] | None = None
        self._old: tuple[Speaker, ...] | None = None

    def _compute(self, doc: Transcript) -> tuple[Speaker, ...]:
        raise NotImplementedError

    def apply(self, doc: Transcript) -> None:
        if self._new is None:
            self._new = self._compute(doc)
        self._old = doc.set_speakers(self._new, self.origin)

    def revert(self, doc: Transcript) -> None:
        assert self._old is not None, "revert before apply"
        doc.set_speakers(self._old, self.origin)


class AddSpeaker(_SpeakersCommand):
    """Add a speaker row; the id (`S<n>`) and an unused colour are picked when not given.

    After `apply`, `speaker_id` holds the id that was used.
    """

    description = "Add speaker"

    def __init__(self, name: str = "", speaker_id: str | None = None, color: str | None = None) -> None:
        super().__init__()
        self.name, self.speaker_id, self.color = name, speaker_id, color

    def _compute(self, doc: Transcript) -> tuple[Speaker, ...]:
        sid = self.speaker_id or doc.new_speaker_id()
        if doc.speaker(sid) is not None:
            raise EditError(f"A speaker with the id {sid!r} already exists.")
        used = {s.color.lower() for s in doc.speakers}
        n = len(doc.speakers)
        color = self.color or next(
            (default_color(i) for i in range(10) if default_color(i) not in used), default_color(n)
        )
        self.speaker_id, self.color = sid, color
        name = self.name.strip()
        if name:
            _check_name_free(doc, name)
        else:
            taken = {x.name.strip().casefold() for x in doc.speakers}
            k = n + 1
            while f"speaker {k}" in taken:
                k += 1
            name = f"Speaker {k}"
        return doc.speakers + (Speaker(sid, name, color),)


class RenameSpeaker(_SpeakersCommand):
    """Rename a speaker (everywhere, since text never holds names). Consecutive renames of one speaker merge."""

    description = "Rename speaker"

    def __init__(self, speaker_id: str, name: str) -> None:
        super().__init__()
        self.speaker_id, self.name = speaker_id, name

    def _compute(self, doc: Transcript) -> tuple[Speaker, ...]:
        _check_speaker(doc, self.speaker_id)
        if not self.name.strip():
            raise EditError("A speaker needs a name.")
        _check_name_free(doc, self.name, self.speaker_id)
        return tuple(
            Speaker(s.id, self.name.strip(), s.color) if s.id == self.speaker_id else s for s in doc.speakers
        )

    def merge(self, other: Command) -> bool:
        if not isinstance(other, RenameSpeaker) or other.speaker_id != self.speaker_id or other._new is None:
            return False
        self.name, self._new = other.name, other._new
        return True


class SetSpeakerColor(_SpeakersCommand):
    """Change the colour of a speaker."""

    description = "Change speaker colour"

    def __init__(self, speaker_id: str, color: str) -> None:
        super().__init__()
        self.speaker_id, self.color = speaker_id, color

    def _compute(self, doc: Transcript) -> tuple[Speaker, ...]:
        _check_speaker(doc, self.speaker_id)
        return tuple(Speaker(s.id, s.name, self.color) if s.id == self.speaker_id else s for s in doc.speakers)


class MergeSpeakers(Command):
    """All words of `source_id` go to `target_id` and the source row is removed."""

    description = "Merge speakers"

    def __init__(self, source_id: str, target_id: str) -> None:
        self.source_id, self.target_id = source_id, target_id
        self._words: SpliceWords | None = None
        self._old_speakers: tuple[Speaker, ...] | None = None

    def apply(self, doc: Transcript) -> None:
        _check_speaker(doc, self.source_id)
        _check_speaker(doc, self.target_id)
        if self.source_id == self.target_id:
            raise EditError("A speaker cannot be merged into itself.")
        if self._words is None:
            hits = [i for i, w in enumerate(doc.words) if w.speaker == self.source_id]
            lo, hi = (hits[0], hits[-1] + 1) if hits else (0, 0)
            new = [w.replace(speaker=self.target_id) if w.speaker == self.source_id else w for w in doc.words[lo:hi]]
            self._words = SpliceWords(lo, hi, new)
        self._words.origin = self.origin
        self._words.apply(doc)
        self._old_speakers = doc.set_speakers([s for s in doc.speakers if s.id != self.source_id], self.origin)

    def revert(self, doc: Transcript) -> None:
        assert self._words is not None and self._old_speakers is not None, "revert before apply"
        doc.set_speakers(self._old_speakers, self.origin)
        self._words.revert(doc)


class ReplaceTranscript(Command):
    """Replace all words and speakers (and settings / keywords when given): a transcription or an import.

    Consecutive ReplaceTranscript commands with the same non-None `run_id` merge, so one transcription
    run that delivers results piece by piece is one undo step back to the state before it started.
    Speaker ids used by `words` but missing from `speakers` get default rows.
    """

    def __init__(
        self,
        words: Sequence[Word],
        speakers: Sequence[Speaker],
        settings: TranscriptionSettings | None = None,
        keywords: Sequence[str] | None = None,
        run_id: object | None = None,
        description: str = "Transcribe",
    ) -> None:
        table = Transcript.from_words(words, speakers)
        self.words = list(words)
        self.speakers = table.speakers
        self.settings = settings
        self.keywords = tuple(keywords) if keywords is not None else None
        self.run_id = run_id
        self.description = description
        self._old: tuple[list[Word], tuple[Speaker, ...], tuple[str, ...], TranscriptionSettings] | None = None

    def apply(self, doc: Transcript) -> None:
        old_speakers = doc.set_speakers(self.speakers, self.origin)
        old_words = doc.splice(0, len(doc), self.words, self.origin)
        old_keywords, old_settings = doc.keywords, doc.settings
        if self.settings is not None or self.keywords is not None:
            doc.set_meta(self.keywords, self.settings, self.origin)
        self._old = (old_words, old_speakers, old_keywords, old_settings)

    def revert(self, doc: Transcript) -> None:
        assert self._old is not None, "revert before apply"
        old_words, old_speakers, old_keywords, old_settings = self._old
        doc.set_speakers(old_speakers, self.origin)
        doc.splice(0, len(doc), old_words, self.origin)
        if self.settings is not None or self.keywords is not None:
            doc.set_meta(old_keywords, old_settings, self.origin)

    def merge(self, other: Command) -> bool:
        if not isinstance(other, ReplaceTranscript) or self.run_id is None or other.run_id != self.run_id:
            return False
        self.words, self.speakers = other.words, other.speakers
        if other.settings is not None:
            self.settings = other.settings
        if other.keywords is not None:
            self.keywords = other.keywords
        return True


class SetKeywords(Command):
    """Replace the keyword list (names and terms the models are told to expect)."""

    description = "Set keywords"

    def __init__(self, keywords: Sequence[str]) -> None:
        self.keywords = tuple(keywords)
        self._old: tuple[str, ...] | None = None

    def apply(self, doc: Transcript) -> None:
        self._old = doc.set_meta(keywords=self.keywords, origin=self.origin)[0]

    def revert(self, doc: Transcript) -> None:
        assert self._old is not None, "revert before apply"
        doc.set_meta(keywords=self._old, origin=self.origin)
