"""`PlusEngine`: words with times and speakers from granite-speech-4.1-2b-plus.

Each piece is decoded twice (the timestamps prompt and the speaker-attribution prompt: together in one
prompt is not an official mode), the two outputs are parsed and merged by aligning their words, and the
speaker numbers, which only hold within one pass, are linked across pieces by majority over the words
that neighbouring pieces share (pieces borrow `context_s` of audio from the one before; see
`app.asr.pipeline.speaker_link`). Output is lowercase without punctuation, as the model writes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.asr.engines.base import CancelToken, EngineUpdate, Progress, TranscribeOptions, audio_seconds, validate_options
from app.asr.engines.piece_words import HARD_CUT_OVERLAP_S, WordAssembler, neighbours, token_budget
from app.asr.granite.plus_output import TimedWord, parse_speakers, parse_timestamps, speaker_words
from app.asr.granite.prompts import instruction
from app.asr.pipeline.longform import run_pieces
from app.asr.pipeline.merge import merge_passes
from app.asr.pipeline.segmentation import Piece, plan_pieces
from app.asr.pipeline.speaker_link import SpeakerLinker
from app.asr.pipeline.stitch import align_overlap
from app.core.document import TranscriptionSettings, Word

if TYPE_CHECKING:
    from app.asr.granite.ar_runner import ARRunner


@dataclass(frozen=True)
class PlusPiece:
    """One piece's plus output, parsed, merged and with global speaker ids."""

    words: list[Word]  # timestamps-pass words with global speakers
    timed: list[TimedWord]  # the timestamps pass (absolute ms)
    speakers: list[tuple[str, str]]  # the speakers pass: (word, global speaker id)
    pairs: list[tuple[int, int]]  # words shared with the previous piece (indices: previous, this)


class PlusPasses:
    """Prompts, decoding and cross-piece speaker linking for the plus model, shared by two engines."""

    def __init__(self, runner: ARRunner, keywords: Sequence[str] = ()) -> None:
        self.runner = runner
        self.timestamps_prompt = instruction("plus", "timestamps", keywords=keywords)
        self.speakers_prompt = instruction("plus", "speakers", keywords=keywords)
        self.linker = SpeakerLinker()
        self._previous: list[Word] = []
        self._previous_piece: Piece | None = None

    def decode(self, batch: list[np.ndarray]) -> list[tuple[str, str]]:
        """(timestamps output, speakers output) for each piece of a batch."""
        longest = max(len(x) for x in batch)
        timed = self.runner.generate(batch, self.timestamps_prompt, token_budget("timestamps", longest))
        spoken = self.runner.generate(batch, self.speakers_prompt, token_budget("speakers", longest))
        return list(zip(timed, spoken))

    def piece(self, piece: Piece, timestamps_text: str, speakers_text: str) -> PlusPiece:
        """Parse and merge one piece's outputs and map its speaker numbers onto the run's speakers."""
        timed = parse_timestamps(timestamps_text, offset_ms=piece.start_ms, duration_ms=piece.end_ms - piece.start_ms)
        spoken = [(w, str(n)) for w, n in speaker_words(parse_speakers(speakers_text))]
        local = merge_passes(None, timed, spoken, piece.start_ms, piece.end_ms)
        prev = self._previous_piece
        pairs: list[tuple[int, int]] = []
        if prev is not None and piece.start < prev.end and self._previous:
            pairs = align_overlap(self._previous, local, piece.start_ms, prev.end_ms)
        shared = [(self._previous[i].speaker, local[j].speaker) for i, j in pairs]
        recent = [sid for sid, _n in Counter(w.speaker for w in self._previous if w.speaker).most_common()]
        mapping = self.linker.link([w.speaker for w in local] + [lab for _, lab in spoken], shared, recent)
        words = [w.replace(speaker=mapping.get(w.speaker, w.speaker)) if w.speaker else w for w in local]
        self._previous, self._previous_piece = words, piece
        return PlusPiece(words, timed, [(w, mapping[lab]) for w, lab in spoken], pairs)


class PlusEngine:
    """Granite Speech 4.1-2b-plus: word times and speaker labels, linked across pieces.

    `runner` is a loaded ARRunner of the plus model; `max_piece_s` and `context_s` override the piece
    length and the audio each piece shares with the one before it.
    """

    def __init__(self, runner: ARRunner, max_piece_s: float | None = None, context_s: float | None = None,
                 overlap_s: float = HARD_CUT_OVERLAP_S) -> None:
        self.runner = runner
        self.spec = runner.spec
        self.name = self.spec.display_name
        self.capabilities = self.spec.capabilities
        limits = self.spec.max_piece_s
        self.max_piece_s = max_piece_s or float(min(limits.get("timestamps", 120.0), limits.get("speakers", 120.0)))
        self.context_s = context_s if context_s is not None else min(15.0, self.max_piece_s / 4)
        self.overlap_s = overlap_s

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        return TranscriptionSettings(self.name, self.spec.revision or "", options.language, "transcribe", None,
                                     str(self.runner.device))

    def transcribe(
        self, audio: np.ndarray, options: TranscribeOptions, cancel: CancelToken | None = None
    ) -> Iterator[EngineUpdate]:
        validate_options(self.name, self.capabilities, options)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        pieces = plan_pieces(audio, self.max_piece_s, overlap_s=self.overlap_s, context_s=self.context_s)
        total = audio_seconds(audio)
        if not pieces:
            yield EngineUpdate(Progress(0, 0, total, total))
            return
        passes = PlusPasses(self.runner, options.keywords)
        assembler = WordAssembler()
        index = 0
        progress = Progress(0, len(pieces), 0.0, total)
        for results, progress in run_pieces(audio, pieces, passes.decode, options.batch_size, cancel):
            words: list[Word] = []
            for piece, (timestamps_text, speakers_text) in results:
                done = passes.piece(piece, timestamps_text, speakers_text)
                words += assembler.add(done.words, piece, *neighbours(pieces, index))
                index += 1
            yield EngineUpdate(progress, tuple(words), passes.linker.speakers)
        rest = assembler.flush()
        if rest:
            yield EngineUpdate(progress, tuple(rest), passes.linker.speakers)
