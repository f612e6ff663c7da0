"""Paragraph breaks for transcripts without speaker labels (and long turns with them).

A model that gives no speaker turns (4.1-2b alone, NAR) would leave a whole interview as one
paragraph with one timestamp. `add_paragraph_breaks` starts a new paragraph (sets `starts_segment`)

- at every silence of at least `ParagraphRules.pause_ms` between two words of one speaker (moved to
  a sentence end at most `snap_words` words before it or one word after: spread-out times put a word
  or two on the wrong side of a pause), and
- after a sentence end ("." "?" "!" "…", closing quotes allowed) followed by a silence of at least
  `sentence_pause_ms`, once the paragraph has run `min_paragraph_ms`, and
- past `max_paragraph_ms`, at the first silence of `sentence_pause_ms` even without punctuation
  (NAR output has none), so that no paragraph runs on for minutes.

Models without word timestamps (4.1-2b, NAR) get times spread over the voiced stretches of each piece,
so a word next to a pause often stretches across it and the gap between words is zero. The pauses of
the recording itself (`pauses`, silences in ms) are therefore counted too: a pause belongs to the
boundary between the two words whose centres it lies between.

It only adds breaks: a break a person made (or removed) elsewhere is left alone, and a speaker change
always starts a segment anyway. The thresholds live here and nowhere else; the GUI keeps the person's
choice in its settings and hands it in as a `ParagraphRules`.

Project files of schema 1 were written before this existed: `migrate_schema1_words` gives them the
same breaks on open (see `app.core.project`).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.document import Word

_SENTENCE_END = (".", "?", "!", "\u2026", "。", "？", "！")
_CLOSERS = "\"'\u201d\u2019)]\u00bb"


@dataclass(frozen=True, slots=True)
class ParagraphRules:
    """When a new paragraph starts inside one speaker's words (all times in ms)."""

    pause_ms: int = 1500
    """A silence this long always starts a paragraph."""
    sentence_pause_ms: int = 500
    """A sentence end followed by a silence this long starts one, once the paragraph has run `min_paragraph_ms`."""
    min_paragraph_ms: int = 12_000
    max_paragraph_ms: int = 60_000
    snap_words: int = 2
    """A pause's break moves to a sentence end this many words away at most."""

    def checked(self) -> ParagraphRules:
        """The same rules with every threshold clamped to a sensible range (settings may hold anything)."""
        pause = min(max(int(self.pause_ms), 300), 60_000)
        sentence = min(max(int(self.sentence_pause_ms), 100), pause)
        low = min(max(int(self.min_paragraph_ms), 0), 600_000)
        high = min(max(int(self.max_paragraph_ms), low + 1000), 3_600_000)
        return ParagraphRules(pause, sentence, low, high, min(max(int(self.snap_words), 0), 10))


DEFAULT_RULES = ParagraphRules()


def ends_sentence(text: str) -> bool:
    """Whether a word closes a sentence: "done." "why?" "said.\u201d" (an abbreviation counts too)."""
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END)


Pause = tuple[int, int]


def pauses_between(spans: Sequence[tuple[int, int]], rate: int = 16_000) -> list[Pause]:
    """The silences between voiced stretches (`(start, end)` in samples at `rate`), in ms."""
    return [(b * 1000 // rate, a2 * 1000 // rate) for (_, b), (a2, _) in zip(spans, spans[1:], strict=False)]


def _pause_lookup(pauses: Sequence[Pause]) -> tuple[list[float], list[int]]:
    """Pause midpoints (sorted) and their lengths, for the boundary test in `break_points`."""
    rows = sorted(((a + b) / 2, b - a) for a, b in pauses if b > a)
    return [m for m, _ in rows], [length for _, length in rows]


def _pause_between(mids: list[float], lengths: list[int], after_ms: float, before_ms: float) -> int:
    """The longest recording pause whose midpoint lies in (after_ms, before_ms]; 0 when none."""
    lo, hi = bisect.bisect_right(mids, after_ms), bisect.bisect_right(mids, before_ms)
    return max(lengths[lo:hi], default=0)


def break_points(words: Sequence[Word], rules: ParagraphRules = DEFAULT_RULES,
                 pauses: Sequence[Pause] = (), start: int = 0) -> list[int]:
    """Indices of the words that should start a new paragraph under `rules` (not counting existing breaks).

    `pauses`: silences of the recording as (start_ms, end_ms), when it is at hand. `start`: decide only
    after this word, which starts a paragraph (a run that grows re-decides from its last settled one).
    """
    rules = rules.checked()
    out: list[int] = []
    if not words or not 0 <= start < len(words):
        return out
    mids, lengths = _pause_lookup(pauses)
    last = start  # the latest paragraph start (a pause that snaps back to it needs no new one)
    para_start = words[start].start_ms
    for i in range(start + 1, len(words)):
        prev, word = words[i - 1], words[i]
        if word.starts_segment or word.speaker != prev.speaker:
            last, para_start = i, word.start_ms
            continue
        if i <= last:  # a pause's break was moved onto this word already
            continue
        gap = word.start_ms - prev.end_ms
        if mids:
            centre_prev, centre = (prev.start_ms + prev.end_ms) / 2, (word.start_ms + word.end_ms) / 2
            gap = max(gap, _pause_between(mids, lengths, centre_prev, centre))
        length = prev.end_ms - para_start
        sentence = ends_sentence(prev.text)
        at = -1
        if gap >= rules.pause_ms:
            at = _snap_to_sentence_end(words, i, rules.snap_words, last)
        elif ((sentence and gap >= rules.sentence_pause_ms and length >= rules.min_paragraph_ms)
                or (length >= rules.max_paragraph_ms and (sentence or gap >= rules.sentence_pause_ms))):
            at = i
        if at > last:
            out.append(at)
            last, para_start = at, words[at].start_ms
    return out


def _snap_to_sentence_end(words: Sequence[Word], i: int, reach: int, floor: int) -> int:
    """The break for a pause before word `i`: after the nearest sentence end up to `reach` words before it
    or one word after it (same speaker, no other break between), else `i` itself. `floor` is the latest
    paragraph start: a sentence end there means the pause is served already (the caller adds nothing)."""
    if ends_sentence(words[i - 1].text):
        return i
    for distance in range(1, reach + 1):
        for j in ((i - distance, i + 1) if distance == 1 else (i - distance,)):
            if not floor <= j < len(words) or j < 1 or not ends_sentence(words[j - 1].text):
                continue
            lo, hi = min(i, j), max(i, j)  # the words between the two places: one speaker, no break
            if (all(w.speaker == words[lo - 1].speaker for w in words[lo - 1:hi])
                    and not any(w.starts_segment for w in words[max(lo, floor + 1):hi])):
                return j
    return i


def add_paragraph_breaks(words: Sequence[Word], rules: ParagraphRules = DEFAULT_RULES,
                         pauses: Sequence[Pause] = (), start: int = 0) -> list[Word]:
    """`words` with `starts_segment` set where `rules` start a paragraph after word `start`; existing
    breaks are kept."""
    out = list(words)
    for i in break_points(out, rules, pauses, start):
        out[i] = out[i].replace(starts_segment=True)
    return out


def migrate_schema1_words(words: Sequence[Word]) -> list[Word]:
    """Schema 1 -> 2: a project saved before automatic paragraphs gets them (only breaks are added)."""
    return add_paragraph_breaks(words, DEFAULT_RULES)
