"""Reading what granite-speech-4.1-2b-plus writes: word end-time tags and speaker tags.

Timestamps pass: `hello [T:45] world [T:82] _ [T:130] next [T:12] ...`. Each number is the END of the
word before it in centiseconds, modulo 1000 (it wraps every 10 s): we keep the last time and add 10 s
whenever a value goes backwards. A word starts where the previous token ended; `_` marks a silence,
which is not a word but moves the clock. Speakers pass: `[Speaker 1]: hello [Speaker 2]: hi ...`.

A language model can write anything, so neither parser ever raises: words without a tag get times
spread between their neighbours, a tag without a word is skipped, unreadable numbers (negative, not
a number, absurdly long) are ignored, a value a little below the previous one (model jitter, under
half a second) is clamped rather than taken as a 10 s wrap, and times never run backwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = r"\[\s*T\s*:\s*(?P<val>[^\[\]\s]*)\s*\]?"
_SPEAKER = r"\[\s*speaker\s*(\d{1,9})\s*\]\s*:?"
_TOKENS = re.compile(
    rf"(?P<tag>{_TAG})|(?P<speaker>{_SPEAKER})|(?P<word>(?:(?!\[\s*T\s*:)(?!\[\s*speaker\s*\d{{1,9}}\s*\])\S)+)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d{1,7}(?:\.\d{0,6})?")
_SPEAKER_SPLIT = re.compile(_SPEAKER, re.IGNORECASE)
_TAG_ONLY = re.compile(_TAG, re.IGNORECASE)
_SILENCE = re.compile(r"_+")

JITTER_MS = 500  # a value at most this far below the last one is model jitter, not a wrap
WRAP_MS = 10_000
TRAILING_WORD_MS = 300  # a word after the last tag, when the piece's length is unknown


@dataclass(frozen=True, slots=True)
class TimedWord:
    """A word from the timestamps pass with its span in ms (absolute once offset by the piece start)."""

    word: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """A stretch of the speakers pass: the speaker number as the model wrote it and the text it said."""

    speaker: int
    text: str

    @property
    def words(self) -> list[str]:
        return self.text.split()


def timestamp_words(text: str) -> list[str]:
    """The words of a timestamps-pass text, in order: everything but tags, speaker tags and `_` silences."""
    return [t for kind, t in _tokens(text) if kind == "word" and not _SILENCE.fullmatch(t)]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _TOKENS.finditer(text or ""):
        if m.group("tag") is not None:
            out.append(("tag", m.group("val") or ""))
        elif m.group("word") is not None:
            out.append(("word", m.group("word")))
    return out


def _unwrap(value_ms: int, last_ms: int) -> int:
    """The absolute time of a tag value given the last absolute time (both in ms).

    A value past 999 is read modulo 1000 too: where the model meant an absolute time, unwrapping
    gives the same answer, and where it is garbage, the time cannot leap ahead.
    """
    cand = (last_ms - last_ms % WRAP_MS) + value_ms % WRAP_MS
    if cand < last_ms - JITTER_MS:
        cand += WRAP_MS
    elif last_ms >= WRAP_MS and last_ms % WRAP_MS < JITTER_MS and cand - WRAP_MS >= last_ms - JITTER_MS:
        return last_ms  # just behind a `last` that has only just wrapped: a wobble, not a 10 s leap
    return max(cand, last_ms)


def parse_timestamps(text: str, offset_ms: int = 0, duration_ms: int | None = None) -> list[TimedWord]:
    """The words of a timestamps-pass output with times in ms, offset by `offset_ms` (the piece start).

    Words after the last tag get about 300 ms each; `duration_ms`, where known (the piece's length),
    keeps every time inside the piece.
    """
    words: list[TimedWord] = []
    pending: list[str] = []  # words and silences since the last usable tag
    clock_ms = 0
    last_ms = 0
    for kind, value in _tokens(text):
        if kind == "word":
            pending.append(value)
            continue
        if not pending or not _NUMBER.fullmatch(value):
            continue  # a tag without a word, or one we cannot read: skip it
        last_ms = _unwrap(int(round(float(value) * 10)), last_ms)
        end_ms = max(last_ms, clock_ms)
        if duration_ms is not None:
            end_ms = max(min(end_ms, duration_ms), clock_ms)
        _spread(pending, clock_ms, end_ms, words)
        clock_ms, pending = end_ms, []
    if pending:
        count = sum(1 for t in pending if not _SILENCE.fullmatch(t))
        end_ms = clock_ms + TRAILING_WORD_MS * count
        if duration_ms is not None:
            end_ms = min(end_ms, max(duration_ms, clock_ms))
        _spread(pending, clock_ms, end_ms, words)
    if offset_ms:
        words = [TimedWord(w.word, w.start_ms + offset_ms, w.end_ms + offset_ms) for w in words]
    return words


def _spread(tokens: list[str], start_ms: int, end_ms: int, out: list[TimedWord]) -> None:
    """Lay `tokens` over [start_ms, end_ms] by length; silences take time but make no word."""
    weights = [3 if _SILENCE.fullmatch(t) else len(t) + 1 for t in tokens]
    total = sum(weights)
    span = end_ms - start_ms
    acc, prev = 0, start_ms
    for token, weight in zip(tokens, weights):
        acc += weight
        stop = start_ms + span * acc // total
        if not _SILENCE.fullmatch(token):
            out.append(TimedWord(token, prev, stop))
        prev = stop


def parse_speakers(text: str) -> list[SpeakerTurn]:
    """Speaker turns of a speakers-pass output, in order; text before the first tag goes to its speaker.

    Consecutive turns of one speaker are joined; empty turns are dropped; stray timestamp tags and `_`
    silences are removed from the text.
    """
    parts = _SPEAKER_SPLIT.split(text or "")
    # split() with one group gives [before, n1, text1, n2, text2, ...]
    labels = [int(n) for n in parts[1::2]]
    texts = [parts[0], *parts[2::2]]
    speakers = [labels[0] if labels else 1, *labels]
    turns: list[SpeakerTurn] = []
    for speaker, chunk in zip(speakers, texts):
        words = [w for w in _TAG_ONLY.sub(" ", chunk).split() if not _SILENCE.fullmatch(w)]
        if not words:
            continue
        if turns and turns[-1].speaker == speaker:
            turns[-1] = SpeakerTurn(speaker, f"{turns[-1].text} {' '.join(words)}")
        else:
            turns.append(SpeakerTurn(speaker, " ".join(words)))
    return turns


def speaker_words(turns: list[SpeakerTurn]) -> list[tuple[str, int]]:
    """The turns flattened to (word, speaker number) pairs."""
    return [(w, t.speaker) for t in turns for w in t.words]
