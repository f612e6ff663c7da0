"""Times as people read them in the window: 1:02:03.4 / 2:03.4, and parsing what they type."""

from __future__ import annotations

import re

from app.core.errors import VerbatimError


def format_ms(ms: int, tenths: bool = True) -> str:
    """`m:ss.t` below an hour, `h:mm:ss.t` above (tenths optional)."""
    ms = max(0, int(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, rest = divmod(rest, 1000)
    frac = f".{rest // 100}" if tenths else ""
    return f"{h}:{m:02d}:{s:02d}{frac}" if h else f"{m}:{s:02d}{frac}"


_TIME = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?)\s*$")


def parse_time(text: str) -> int:
    """`90`, `1:30`, `1:02:03.5` -> milliseconds; VerbatimError with one sentence when unreadable."""
    m = _TIME.match(text)
    if not m:
        raise VerbatimError(f"'{text}' is not a time; type it as h:mm:ss, m:ss or seconds.")
    a, b, sec = m.groups()
    parts = [int(x) for x in (a, b) if x is not None]
    hours, minutes = (parts + [0, 0])[:2] if len(parts) == 2 else (0, parts[0] if parts else 0)
    return int(round((hours * 3600 + minutes * 60 + float(sec)) * 1000))
