"""Merging passes over the same audio: punctuated text, word times and speaker labels into one word list.

The passes never agree word for word (one writes "5", another "five"; one hears a word the other
misses), so they are aligned on normalized words (lowercase, no punctuation): difflib's matcher
anchors the long runs of agreement quickly, and a small dynamic programme pairs similar words inside
each disagreeing stretch ("colour"/"color"). That keeps a 5,000-word interview well under a second.

The primary sequence (the punctuated text, or else the timestamps pass) keeps every one of its words,
in order, with its punctuation. A word matched in the timestamps pass takes that word's times (source
MODEL); the others are spread between their matched neighbours (INTERPOLATED). A word matched in the
speakers pass takes that speaker; the others take their neighbours' speaker, and where the speaker
changes inside an unmatched stretch, the change goes where the speakers pass puts it (in proportion),
moved to the nearest sentence end.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Sequence

from app.asr.granite.plus_output import TimedWord
from app.core.document import TimingSource, Word
from app.core.timing import spread_words
from app.core.word_units import has_cjk, segment_cjk

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…][\"'»”)\]]*$")
_GAP_CELLS = 40_000  # the largest disagreeing stretch (n*m) paired word by word
TRAILING_WORD_MS = 300


def normalize_word(text: str) -> str:
    """Lowercase letters and digits only: the form in which two passes' words are compared."""
    return _NON_WORD.sub("", text.lower())


_OPENING = set("([{“‘«¿¡„‚「『（【〈《〔［")


def split_words(text: str) -> list[str]:
    """Whitespace words with punctuation-only tokens attached to a neighbour ("Hello ," -> "Hello,").

    Chinese and Japanese text is cut into word units (`app.core.word_units`: one per Han character,
    per kana run, a Katakana word whole, punctuation attached). Opening marks go to the next word
    ('said ( maybe )' -> 'said', '(maybe)'); a straight double quote opens when it is the first of a pair,
    and closes when it is the second.
    """
    out: list[str] = []
    lead = ""
    open_quote = False
    for token in _tokens(text):
        opens = all(ch in _OPENING for ch in token) or (token == '"' and not open_quote)
        if token == '"' or (normalize_word(token) and token.count('"') % 2):
            open_quote = not open_quote
        if normalize_word(token):
            out.append(lead + token)
            lead = ""
        elif opens:
            lead += token
        elif out:
            sep = " " if token[0] in "-–—" else ""
            out[-1] = out[-1] + sep + token
        else:
            lead += token
    if lead and out:
        out[-1] += lead
    elif lead:
        out.append(lead)
    return out


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for token in text.split():
        out.extend(segment_cjk(token) if has_cjk(token) else [token])
    return out


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio if ratio >= 0.6 else 0.0


def _pair_gap(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """The best monotonic pairing of similar words in two short stretches (max total similarity)."""
    n, m = len(a), len(b)
    sim = [[_similar(x, y) for y in b] for x in a]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if sim[i][j] > 0:
                best = max(best, score[i + 1][j + 1] + sim[i][j])
            score[i][j] = best
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if sim[i][j] > 0 and abs(score[i][j] - (score[i + 1][j + 1] + sim[i][j])) < 1e-9:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i + 1][j] >= score[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def align_sequences(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Monotonic pairs (i, j) of matching items of two normalized word sequences."""
    pairs: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > 400)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
        elif tag == "replace":
            if (i2 - i1) * (j2 - j1) <= _GAP_CELLS:
                pairs.extend((i1 + x, j1 + y) for x, y in _pair_gap(a[i1:i2], b[j1:j2]))
            else:  # a huge disagreement: pair only exact words through a recursive anchor pass
                pairs.extend((i1 + x, j1 + y) for x, y in _exact_pairs(a[i1:i2], b[j1:j2]))
    return pairs


def _exact_pairs(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(i + k, j + k) for i, j, size in matcher.get_matching_blocks() for k in range(size)]


def merge_passes(
    primary: Sequence[str] | None,
    timed: Sequence[TimedWord] = (),
    speakers: Sequence[tuple[str, object]] = (),
    start_ms: int = 0,
    end_ms: int | None = None,
) -> list[Word]:
    """One word list from up to three passes over the span [start_ms, end_ms] of the recording.

    `primary`: the words to keep (punctuated text), or None to keep the timestamps pass's words (or,
    without those, the speakers pass's). `timed`: the timestamps pass. `speakers`: (word, label) pairs
    from the speakers pass. Speaker labels come back as strings (still local to this pass).
    """
    if primary is None:
        primary = [t.word for t in timed] if timed else [w for w, _ in speakers]
    texts = list(primary)
    if not texts:
        return []
    norm = [normalize_word(t) for t in texts]
    times = _times(texts, norm, timed, start_ms, end_ms)
    labels = _speakers(texts, norm, speakers)
    return [Word(t, s, e, lab, None, src) for t, (s, e, src), lab in zip(texts, times, labels)]


def _times(
    texts: list[str], norm: list[str], timed: Sequence[TimedWord], start_ms: int, end_ms: int | None
) -> list[tuple[int, int, TimingSource]]:
    matched: dict[int, TimedWord] = {}
    if timed:
        for i, j in align_sequences(norm, [normalize_word(t.word) for t in timed]):
            matched[i] = timed[j]
    out: list[tuple[int, int, TimingSource]] = []
    i, n = 0, len(texts)
    prev_end = start_ms
    while i < n:
        if i in matched:
            t = matched[i]
            s, e = max(t.start_ms, prev_end), max(t.end_ms, prev_end)
            out.append((s, e, TimingSource.MODEL))
            prev_end = e
            i += 1
            continue
        k = i
        while k < n and k not in matched:
            k += 1
        if k < n:
            stop = max(matched[k].start_ms, prev_end)
        else:  # after the last timed word: a nominal length per word, inside the span
            stop = prev_end + TRAILING_WORD_MS * (k - i) if timed or end_ms is None else end_ms
            if end_ms is not None:
                stop = max(min(stop, end_ms), prev_end)
        for w in spread_words(texts[i:k], prev_end, stop):
            out.append((w.start_ms, w.end_ms, TimingSource.INTERPOLATED))
        prev_end = stop
        i = k
    return out


def _speakers(texts: list[str], norm: list[str], speakers: Sequence[tuple[str, object]]) -> list[str | None]:
    n = len(texts)
    labels: list[str | None] = [None] * n
    if not speakers:
        return labels
    spk_labels = [str(lab) for _, lab in speakers]
    partner: dict[int, int] = {}
    for i, j in align_sequences(norm, [normalize_word(w) for w, _ in speakers]):
        labels[i] = spk_labels[j]
        partner[i] = j
    known = sorted(partner)
    if not known:  # nothing matched: the pass's most frequent speaker for all
        counts: dict[str, int] = {}
        for lab in spk_labels:
            counts[lab] = counts.get(lab, 0) + 1
        return [max(counts, key=counts.__getitem__)] * n
    for i in range(known[0]):
        labels[i] = labels[known[0]]
    for i in range(known[-1] + 1, n):
        labels[i] = labels[known[-1]]
    for a, b in zip(known, known[1:]):
        if b - a <= 1:
            continue
        before, after = labels[a], labels[b]
        cut = b  # words a+1 .. cut-1 go to `before`, the rest to `after`
        if before != after:
            cut = _turn_change(texts, a, b, spk_labels[partner[a] + 1 : partner[b]], before)
        for k in range(a + 1, b):
            labels[k] = before if k < cut else after
    return labels


def _turn_change(texts: list[str], a: int, b: int, gap_labels: list[str], before: str | None) -> int:
    """Where the speaker changes between matched words a and b: near the point the speakers pass puts it
    (in proportion), moved to the nearest sentence end where the stretch has one."""
    k = 0
    while k < len(gap_labels) and gap_labels[k] == before:
        k += 1
    fraction = k / len(gap_labels) if gap_labels else 1.0
    estimate = a + 1 + fraction * (b - a - 1)
    ends = [k + 1 for k in range(a, b) if _SENTENCE_END.search(texts[k])]
    if not ends:
        return int(round(estimate))
    return min(ends, key=lambda e: (abs(e - estimate), e))
