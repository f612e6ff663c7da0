"""The autoregressive engines behind the `Engine` protocol, and what they share.

- `GraniteTextEngine` (4.1-2b, 4.0-1b): punctuated or raw transcription, translation, keywords. The
  model gives text without times, so each piece's words are aligned with the checkpoint's own CTC
  head (`app.asr.piece_align`, source ALIGNED); without a head, or for a translation, they are spread
  over the speech in the piece (source INTERPOLATED) and `timing_note` says why.
- `PlusEngine` (app/asr/plus_engine.py): word times and speakers from 4.1-2b-plus.
- `InterviewEngine` (app/asr/interview_engine.py): 2b punctuated text with plus times and speakers.

Shared here: token budgets per piece, spreading text over speech, and `WordAssembler`, which stitches
consecutive pieces and releases only the words that no later piece can change, so the updates a run
yields are final and in time order.
"""

from __future__ import annotations

import os
from typing import Iterator, Sequence

import numpy as np

from app.asr.engine import (
    SAMPLE_RATE,
    CancelToken,
    EngineUpdate,
    Progress,
    TranscribeOptions,
    audio_seconds,
    validate_options,
)
from app.asr.longform import run_pieces
from app.asr.merge import split_words
from app.asr.piece_align import PieceTimer, granite_piece_timer
from app.asr.prompts import instruction
from app.asr.segmentation import Piece, plan_pieces, speech_spans
from app.asr.stitch import stitch
from app.core.document import TranscriptionSettings, Word
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


def spread_over_speech(texts: Sequence[str], spans: Sequence[tuple[int, int]], speaker: str | None = None) -> list[Word]:
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


class GraniteTextEngine:
    """Granite Speech 4.1-2b (or 4.0-1b): text, punctuated or raw, or a translation; keywords bias it.

    `runner` is a loaded `app.asr.ar_runner.ARRunner`. `max_piece_s` overrides the model's piece length.
    """

    def __init__(self, runner, max_piece_s: float | None = None, overlap_s: float = HARD_CUT_OVERLAP_S) -> None:
        self.runner = runner
        self.spec = runner.spec
        self.name = self.spec.display_name
        self.capabilities = self.spec.capabilities
        self.max_piece_s = max_piece_s
        self.overlap_s = overlap_s
        self._timer: PieceTimer | None = None

    @property
    def timer(self) -> PieceTimer:
        """Aligns each piece's words with the model's own CTC head (loaded on first use)."""
        if self._timer is None:
            self._timer = granite_piece_timer(self.runner)
        return self._timer

    def timing_note(self, options: TranscribeOptions) -> str:
        """One sentence on why word times will be spread rather than aligned ("" when they are aligned)."""
        if options.task == "translate":
            return "A translation cannot be aligned to the speech, so word times are spread over each piece."
        return self.timer.note

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        target = (options.target_language or "en") if options.task == "translate" else None
        return TranscriptionSettings(self.name, self.spec.revision or "", options.language, options.task, target,
                                     str(self.runner.device))

    def kind(self, options: TranscribeOptions) -> str:
        if options.task == "translate":
            return "translate"
        return "punctuated" if options.punctuation and self.capabilities.punctuation else "raw"

    def piece_length_s(self, options: TranscribeOptions) -> float:
        if self.max_piece_s:
            return self.max_piece_s
        return float(self.spec.max_piece_s.get(options.task, self.spec.max_piece_s.get("transcribe", 30.0)))

    def transcribe(
        self, audio: np.ndarray, options: TranscribeOptions, cancel: CancelToken | None = None
    ) -> Iterator[EngineUpdate]:
        validate_options(self.name, self.capabilities, options)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        kind = self.kind(options)
        target = (options.target_language or "en") if kind == "translate" else None
        prompt = instruction("granite", kind, target, options.keywords)
        pieces = plan_pieces(audio, self.piece_length_s(options), overlap_s=self.overlap_s)
        total = audio_seconds(audio)
        if not pieces:
            yield EngineUpdate(Progress(0, 0, total, total))
            return

        written = target if kind == "translate" else options.language

        def decode(batch: list[np.ndarray]) -> list[str]:
            return self.runner.generate(batch, prompt, token_budget(kind, max(len(x) for x in batch), written))

        # interpolated times are rough, so the stitcher accepts matches further apart
        assembler = WordAssembler(tolerance_ms=2000)
        index = 0
        progress = Progress(0, len(pieces), 0.0, total)
        for results, progress in run_pieces(audio, pieces, decode, options.batch_size, cancel):
            words: list[Word] = []
            for piece, text in results:
                texts = split_words(text)
                timed = self.timer.align(audio, piece, texts, options.language) if kind != "translate" else None
                if timed is None:  # no head, a translation, or text that does not fit the audio
                    timed = spread_over_speech(texts, piece_speech_ms(audio, piece))
                words += assembler.add(timed, piece, *neighbours(pieces, index))
                index += 1
            yield EngineUpdate(progress, tuple(words))
        rest = assembler.flush()
        if rest:
            yield EngineUpdate(progress, tuple(rest))


def __getattr__(name: str):
    if name == "PlusEngine":
        from app.asr.plus_engine import PlusEngine

        return PlusEngine
    if name == "InterviewEngine":
        from app.asr.interview_engine import InterviewEngine

        return InterviewEngine
    raise AttributeError(name)
