"""`InterviewEngine`: the full-quality pipeline. Punctuated text from 4.1-2b, word times and speaker
turns from 4.1-2b-plus, merged so that every word of the punctuated text has times and a speaker.

Pieces are planned once for both models: each piece's core (at most the 2b model's length) is what
the 2b model transcribes; the plus model hears the core plus `context_s` of audio borrowed from the
piece before, which is where its speaker numbers are linked to the run's speakers. The 2b words of a
core are aligned with that piece's plus passes (`app.asr.pipeline.merge`): matched words take the plus times
(MODEL), and speakers come from the aligned speaker-pass words. The words Plus's words do not match
are force-aligned with 4.1-2b's own CTC head (`out_llm.safetensors`), each run between its matched
neighbours' times (`PieceTimer.place_unmatched`, source ALIGNED); only what the head cannot place,
or every such word when the 2b folder has no head (`timing_note` says so), keeps times spread between
its neighbours (INTERPOLATED).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from app.asr.align.piece_align import PieceTimer, granite_piece_timer
from app.asr.engines.base import (
    CancelToken,
    Capabilities,
    EngineUpdate,
    Progress,
    TranscribeOptions,
    audio_seconds,
    validate_options,
)
from app.asr.engines.piece_words import HARD_CUT_OVERLAP_S, WordAssembler, neighbours, token_budget
from app.asr.engines.plus_engine import PlusPasses
from app.asr.granite.prompts import instruction
from app.asr.pipeline.longform import run_pieces
from app.asr.pipeline.merge import merge_passes, split_words
from app.asr.pipeline.segmentation import Piece, plan_pieces_with_cores
from app.core.document import TranscriptionSettings, Word

if TYPE_CHECKING:
    from app.asr.granite.ar_runner import ARRunner

DEFAULT_CONTEXT_S = 8.0


class InterviewEngine:
    """4.1-2b text + 4.1-2b-plus times and speakers: `InterviewEngine(text_runner, plus_runner)`."""

    def __init__(self, text_runner: ARRunner, plus_runner: ARRunner, max_piece_s: float | None = None,
                 context_s: float = DEFAULT_CONTEXT_S, overlap_s: float = HARD_CUT_OVERLAP_S) -> None:
        self.text_runner = text_runner
        self.plus_runner = plus_runner
        text_caps, plus_caps = text_runner.spec.capabilities, plus_runner.spec.capabilities
        self.name = f"{text_runner.spec.display_name} + {plus_runner.spec.display_name}"
        self.capabilities = Capabilities(
            languages=tuple(x for x in text_caps.languages if x in plus_caps.languages),
            keywords=text_caps.keywords and plus_caps.keywords,
            punctuation=text_caps.punctuation,
            timestamps=True,
            speakers=True,
        )
        core = max_piece_s or float(text_runner.spec.max_piece_s.get("transcribe", 30.0))
        plus_max = float(min(plus_runner.spec.max_piece_s.get("timestamps", 120.0),
                             plus_runner.spec.max_piece_s.get("speakers", 120.0)))
        self.context_s = min(context_s, max(plus_max - core, 0.0))
        self.piece_s = min(core + self.context_s, plus_max)
        self.overlap_s = overlap_s
        self._timer: PieceTimer | None = None

    @property
    def timer(self) -> PieceTimer:
        """Aligns the words Plus does not time with 4.1-2b's own CTC head (loaded on first use)."""
        if self._timer is None:
            plus = self.plus_runner.spec.display_name
            self._timer = granite_piece_timer(
                self.text_runner, f"the words {plus} does not time are spread between the words it times")
        return self._timer

    def timing_note(self, options: TranscribeOptions) -> str:
        """One sentence on why some word times will be spread rather than aligned ("" when they are aligned)."""
        return self.timer.note

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        revisions = [r for r in (self.text_runner.spec.revision, self.plus_runner.spec.revision) if r]
        return TranscriptionSettings(self.name, " + ".join(revisions), options.language, "transcribe", None,
                                     str(self.text_runner.device))

    def transcribe(
        self, audio: np.ndarray, options: TranscribeOptions, cancel: CancelToken | None = None
    ) -> Iterator[EngineUpdate]:
        validate_options(self.name, self.capabilities, options)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        planned = plan_pieces_with_cores(audio, self.piece_s, overlap_s=self.overlap_s, context_s=self.context_s)
        total = audio_seconds(audio)
        if not planned:
            yield EngineUpdate(Progress(0, 0, total, total))
            return
        pieces = [p for p, _ in planned]
        cores = [c for _, c in planned]
        core_of = dict(planned)
        kind = "punctuated" if options.punctuation and self.capabilities.punctuation else "raw"
        text_prompt = instruction("granite", kind, None, options.keywords)
        passes = PlusPasses(self.plus_runner, options.keywords)

        def decode(batch: list[np.ndarray], batch_pieces: list[Piece]) -> list[tuple[str, str, str]]:
            core_audio = [audio[core_of[p].start : core_of[p].end] for p in batch_pieces]
            core_audio = [np.asarray(x, dtype=np.float32) for x in core_audio]
            texts = self.text_runner.generate(core_audio, text_prompt,
                                              token_budget(kind, max(len(x) for x in core_audio),
                                                           options.language))
            return [(t, ts, sp) for t, (ts, sp) in zip(texts, passes.decode(batch))]

        assembler = WordAssembler()
        index = 0
        progress = Progress(0, len(pieces), 0.0, total)
        for results, progress in run_pieces(audio, pieces, decode, options.batch_size, cancel, with_pieces=True):
            words: list[Word] = []
            for piece, (text, timestamps_text, speakers_text) in results:
                plus = passes.piece(piece, timestamps_text, speakers_text)
                core = cores[index]
                merged = merge_passes(split_words(text), plus.timed, plus.speakers, core.start_ms, core.end_ms)
                merged = self.timer.place_unmatched(audio, core, merged, options.language)
                words += assembler.add(merged, core, *neighbours(cores, index))
                index += 1
            yield EngineUpdate(progress, tuple(words), passes.linker.speakers)
        rest = assembler.flush()
        if rest:
            yield EngineUpdate(progress, tuple(rest), passes.linker.speakers)
