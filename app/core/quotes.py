"""Quotes in house style, and the quote check: is every word of this quote backed by the audio?

`format_quote` turns a run of words into newsroom quotes, one attributed quote per speaker:

    “We found microplastics at every site,” said Dr. Amal Osei. [00:06]

The style is a template with the fields {quote} (the words, the closing full stop turned into the comma
that comes before an attribution), {text} (the words as written), {speaker} and {time} / {end} (the
quote's start and end, mm:ss or h:mm:ss). A quote whose words include estimated timings (typed or
changed by hand and not re-aligned since) or low-confidence words is flagged: the copy says
"(check against audio)" and `check_quote` says why.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from app.core.document import TimingSource, Transcript, Word
from app.core.errors import VerbatimError
from app.core.timecode import format_clock
from app.core.word_units import join_words

DEFAULT_TEMPLATE = "\u201c{quote}\u201d said {speaker}. [{time}]"
DEFAULT_CHECK_NOTE = "(check against audio)"
LOW_CONFIDENCE = 0.5  # the editor's low-confidence style uses the same threshold
FIELDS = ("quote", "text", "speaker", "time", "end")


class QuoteStyleError(VerbatimError):
    """A house-style template that cannot be used."""


@dataclass(frozen=True, slots=True)
class QuoteStyle:
    """How a quote is written: the template, and the note added to a quote that needs checking."""

    template: str = DEFAULT_TEMPLATE
    check_note: str = DEFAULT_CHECK_NOTE
    unknown_speaker: str = "an unidentified speaker"

    def validate(self) -> QuoteStyle:
        """This style, or QuoteStyleError with one sentence when its template cannot be filled."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None]
        except ValueError as exc:
            raise QuoteStyleError(f"The quote style has an unmatched brace ({exc}).") from None
        unknown = [n for n in names if n not in FIELDS]
        if unknown:
            raise QuoteStyleError(
                f"The quote style uses {{{unknown[0]}}}; the fields are " + ", ".join(f"{{{f}}}" for f in FIELDS) + "."
            )
        if "quote" not in names and "text" not in names:
            raise QuoteStyleError("The quote style needs {quote} or {text} where the words go.")
        return self


@dataclass(frozen=True, slots=True)
class QuoteCheck:
    """Why a quote may not match the audio: counts of estimated and low-confidence words."""

    estimated: int = 0
    low_confidence: int = 0

    @property
    def needs_check(self) -> bool:
        return bool(self.estimated or self.low_confidence)

    def reasons(self) -> str:
        """One line for the Highlights panel ('' when the quote is backed by the audio)."""
        parts = []
        if self.estimated:
            parts.append(f"{self.estimated} edited or estimated word{'s' if self.estimated != 1 else ''}")
        if self.low_confidence:
            n = self.low_confidence
            parts.append(f"{n} low-confidence word{'s' if n != 1 else ''}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class QuotePart:
    """The words of one speaker inside a quoted range."""

    speaker_id: str | None
    speaker: str
    start_ms: int
    end_ms: int
    text: str
    check: QuoteCheck


def check_words(words: list[Word]) -> QuoteCheck:
    """Count the words whose text or timing is not confirmed by the audio."""
    estimated = sum(1 for w in words if w.source == TimingSource.INTERPOLATED)
    low = sum(1 for w in words if w.confidence is not None and w.confidence < LOW_CONFIDENCE)
    return QuoteCheck(estimated, low)


def check_quote(doc: Transcript, start: int, end: int) -> QuoteCheck:
    """The quote check of the words [start, end)."""
    return check_words(list(doc.words[start:end]))


def quote_parts(doc: Transcript, start: int, end: int, unknown_speaker: str = "") -> list[QuotePart]:
    """The words [start, end) split where the speaker changes, each run with its name, span and check."""
    words = list(doc.words[start:end])
    parts: list[QuotePart] = []
    run: list[Word] = []
    for i, w in enumerate(words):
        run.append(w)
        if i + 1 == len(words) or words[i + 1].speaker != w.speaker:
            name = doc.speaker_name(w.speaker) or unknown_speaker
            parts.append(QuotePart(w.speaker, name, run[0].start_ms, max(x.end_ms for x in run),
                                   join_words([x.text for x in run]), check_words(run)))
            run = []
    return parts


_INNER_QUOTES = str.maketrans({"\u201c": "\u2018", "\u201d": "\u2019", '"': "\u2019"})


def quote_body(text: str) -> str:
    """The words as they go inside the quotation marks before an attribution.

    A closing full stop (or colon, semicolon) becomes a comma; ? ! and … stay; a comma is added when
    there is no closing punctuation. Double quotation marks inside become single ones.
    """
    body = text.strip().translate(_INNER_QUOTES)
    if not body:
        return body
    if body.endswith(("?", "!", "\u2026", "...", ",")):
        return body
    if body[-1] in ".;:":
        return body[:-1] + ","
    return body + ","


def format_part(part: QuotePart, style: QuoteStyle) -> str:
    """One attributed quote in house style (with the check note when it needs checking)."""
    line = style.template.format(quote=quote_body(part.text), text=part.text.strip(),
                                 speaker=part.speaker or style.unknown_speaker,
                                 time=format_clock(part.start_ms), end=format_clock(part.end_ms))
    if part.check.needs_check and style.check_note:
        line = f"{line} {style.check_note}"
    return line


def format_quote(doc: Transcript, start: int, end: int, style: QuoteStyle | None = None) -> str:
    """The words [start, end) as house-style quotes, one line per speaker run ('' for no words)."""
    style = (style or QuoteStyle()).validate()
    return "\n".join(format_part(p, style) for p in quote_parts(doc, start, end, style.unknown_speaker))
