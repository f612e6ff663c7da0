"""Where a subtitle line or cue must not break: inside a name, inside a number, before punctuation.

A reader takes in a subtitle line at a glance; "Dr." at the end of one line and "Osei" at the start
of the next, or "one hundred and ten" / "million", reads as two things. `glued(words)` marks each
boundary between two words that lies inside such a run:

- a name: a run of capitalised words ("Amal Osei", "New York City"), through a title abbreviation
  ("Dr. Osei", "Mrs. J. Smith") and through name particles between capitalised words
  ("Ludwig van Beethoven"); punctuation after a word (other than a title's or an initial's dot) ends
  the run, so "Yes, Paris" may break after "Yes,";
- a number phrase: digits and number words with what binds them ("110 million", "one hundred and
  ten million", "3.5 per cent", "twenty-five percent"); a comma or a full stop after a word ends it;
- a word and punctuation that follows as a word of its own ("so —", "yes ?"): never broken apart.

The cue builder and the line wrapper avoid glued boundaries whenever the run fits on a line; a run
longer than a line is broken where it must be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LEADING = "\"'“‘«(["
_TITLES = {
    "dr", "mr", "mrs", "ms", "mx", "prof", "st", "sen", "rep", "gen", "gov", "capt", "lt", "col", "sgt", "rev",
    "hon", "jr", "sr", "mme", "mlle", "sra", "dra", "pres", "insp", "det", "supt", "cllr", "fr",
}
_PARTICLES = {"de", "da", "di", "del", "della", "van", "von", "der", "den", "la", "le", "bin", "bint", "al",
              "el", "du", "dos", "das", "do", "ter", "ten", "y"}
_NUMBER_WORDS = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion",
    "trillion", "dozen", "half", "quarter",
}
_AFTER_NUMBER = {"hundred", "thousand", "million", "billion", "trillion", "percent", "per", "%", "dollars",
                 "euros", "pounds", "pence", "cents"}
_CONNECTORS = {"and", "point"}
_PAUSE_MARKS = re.compile(r"[,;:.!?…。、，！？]$")
_INITIAL = re.compile(r"^[A-Z]\.$")


def _core(text: str) -> str:
    return text.lstrip(_LEADING).rstrip("\"'”’»)]")


def _bare(text: str) -> str:
    return re.sub(r"[^\w%$€£.-]", "", _core(text).lower()).strip(".-")


def _capitalised(text: str) -> bool:
    core = _core(text)
    return bool(core) and core[0].isupper() and core not in ("I", "I'm", "I'll", "I've", "I'd", "I’m")


def _title_or_initial(text: str) -> bool:
    core = _core(text)
    return core.endswith(".") and (core[:-1].lower() in _TITLES or bool(_INITIAL.match(core)))


def _numeric(text: str) -> bool:
    bare = _bare(text)
    if any(ch.isdigit() for ch in bare):
        return True
    parts = [p for p in bare.split("-") if p]
    return bool(parts) and all(p in _NUMBER_WORDS for p in parts)


def _punctuation_only(text: str) -> bool:
    return bool(text.strip()) and not any(ch.isalnum() for ch in text) and text.strip()[0] not in _LEADING


def _name_link(prev: str, nxt: str, after: str | None) -> bool:
    if not _capitalised(prev):
        return False
    ends_plain = not _PAUSE_MARKS.search(_core(prev)) or _title_or_initial(prev)
    if not ends_plain:
        return False
    if _capitalised(nxt):
        return True
    return nxt.lower() in _PARTICLES and after is not None and _capitalised(after)  # "Ludwig van | Beethoven"


def _number_link(before: str | None, prev: str, nxt: str, after: str | None) -> bool:
    if _PAUSE_MARKS.search(_core(prev)):
        return False
    p, n = _bare(prev), _bare(nxt)
    if _numeric(prev) and (_numeric(nxt) or n in _AFTER_NUMBER or n == "cent" and p == "per"):
        return True
    if p == "per" and n == "cent":
        return True
    if _numeric(prev) and n in _CONNECTORS and after is not None and _numeric(after):
        return True  # "hundred | and ten"
    return p in _CONNECTORS and before is not None and _numeric(before) and _numeric(nxt)  # "hundred and | ten"


def glued(texts: Sequence[str]) -> list[bool]:
    """For each boundary k (between texts[k - 1] and texts[k]; index 0 is always False): whether a line
    or cue break there would split a name, a number phrase, or a word from its punctuation."""
    out = [False] * len(texts)
    for k in range(1, len(texts)):
        prev, nxt = texts[k - 1], texts[k]
        before = texts[k - 2] if k >= 2 else None
        after = texts[k + 1] if k + 1 < len(texts) else None
        particle_then_name = prev.lower() in _PARTICLES and before is not None and _capitalised(before)
        out[k] = (
            _punctuation_only(nxt)
            or _name_link(prev, nxt, after)
            or (particle_then_name and _capitalised(nxt))
            or _number_link(before, prev, nxt, after)
        )
    return out
