"""Subtitle cues from words: short, readable, timed to the speech, never cutting a word in two.

Rules (all in `CueRules`): at most `max_lines` lines of at most `max_chars` characters and at most
`max_duration_ms` per cue; a speaker change or a long silence always ends a cue; otherwise a cue
ends preferably after a sentence, then after a comma-like mark, then at a pause, always as late as
the limits allow among breaks of the best kind. A cue runs from its first word's start to its last
word's end, lengthened to `min_duration_ms` where the next cue leaves room. Lines are balanced.
A single word longer than a line stands alone on its line (it is never split). No line or cue ends
inside a name, a number phrase or before a word's own punctuation where the run fits on a line
(`app.core.cue_glue`). Chinese and Japanese lines hold `max_chars_cjk` characters, with no spaces
between word units, so a Katakana word (one unit) is never split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.cue_glue import glued
from app.core.document import Word
from app.core.word_units import cjk_share, separator_width

_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
_CLAUSE_END = (",", ";", ":", "–", "—", "、", "，")
_CLOSERS = "\"'”’»)]}"


@dataclass(frozen=True, slots=True)
class CueRules:
    """Limits for cue building; the defaults follow common broadcast subtitle guidelines."""

    max_chars: int = 42
    max_chars_cjk: int = 16  # Chinese and Japanese lines: full-width characters (guidelines say 13-16)
    max_lines: int = 2
    max_duration_ms: int = 7000
    min_duration_ms: int = 700
    pause_ms: int = 500
    hard_pause_ms: int = 1500  # a silence this long is never shown under one cue
    min_fill: float = 0.35  # a preferred break must leave a cue at least this full
    speaker_prefix: bool = False  # "Name: " on the first line of a cue whose speaker changed


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: words [first, end) of the transcript, shown from start_ms to end_ms."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None
    first: int
    end: int
    new_speaker: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _break_level(words: Sequence[Word], k: int, pause_ms: int) -> int:
    """How good a cue break is between words k-1 and k: 3 sentence, 2 clause, 1 pause, 0 none."""
    prev, nxt = words[k - 1], words[k]
    tail = prev.text.rstrip(_CLOSERS)
    if tail.endswith(_SENTENCE_END) or nxt.starts_segment:
        return 3
    if tail.endswith(_CLAUSE_END):
        return 2
    if nxt.start_ms - prev.end_ms >= pause_ms:
        return 1
    return 0


def _line_ranges(
    lengths: Sequence[int], seps: Sequence[int], glue: Sequence[bool], width: int
) -> list[tuple[int, int]]:
    """Greedy word wrap of tokens (their lengths, the separator width before each, glued boundaries):
    each line as full as it can be, ending at the last boundary that is not glued; a glued run
    longer than a line is broken where it must be."""
    ranges: list[tuple[int, int]] = []
    a, n = 0, len(lengths)
    while a < n:
        k, cur = a + 1, lengths[a]
        while k < n and cur + seps[k] + lengths[k] <= width:
            cur += seps[k] + lengths[k]
            k += 1
        if k < n:
            free = [b for b in range(a + 1, k + 1) if not glue[b]]
            k = free[-1] if free else k
        ranges.append((a, k))
        a = k
    return ranges


def _joined(tokens: Sequence[str], seps: Sequence[int], a: int, b: int) -> str:
    return "".join((" " if k > a and seps[k] else "") + tokens[k] for k in range(a, b))


def wrap_lines(texts: Sequence[str], width: int = 42, max_lines: int = 2, prefix: str = "",
               glue: Sequence[bool] | None = None) -> tuple[str, ...]:
    """Lay words out on lines: one line if it fits, else the most balanced two-line split, else greedy.

    No space goes between CJK units. `glue[k]` marks a boundary before word k that should not end a
    line (a name, a number; see `app.core.cue_glue`): such a boundary is used only when no other fits.
    `prefix` ("Name:") goes before the first word, separated by a space, and never stands alone.
    """
    tokens = ([prefix] if prefix else []) + list(texts)
    words_glue = list(glue) if glue is not None else glued(list(texts))
    marks = ([False, True] + words_glue[1:]) if prefix else [False] + words_glue[1:]
    seps = [0] + [
        1 if (prefix and k == 1) else separator_width(tokens[k - 1], tokens[k]) for k in range(1, len(tokens))
    ]
    lens = [len(t) for t in tokens]
    total = sum(lens) + sum(seps)
    if total <= width or len(tokens) <= 1:
        return (_joined(tokens, seps, 0, len(tokens)),)
    if max_lines == 2:
        best: tuple[tuple[int, int], int] | None = None
        left = 0
        for s in range(1, len(tokens)):
            left += lens[s - 1] + (seps[s - 1] if s > 1 else 0)
            l1, l2 = left, total - left - seps[s]
            if l1 > width or l2 > width or marks[s]:
                continue
            punct = tokens[s - 1].rstrip(_CLOSERS).endswith(_SENTENCE_END + _CLAUSE_END)
            key = (max(l1, l2) - (4 if punct else 0), abs(l1 - l2))
            if best is None or key < best[0]:
                best = (key, s)
        if best is not None:
            s = best[1]
            return (_joined(tokens, seps, 0, s), _joined(tokens, seps, s, len(tokens)))
    return tuple(_joined(tokens, seps, a, b) for a, b in _line_ranges(lens, seps, marks, width))


def _runs(words: Sequence[Word], hard_pause_ms: int) -> list[tuple[int, int]]:
    """Word ranges that no cue may cross: speaker changes and long silences."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(words)):
        if words[i].speaker != words[i - 1].speaker or words[i].start_ms - words[i - 1].end_ms >= hard_pause_ms:
            runs.append((start, i))
            start = i
    if words:
        runs.append((start, len(words)))
    return runs


@dataclass(frozen=True, slots=True)
class _Text:
    """The words' texts with what line layout needs: lengths, separator widths, glued boundaries."""

    texts: list[str]
    lengths: list[int]
    seps: list[int]
    glue: list[bool]


def _text_of(words: Sequence[Word]) -> _Text:
    texts = [w.text for w in words]
    seps = [0] + [separator_width(texts[k - 1], texts[k]) for k in range(1, len(texts))]
    return _Text(texts, [len(t) for t in texts], seps, glued(texts))


def _width(texts: Sequence[str], rules: CueRules) -> int:
    """The line width for a stretch of words: `max_chars_cjk` where most characters are Chinese or Japanese."""
    return rules.max_chars_cjk if cjk_share(texts) > 0.5 else rules.max_chars


def build_cues(
    words: Sequence[Word],
    rules: CueRules = CueRules(),
    speaker_name: Callable[[str | None], str] | None = None,
    end_limit_ms: int | None = None,
) -> list[Cue]:
    """Cut `words` into subtitle cues following `rules` (see the module docstring)."""
    words = list(words)
    text = _text_of(words)
    spans: list[tuple[int, int, bool, int]] = []  # (first, end, new_speaker, line width)
    prev_speaker: object = object()
    for a, b in _runs(words, rules.hard_pause_ms):
        new_speaker = words[a].speaker != prev_speaker
        prev_speaker = words[a].speaker
        name = speaker_name(words[a].speaker) if (speaker_name and rules.speaker_prefix) else ""
        width = _width(text.texts[a:b], rules)
        i = a
        while i < b:
            head = len(name) + 1 if (name and new_speaker) else 0  # "Name:" before the first word
            j = _cue_end(words, text, head, i, b, rules, width)
            spans.append((i, j, new_speaker, width))
            new_speaker = False
            i = j
    return _timed(words, text, spans, rules, speaker_name, end_limit_ms)


def _line_count(text: _Text, head: int, i: int, end: int, width: int) -> int:
    lengths = ([head] if head else []) + text.lengths[i:end]
    seps = ([0, 1] if head else [0]) + text.seps[i + 1:end]
    glue = ([False, True] if head else [False]) + text.glue[i + 1:end]
    return len(_line_ranges(lengths, seps, glue, width))


def _fits(words: list[Word], text: _Text, head: int, i: int, end: int, rules: CueRules, width: int) -> bool:
    """Whether words [i, end) make one cue within the limits (a single word always does)."""
    if end - i == 1:
        return True
    if words[end - 1].end_ms - words[i].start_ms > rules.max_duration_ms:
        return False
    return _line_count(text, head, i, end, width) <= rules.max_lines


def _cue_end(words: list[Word], text: _Text, head: int, i: int, b: int, rules: CueRules, width: int) -> int:
    """Where the cue that starts at word i ends (exclusive), within the run that ends at b.

    Among the ends that keep the cue full enough, the best kind of break wins (the latest of its
    kind); a break inside a name or a number phrase is taken only when there is no other.
    """
    j = i + 1
    while j < b and _fits(words, text, head, i, j + 1, rules, width):
        j += 1
    if j == b:
        return j
    prefix_len = head + 1 if head else 0
    capacity = width * rules.max_lines
    best_k, best_key = j, (-2, -1, j)
    for k in range(i + 1, j + 1):
        chars = sum(text.lengths[i:k]) + sum(text.seps[i + 1:k]) + prefix_len
        dur = words[k - 1].end_ms - words[i].start_ms
        fill = max(chars / capacity, dur / rules.max_duration_ms)
        full_enough = fill >= rules.min_fill or k == j
        key = (0 if text.glue[k] else 1, _break_level(words, k, rules.pause_ms) if full_enough else -1, k)
        if key > best_key:
            best_k, best_key = k, key
    return best_k


def _timed(
    words: list[Word],
    text: _Text,
    spans: list[tuple[int, int, bool, int]],
    rules: CueRules,
    speaker_name: Callable[[str | None], str] | None,
    end_limit_ms: int | None,
) -> list[Cue]:
    cues: list[Cue] = []
    for n, (i, j, new_speaker, width) in enumerate(spans):
        start = words[i].start_ms
        end = max(words[j - 1].end_ms, start)
        if end - start < rules.min_duration_ms:
            room = words[spans[n + 1][0]].start_ms if n + 1 < len(spans) else end_limit_ms
            target = start + rules.min_duration_ms
            end = max(end, min(target, room) if room is not None else target)
        speaker = words[i].speaker
        name = speaker_name(speaker) if (speaker_name and rules.speaker_prefix and new_speaker) else ""
        prefix = f"{name}:" if name else ""
        lines = wrap_lines(text.texts[i:j], width, rules.max_lines, prefix, [False] + text.glue[i + 1:j])
        cues.append(Cue(start, end, lines, speaker, i, j, new_speaker))
    return cues
