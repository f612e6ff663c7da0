"""Time ranges a person types (`--from 1:02.5 --to 1:09`) and the words a range holds.

Times are `m:ss`, `m:ss.s`, `h:mm:ss`, `h:mm:ss.s` (up to three decimals) or plain whole milliseconds.
A range holds the words whose middle lies inside it. Reversed ranges, ranges past the end of the
recording and ranges with no words get one sentence each (`RangeError`).
"""

from __future__ import annotations

import re

from app.core.document import Transcript
from app.core.errors import VerbatimError
from app.core.highlights import words_in_span
from app.core.timecode import format_position

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{2})(?:\.(\d{1,3}))?$")


class RangeError(VerbatimError):
    """A time or time range that cannot be used."""


def parse_range_time(text: str) -> int:
    """`75000`, `1:15`, `1:15.5`, `1:01:15.25` -> milliseconds (RangeError when unreadable)."""
    t = str(text).strip()
    if t.isdigit():
        return int(t)
    m = _CLOCK.match(t)
    if m is None:
        raise RangeError(f'"{t}" is not a time: write m:ss, m:ss.s, h:mm:ss(.s) or whole milliseconds.')
    hours, minutes, seconds, frac = m.groups()
    if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
        raise RangeError(f'"{t}" is not a time: minutes and seconds must be below 60.')
    millis = int((frac or "0").ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def check_range(start_ms: int, end_ms: int, duration_ms: int | None) -> None:
    """RangeError when the range is reversed, empty or reaches past the recording's end."""
    if end_ms < start_ms:
        raise RangeError("The range is reversed: --to must come after --from.")
    if end_ms == start_ms:
        raise RangeError("The range is empty: --to must come after --from.")
    if duration_ms is not None and start_ms >= duration_ms:
        raise RangeError(f"The range starts after the recording ends ({_clock(duration_ms)}).")
    if duration_ms is not None and end_ms > duration_ms:
        raise RangeError(f"The range ends after the recording ends ({_clock(duration_ms)}).")


def words_in_range(doc: Transcript, start_ms: int, end_ms: int) -> tuple[int, int]:
    """The words [i, j) whose middle lies in the range (RangeError when there are none)."""
    i, j = words_in_span(doc, start_ms, end_ms)
    if j <= i:
        raise RangeError(f"No words are spoken between {_clock(start_ms)} and {_clock(end_ms)}.")
    return i, j


def selection_transcript(doc: Transcript, start: int, end: int, origin_ms: int) -> Transcript:
    """The words [start, end) as a transcript of their own, times counted from `origin_ms` (a clip's start)."""
    words = [w.replace(start_ms=max(0, w.start_ms - origin_ms), end_ms=max(0, w.end_ms - origin_ms))
             for w in doc.words[start:end]]
    return Transcript.from_words(words, doc.speakers, doc.keywords, doc.settings)


def _clock(ms: int) -> str:
    """A range end as typed: tenths only when the time has them."""
    return format_position(ms, tenths=bool(ms % 1000))
