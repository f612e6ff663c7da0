"""What the piece-by-piece engines share: token budgets, spreading text over speech, and `WordAssembler`.

`WordAssembler` stitches consecutive pieces and releases only the words that no later piece can change,
so the updates a run yields are final and in time order. Used by `GraniteTextEngine` (app/asr/engines/text_engine.py),
`PlusEngine`, `InterviewEngine` and `NarEngine`; kept apart from them so that none imports another.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from app.asr.engines.base import SAMPLE_RATE
from app.asr.pipeline.segmentation import Piece, speech_spans
from app.asr.pipeline.stitch import stitch
from app.core.document import Word
from app.core.timing import spread_words

MAX_NEW_TOKENS_ENV = "VERBATIM_MAX_NEW_TOKENS"  # caps every generation (tests, quick looks)
# generated tokens per second of audio, with headroom: speech is ~3 words/s, ~1.3 tokens per word;
# a timestamp tag costs ~5 more tokens per word
TOKENS_PER_S = {"punctuated": 8.0, "raw": 8.0, "translate": 10.0, "speakers": 10.0, "timestamps": 25.0}
HARD_CUT_OVERLAP_S = 2.0


# how many more tokens a second of speech costs in a language than in English, for the language the
# model WRITES (the target when translating). Granite's BPE vocabulary spends about one token per
# Japanese kana or kanji and per Chinese character: Japanese speech runs at about 7-8 morae a second,
# written as 5-7 characters (~2.5x English's tokens per second), Mandarin at 4-5 characters (~2x);
# Romance languages and German spell words in more pieces than English (~1.3x).
LANGUAGE_TOKEN_FACTOR = {"en": 1.0, "fr": 1.3, "de": 1.3, "es": 1.3, "pt": 1.3, "it": 1.3, "ja": 2.5, "zh": 2.0}


def token_budget(kind: str, samples: int, language: str | None = None) -> int:
    """max_new_tokens for a piece of `samples` samples, a kind of output and the language written
    (capped by the env variable); an unknown language gets the largest factor, so output is never cut."""
    factor = LANGUAGE_TOKEN_FACTOR.get(language or "en", max(LANGUAGE_TOKEN_FACTOR.values()))
    budget = int(TOKENS_PER_S.get(kind, 10.0) * factor * samples / SAMPLE_RATE) + 20
    cap = os.environ.get(MAX_NEW_TOKENS_ENV, "").strip()
    if cap.isdigit() and int(cap) > 0:
        budget = min(budget, int(cap))
    return budget


def spread_over_speech(texts: Sequence[str], spans: Sequence[tuple[int, int]],
                       speaker: str | None = None) -> list[Word]:
    """Words laid over the voiced stretches `spans` (ms), skipping the pauses between them."""
    if not texts or not spans:
        return []
    total = sum(b - a for a, b in spans)
    words = spread_words(texts, 0, total, speaker)

    def real(t: int, start: bool) -> int:
        for a, b in spans:  # a start on a span's end belongs to the next span, an end to this one
            if t < b - a or (t == b - a and not start):
                return a + t
            t -= b - a
        return spans[-1][1]

    return [w.replace(start_ms=real(w.start_ms, True), end_ms=real(w.end_ms, False)) for w in words]


def piece_speech_ms(audio: np.ndarray, piece: Piece) -> list[tuple[int, int]]:
    """The voiced stretches of a piece, in absolute ms."""
    spans = speech_spans(np.asarray(audio[piece.start : piece.end]), piece.start)
    return [(a * 1000 // SAMPLE_RATE, b * 1000 // SAMPLE_RATE) for a, b in spans]


class WordAssembler:
    """Joins the words of consecutive pieces and releases the ones no later piece can change.

    `add` takes a piece's words (absolute ms), the region that piece covers, the previous piece's
    region (the overlap between them is stitched) and where the next piece starts (words ending
    before that, less the tolerance, are final). `flush` releases the rest (end of run or cancel).
    """

    def __init__(self, tolerance_ms: int = 600) -> None:
        self.tolerance_ms = tolerance_ms
        self.pending: list[Word] = []
        self._last_end = 0

    def add(
        self,
        words: Sequence[Word],
        region: Piece,
        previous: Piece | None,
        next_start_ms: int | None,
        pairs: list[tuple[int, int]] | None = None,
    ) -> list[Word]:
        if self.pending and previous is not None and region.start < previous.end:
            joined = stitch(self.pending, words, region.start_ms, previous.end_ms, self.tolerance_ms, pairs)
        else:
            joined = [*self.pending, *words]
        if next_start_ms is None:
            self.pending = []
            return self._release(joined)
        cut = next_start_ms - self.tolerance_ms
        k = 0
        while k < len(joined) and joined[k].end_ms <= cut:
            k += 1
        self.pending = joined[k:]
        return self._release(joined[:k])

    def flush(self) -> list[Word]:
        words, self.pending = self.pending, []
        return self._release(words)

    def _release(self, words: Sequence[Word]) -> list[Word]:
        out = []
        for w in words:
            if w.start_ms < self._last_end:
                w = w.replace(start_ms=self._last_end, end_ms=max(w.end_ms, self._last_end))
            out.append(w)
            self._last_end = w.end_ms
        return out


def neighbours(pieces: Sequence[Piece], index: int) -> tuple[Piece | None, int | None]:
    """The previous piece and the start (ms) of the next one, for `WordAssembler.add`."""
    prev = pieces[index - 1] if index > 0 else None
    nxt = pieces[index + 1].start_ms if index + 1 < len(pieces) else None
    return prev, nxt
