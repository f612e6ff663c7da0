"""Timing rules shared by importers, engines and edits: spreading words over a span, retiming edited text."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from app.core.document import TimingSource, Word
from app.core.word_units import split_units


def spread_words(
    texts: Sequence[str],
    start_ms: int,
    end_ms: int,
    speaker: str | None = None,
    source: TimingSource = TimingSource.INTERPOLATED,
) -> list[Word]:
    """Words for `texts` laid over [start_ms, end_ms] in proportion to their length.

    Times are integers, monotonic, never overlapping, and stay inside the span; with a span shorter
    than the word count some words get zero length rather than spilling past `end_ms`.
    """
    if not texts:
        return []
    end_ms = max(end_ms, start_ms)
    weights = [len(t) + 1 for t in texts]  # +1: a one-letter word still takes time to say
    total = sum(weights)
    span = end_ms - start_ms
    words: list[Word] = []
    acc = 0
    prev = start_ms
    for text, weight in zip(texts, weights):
        acc += weight
        stop = start_ms + (span * acc) // total
        words.append(Word(text, prev, stop, speaker, None, source))
        prev = stop
    return words


# Nominal length of an inserted word after the last known time (no following word): per character + 1.
_NOMINAL_MS_PER_CHAR = 60


def retime_text(
    old_words: Sequence[Word],
    new_text: str,
    prev_end_ms: int,
    next_start_ms: int | None,
    speaker: str | None = None,
) -> list[Word]:
    """Words for `new_text` that replace `old_words`, keeping every timing the edit did not touch.

    The rule (old word texts are diffed against the word units of `new_text`
    (whitespace words; Chinese and Japanese cut by `app.core.word_units.split_units`), exact text,
    `difflib.SequenceMatcher(autojunk=False)` after stripping the common prefix and suffix):

    - an unchanged word is kept as the very same `Word` (times, source, confidence, speaker, flag);
    - a changed block with as many new words as old ones (a spelling fix, "teh" -> "the") gives each
      new word the span of the old word it replaces, marked INTERPOLATED with no confidence, since the
      text no longer matches the audio with certainty;
    - any other change (insertions, a block that grows or shrinks) lays its new words over the old
      block's span, or over the gap between the surrounding kept words for a pure insertion, with
      `spread_words` (proportional to length, monotonic, integer ms), INTERPOLATED, no confidence;
    - the ends are bounded by `prev_end_ms` and `next_start_ms`; `next_start_ms=None` means nothing
      follows (end of the transcript), where new words after the last time get a nominal length;
    - the paragraph flag of the range belongs to its first word: the first returned word carries
      `old_words[0].starts_segment` and no other word of the range gains it from that position;
    - the speaker of new words is `speaker` when given, else that of the word before them in the
      result, else that of the first old word.

    New words never overlap kept ones or leave [prev_end_ms, next_start_ms], provided the old words
    themselves were in order inside that span; with too little room new words get zero length.
    """
    tokens = split_units(new_text)
    old_texts = [w.text for w in old_words]
    n_old, n_new = len(old_texts), len(tokens)
    head = 0
    while head < min(n_old, n_new) and old_texts[head] == tokens[head]:
        head += 1
    tail = 0
    while tail < min(n_old, n_new) - head and old_texts[n_old - 1 - tail] == tokens[n_new - 1 - tail]:
        tail += 1
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    matcher = SequenceMatcher(None, old_texts[head : n_old - tail], tokens[head : n_new - tail], autojunk=False)
    ops += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    if tail:
        ops.append(("equal", n_old - tail, n_old, n_new - tail, n_new))

    default_speaker = old_words[0].speaker if old_words else None
    out: list[Word] = []
    last_end = prev_end_ms
    first_old_at: int | None = None
    for tag, i1, i2, j1, j2 in ops:
        if i1 == 0 and (tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1)):
            first_old_at = len(out)  # where the range's first old word ends up
        if tag == "equal":
            new_words = list(old_words[i1:i2])
        elif tag == "delete":
            continue
        else:
            spk = speaker if speaker is not None else (out[-1].speaker if out else default_speaker)
            if tag == "replace" and i2 - i1 == j2 - j1:
                new_words = [
                    old.replace(
                        text=text,
                        source=TimingSource.INTERPOLATED,
                        confidence=None,
                        speaker=speaker if speaker is not None else old.speaker,
                    )
                    for old, text in zip(old_words[i1:i2], tokens[j1:j2])
                ]
            else:
                limit = old_words[i2].start_ms if i2 < n_old else next_start_ms
                lo = last_end if tag == "insert" else max(last_end, old_words[i1].start_ms)
                if tag == "replace":
                    hi = old_words[i2 - 1].end_ms if limit is None else min(limit, old_words[i2 - 1].end_ms)
                elif limit is None:
                    hi = lo + sum(len(t) + 1 for t in tokens[j1:j2]) * _NOMINAL_MS_PER_CHAR
                else:
                    hi = limit
                if limit is not None:
                    lo = min(lo, limit)
                new_words = spread_words(tokens[j1:j2], lo, max(hi, lo), spk)
        out.extend(new_words)
        last_end = max([last_end] + [w.end_ms for w in new_words])

    if out and old_words:
        flag = old_words[0].starts_segment
        if out[0].starts_segment != flag:
            out[0] = out[0].replace(starts_segment=flag)
        if flag and first_old_at is not None and first_old_at > 0:
            out[first_old_at] = out[first_old_at].replace(starts_segment=False)
    return out
