"""Timecodes in one place: `HH:MM:SS.mmm`, SRT's `HH:MM:SS,mmm`, WebVTT's forms, `[hh:mm:ss]` stamps, and the
clocks people read in the window, the CLI and quotes (`format_clock`, `format_position`, `parse_position`).

Every function takes or returns integer milliseconds. Parsers raise `ImportExportError` with one
sentence naming the text that could not be read; formatters refuse negative times the same way.
"""

from __future__ import annotations

import re

from app.core.errors import ImportExportError, VerbatimError

_MS_PER_HOUR = 3_600_000
_MS_PER_MINUTE = 60_000

# hours: one or more digits (WebVTT allows more than 99); minutes and seconds: two digits, below 60.
_CLOCK = re.compile(r"^\s*(?:(\d{1,7}):)?(\d{2}):(\d{2})(?:([.,])(\d{1,3}))?\s*$")  # digits bounded before int()
MAX_TIME_MS = 10**10  # about 115 days: no recording is longer, so a larger time is a damaged file
FAR_PAST_MS = 10 * 60_000  # an imported transcript this far past its recording's end belongs to another one
_STAMP = re.compile(r"^\s*\[(\d{1,7}):(\d{2}):(\d{2})\]\s*$")


def _shown(text: str) -> str:
    """The text as quoted in a sentence: at most 40 characters (a damaged file may hold megabytes)."""
    t = text.strip()
    return t if len(t) <= 40 else t[:37] + "..."


def _split(ms: int) -> tuple[int, int, int, int]:
    if not isinstance(ms, int) or isinstance(ms, bool):
        raise ImportExportError(f"The time {ms!r} is not a whole number of milliseconds.")
    if ms < 0:
        raise ImportExportError(f"The time {ms} ms is negative and cannot be written as a timecode.")
    hours, rest = divmod(ms, _MS_PER_HOUR)
    minutes, rest = divmod(rest, _MS_PER_MINUTE)
    seconds, millis = divmod(rest, 1000)
    return hours, minutes, seconds, millis


def format_timecode(ms: int, separator: str = ".") -> str:
    """`HH:MM:SS.mmm` (or with `separator` before the milliseconds); hours grow past two digits."""
    h, m, s, f = _split(ms)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{f:03d}"


def format_srt(ms: int) -> str:
    """SRT's `HH:MM:SS,mmm`."""
    return format_timecode(ms, ",")


def format_vtt(ms: int) -> str:
    """WebVTT's `HH:MM:SS.mmm` (always with hours, which WebVTT readers accept in every cue)."""
    return format_timecode(ms, ".")


def format_stamp(ms: int) -> str:
    """A paragraph stamp `[hh:mm:ss]`, the seconds rounded down."""
    h, m, s, _ = _split(ms)
    return f"[{h:02d}:{m:02d}:{s:02d}]"


def format_duration(ms: int) -> str:
    """A human duration `H:MM:SS` (for document headers), the seconds rounded to nearest."""
    _split(ms)  # validates
    h, m, s, _ = _split(((ms + 500) // 1000) * 1000)
    return f"{h}:{m:02d}:{s:02d}"


def _parse(text: str, *, separators: str, need_hours: bool, need_fraction: bool, exact_ms: bool, kind: str) -> int:
    if not isinstance(text, str):
        raise ImportExportError(f"The {kind} timecode {text!r} is not text.")
    m = _CLOCK.match(text)
    if m is None:
        raise ImportExportError(f'"{_shown(text)}" is not a valid {kind} timecode.')
    hours, minutes, seconds, sep, frac = m.groups()
    if need_hours and hours is None:
        raise ImportExportError(f'"{_shown(text)}" is not a valid {kind} timecode: it has no hours.')
    if sep is None and need_fraction:
        raise ImportExportError(f'"{_shown(text)}" is not a valid {kind} timecode: it has no milliseconds.')
    if sep is not None and sep not in separators:
        raise ImportExportError(
            f'"{_shown(text)}" is not a valid {kind} timecode: "{sep}" cannot separate milliseconds.'
        )
    if exact_ms and frac is not None and len(frac) != 3:
        raise ImportExportError(f'"{_shown(text)}" is not a valid {kind} timecode: milliseconds need three digits.')
    if int(minutes) > 59 or int(seconds) > 59:
        raise ImportExportError(
            f'"{_shown(text)}" is not a valid {kind} timecode: minutes and seconds must be below 60.'
        )
    millis = int((frac or "0").ljust(3, "0"))  # "5" after the separator means 500 ms
    total = int(hours or 0) * _MS_PER_HOUR + int(minutes) * _MS_PER_MINUTE + int(seconds) * 1000 + millis
    if total > MAX_TIME_MS:
        raise ImportExportError(
            f'"{_shown(text)}" is too far in time ({int(hours or 0)} hours) to be a {kind} timecode.')
    return total


def parse_timecode(text: str) -> int:
    """`HH:MM:SS.mmm` (hours may be omitted or longer than two digits) to milliseconds."""
    return _parse(text, separators=".", need_hours=False, need_fraction=True, exact_ms=True, kind="HH:MM:SS.mmm")


def parse_srt(text: str) -> int:
    """SRT's `HH:MM:SS,mmm`; the dot and short fractions seen in real files are accepted too."""
    return _parse(text, separators=",.", need_hours=True, need_fraction=True, exact_ms=False, kind="SRT")


def parse_vtt(text: str) -> int:
    """WebVTT's `MM:SS.mmm` or `HH:MM:SS.mmm` (hours may exceed 99)."""
    return _parse(text, separators=".", need_hours=False, need_fraction=True, exact_ms=True, kind="WebVTT")


def parse_stamp(text: str) -> int:
    """A paragraph stamp `[hh:mm:ss]` to milliseconds."""
    m = _STAMP.match(text) if isinstance(text, str) else None
    if m is None:
        raise ImportExportError(f'"{text}" is not a valid [hh:mm:ss] timestamp.')
    h, mi, s = (int(g) for g in m.groups())
    if mi > 59 or s > 59:
        raise ImportExportError(f'"{text}" is not a valid [hh:mm:ss] timestamp: minutes and seconds must be below 60.')
    return h * _MS_PER_HOUR + mi * _MS_PER_MINUTE + s * 1000


def format_clock(ms: int) -> str:
    """`mm:ss` below an hour, `h:mm:ss` from an hour on, the seconds rounded down (paragraph and quote times)."""
    seconds = max(0, int(ms)) // 1000
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_position(ms: int, tenths: bool = True) -> str:
    """A playhead position: `m:ss.t` below an hour, `h:mm:ss.t` above (the tenths optional)."""
    ms = max(0, int(ms))
    h, rest = divmod(ms, _MS_PER_HOUR)
    m, rest = divmod(rest, _MS_PER_MINUTE)
    s, rest = divmod(rest, 1000)
    frac = f".{rest // 100}" if tenths else ""
    return f"{h}:{m:02d}:{s:02d}{frac}" if h else f"{m}:{s:02d}{frac}"


_POSITION = re.compile(r"^\s*(?:(\d{1,7}):)?(?:(\d{1,7}):)?(\d{1,10}(?:\.\d{0,6})?)\s*$")


def parse_position(text: str) -> int:
    """`90`, `1:30`, `1:02:03.5` (seconds, m:ss, h:mm:ss) -> milliseconds; one sentence when unreadable."""
    m = _POSITION.match(text)
    if not m:
        raise VerbatimError(f"'{text}' is not a time; type it as h:mm:ss, m:ss or seconds.")
    a, b, sec = m.groups()
    parts = [int(x) for x in (a, b) if x is not None]
    hours, minutes = (parts[0], parts[1]) if len(parts) == 2 else (0, parts[0] if parts else 0)
    return int(round((hours * 3600 + minutes * 60 + float(sec)) * 1000))
