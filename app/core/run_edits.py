"""A transcription run as edit commands whose cost does not grow with the transcript.

A run delivers its words piece by piece. Replacing the whole transcript at every step (as
`ReplaceTranscript` does) makes each step cost the length of everything so far: on a 3-hour run the
window spent 15 -> 62 ms per update and 14 s in all. Here the first step of a run replaces the
transcript with its words and every later step only replaces the run's words from `replace_from` on
(its new words, and the last paragraph or two whose breaks may still move), so the document's change
event and the editor's work cover those words alone.

Consecutive steps of one run (same `run_id`) merge into the first, so the whole run stays one undo step
back to the transcript from before it; redo then lays down every word of the run at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.document import Speaker, Transcript, TranscriptionSettings, Word
from app.core.history import Command


class TranscriptionStep(Command):
    """One step of a transcription run: `first` replaces the transcript, later steps replace the run's
    words from index `replace_from` on with theirs (`replace_from` = the run's length so far: an append).

    `speakers` is the run's speaker table so far (empty: keep the document's); speaker ids used by the
    words but missing from the table get default rows, as in `ReplaceTranscript`.
    """

    def __init__(
        self,
        words: Sequence[Word],
        speakers: Sequence[Speaker],
        run_id: object,
        first: bool,
        settings: TranscriptionSettings | None = None,
        keywords: Sequence[str] | None = None,
        description: str = "Transcribe",
        replace_from: int | None = None,
    ) -> None:
        self.words = list(words)
        self.speakers = tuple(speakers)
        self.run_id = run_id
        self.first = first
        self.settings = settings
        self.keywords = tuple(keywords) if keywords is not None else None
        self.description = description
        self._old: tuple[list[Word], tuple[Speaker, ...], tuple[str, ...], TranscriptionSettings] | None = None
        self.replace_from = replace_from
        self._replaced: list[Word] = []
        self._appended = 0

    def _table(self, current: Sequence[Speaker]) -> tuple[Speaker, ...]:
        """The document's table updated with the run's, plus default rows for new ids in the words."""
        rows = {s.id: s for s in current}
        rows.update((s.id, s) for s in self.speakers)
        return Transcript.from_words(self.words, list(rows.values())).speakers

    def apply(self, doc: Transcript) -> None:
        if self.first:
            table = Transcript.from_words(self.words, list(self.speakers)).speakers
            old_speakers = doc.set_speakers(table, self.origin)
            old_words = doc.splice(0, len(doc), self.words, self.origin)
            old_keywords, old_settings = doc.keywords, doc.settings
            if self.settings is not None or self.keywords is not None:
                doc.set_meta(self.keywords, self.settings, self.origin)
            self._old = (old_words, old_speakers, old_keywords, old_settings)
            return
        table = self._table(doc.speakers)
        old_speakers = doc.speakers
        if table != old_speakers:
            doc.set_speakers(table, self.origin)
        start = len(doc) if self.replace_from is None else min(max(self.replace_from, 0), len(doc))
        self._replaced = doc.splice(start, len(doc), self.words, self.origin)
        self._appended = len(self.words)
        self._old = ([], old_speakers, doc.keywords, doc.settings)

    def revert(self, doc: Transcript) -> None:
        assert self._old is not None, "revert before apply"
        old_words, old_speakers, old_keywords, old_settings = self._old
        if self.first:
            doc.set_speakers(old_speakers, self.origin)
            doc.splice(0, len(doc), old_words, self.origin)
            if self.settings is not None or self.keywords is not None:
                doc.set_meta(old_keywords, old_settings, self.origin)
            return
        doc.splice(len(doc) - self._appended, len(doc), self._replaced, self.origin)
        if doc.speakers != old_speakers:
            doc.set_speakers(old_speakers, self.origin)

    def merge(self, other: Command) -> bool:
        """A later step of the same run joins the first one (the document already holds its words)."""
        if not isinstance(other, TranscriptionStep) or other.first or other.run_id != self.run_id or not self.first:
            return False
        if other.replace_from is None:
            self.words.extend(other.words)
        else:
            self.words[other.replace_from:] = other.words
        if other.speakers:
            self.speakers = other.speakers
        return True
