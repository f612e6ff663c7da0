"""The autoregressive engines behind the `Engine` protocol, and what they share.

- `GraniteTextEngine` (4.1-2b, 4.0-1b): punctuated or raw transcription, translation, keywords. The
  model gives text without times, so each piece's words are aligned with the checkpoint's own CTC
  head (`app.asr.align.piece_align`, source ALIGNED); without a head, or for a translation, they are spread
  over the speech in the piece (source INTERPOLATED) and `timing_note` says why.
- `PlusEngine` (app/asr/engines/plus_engine.py): word times and speakers from 4.1-2b-plus.
- `InterviewEngine` (app/asr/engines/interview_engine.py): 2b punctuated text with plus times and speakers.

What the three share (token budgets, spreading text over speech, `WordAssembler`) lives in
`app.asr.engines.piece_words`; its names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from app.asr.align.piece_align import PieceTimer, granite_piece_timer
from app.asr.engines.base import (
    CancelToken,
    EngineUpdate,
    Progress,
    TranscribeOptions,
    audio_seconds,
    validate_options,
)
from app.asr.engines.piece_words import (  # noqa: F401 - re-exported: the engines' shared helpers were here before
    HARD_CUT_OVERLAP_S,
    MAX_NEW_TOKENS_ENV,
    TOKENS_PER_S,
    WordAssembler,
    neighbours,
    piece_speech_ms,
    spread_over_speech,
    token_budget,
)
from app.asr.granite.prompts import instruction
from app.asr.pipeline.longform import run_pieces
from app.asr.pipeline.merge import split_words
from app.asr.pipeline.segmentation import plan_pieces
from app.core.document import TranscriptionSettings, Word

if TYPE_CHECKING:
    from app.asr.granite.ar_runner import ARRunner


class GraniteTextEngine:
    """Granite Speech 4.1-2b (or 4.0-1b): text, punctuated or raw, or a translation; keywords bias it.

    `runner` is a loaded `app.asr.granite.ar_runner.ARRunner`. `max_piece_s` overrides the model's piece length.
    """

    def __init__(self, runner: ARRunner, max_piece_s: float | None = None,
                 overlap_s: float = HARD_CUT_OVERLAP_S) -> None:
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

