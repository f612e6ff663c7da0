"""Subtitle cues from words: short, readable, timed to the speech, never cutting a word in two.

Rules (all in `CueRules`): at most `max_lines` lines of at most `max_chars` characters and at most
`max_duration_ms` per cue; a speaker change or a long silence always ends a cue; otherwise a cue
ends preferably after a sentence, then after a comma-like mark, then at a pause, always as late as
the limits allow among breaks of the best kind. A cue runs from its first word's start to its last
word's end, lengthened to `min_duration_ms` where the next cue leaves room. Lines are balanced.
A single word longer than a line stands alone on its line (it is never split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from app.core.document import Word

_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
_CLAUSE_END = (",", ";", ":", "–", "—", "、", "，")
_CLOSERS = "\"'”’»)]}"


@dataclass(frozen=True, slots=True)
class CueRules:
    """Limits for cue building; the defaults follow common broadcast subtitle guidelines."""

    max_chars: int = 42
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


def _greedy_line_count(lengths: Sequence[int], width: int) -> int:
    """Lines needed to wrap tokens of these lengths greedily (the fewest possible for word wrap)."""
    lines, cur = 1, -1
    for n in lengths:
        if cur < 0 or cur + 1 + n <= width:
            cur = n if cur < 0 else cur + 1 + n
        else:
            lines, cur = lines + 1, n
    return lines


def _greedy_lines(tokens: Sequence[str], width: int) -> tuple[str, ...]:
    lines: list[str] = []
    cur = ""
    for t in tokens:
        if not cur or len(cur) + 1 + len(t) <= width:
            cur = f"{cur} {t}" if cur else t
        else:
            lines.append(cur)
            cur = t
    lines.append(cur)
    return tuple(lines)


def wrap_lines(texts: Sequence[str], width: int = 42, max_lines: int = 2, prefix: str = "") -> tuple[str, ...]:
    """Lay words out on lines: one line if it fits, else the most balanced two-line split, else greedy.

    `prefix` ("Name:") goes before the first word, separated by a space.
    """
    tokens = ([prefix] if prefix else []) + list(texts)
    full = " ".join(tokens)
    if len(full) <= width or len(tokens) <= 1:
        return (full,)
    if max_lines == 2:
        lens = [len(t) for t in tokens]
        total = sum(lens) + len(lens) - 1
        first = 2 if prefix else 1  # the prefix never stands alone when a split exists
        best: tuple[tuple[int, int], int] | None = None
        left = sum(lens[:first]) + first - 1
        for s in range(first, len(tokens)):
            if s > first:
                left += lens[s - 1] + 1
            l1, l2 = left, total - left - 1
            if l1 > width or l2 > width:
                continue
            punct = tokens[s - 1].rstrip(_CLOSERS).endswith(_SENTENCE_END + _CLAUSE_END)
            key = (max(l1, l2) - (4 if punct else 0), abs(l1 - l2))
            if best is None or key < best[0]:
                best = (key, s)
        if best is not None:
            s = best[1]
            return (" ".join(tokens[:s]), " ".join(tokens[s:]))
    return _greedy_lines(tokens, width)


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


def build_cues(
    words: Sequence[Word],
    rules: CueRules = CueRules(),
    speaker_name: Callable[[str | None], str] | None = None,
    end_limit_ms: int | None = None,
) -> list[Cue]:
    """Cut `words` into subtitle cues following `rules` (see the module docstring)."""
    words = list(words)
    lengths = [len(w.text) for w in words]
    spans: list[tuple[int, int, bool]] = []  # (first, end, new_speaker)
    prev_speaker: object = object()
    for a, b in _runs(words, rules.hard_pause_ms):
        new_speaker = words[a].speaker != prev_speaker
        prev_speaker = words[a].speaker
        name = speaker_name(words[a].speaker) if (speaker_name and rules.speaker_prefix) else ""
        i = a
        while i < b:
            head = [len(name) + 1] if (name and new_speaker) else []  # "Name:" before the first word
            j = _cue_end(words, lengths, head, i, b, rules)
            spans.append((i, j, new_speaker))
            new_speaker = False
            i = j
    return _timed(words, spans, rules, speaker_name, end_limit_ms)


def _fits(words: list[Word], lengths: list[int], head: list[int], i: int, end: int, rules: CueRules) -> bool:
    """Whether words [i, end) make one cue within the limits (a single word always does)."""
    if end - i == 1:
        return True
    if words[end - 1].end_ms - words[i].start_ms > rules.max_duration_ms:
        return False
    return _greedy_line_count(head + lengths[i:end], rules.max_chars) <= rules.max_lines


def _cue_end(words: list[Word], lengths: list[int], head: list[int], i: int, b: int, rules: CueRules) -> int:
    """Where the cue that starts at word i ends (exclusive), within the run that ends at b."""
    j = i + 1
    while j < b and _fits(words, lengths, head, i, j + 1, rules):
        j += 1
    if j == b:
        return j
    prefix_len = head[0] + 1 if head else 0
    capacity = rules.max_chars * rules.max_lines
    best_k, best_key = j, (-1, j)
    for k in range(i + 1, j + 1):
        chars = sum(lengths[i:k]) + (k - i - 1) + prefix_len
        dur = words[k - 1].end_ms - words[i].start_ms
        fill = max(chars / capacity, dur / rules.max_duration_ms)
        if fill < rules.min_fill and k != j:
            continue
        key = (_break_level(words, k, rules.pause_ms), k)
        if key > best_key:
            best_k, best_key = k, key
    return best_k


def _timed(
    words: list[Word],
    spans: list[tuple[int, int, bool]],
    rules: CueRules,
    speaker_name: Callable[[str | None], str] | None,
    end_limit_ms: int | None,
) -> list[Cue]:
    cues: list[Cue] = []
    for n, (i, j, new_speaker) in enumerate(spans):
        start = words[i].start_ms
        end = max(words[j - 1].end_ms, start)
        if end - start < rules.min_duration_ms:
            room = words[spans[n + 1][0]].start_ms if n + 1 < len(spans) else end_limit_ms
            target = start + rules.min_duration_ms
            end = max(end, min(target, room) if room is not None else target)
        speaker = words[i].speaker
        name = speaker_name(speaker) if (speaker_name and rules.speaker_prefix and new_speaker) else ""
        prefix = f"{name}:" if name else ""
        lines = wrap_lines([w.text for w in words[i:j]], rules.max_chars, rules.max_lines, prefix)
        cues.append(Cue(start, end, lines, speaker, i, j, new_speaker))
    return cues
