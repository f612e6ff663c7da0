"""NarEngine: the NAR model behind the Engine protocol, with words timed by its own CTC head.

The recording is cut at pauses into pieces of at most 30 s (the NAR model's accuracy falls on long
passes), decoded in batches, and each piece's words are aligned to the encoder's BPE CTC posteriors
of that piece (source ALIGNED); where the text cannot be aligned, the words are spread over the piece.
A cut that may fall inside a word (no pause within reach, or the voice drowned in noise) is overlapped
by `HARD_CUT_OVERLAP_S`, as for the other engines, and `WordAssembler` keeps one copy of the words the
two pieces share; without the overlap such a cut heard the word in two halves.
The output is lowercase without punctuation; the model takes no keywords and does not translate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.asr.align.forced import timed_words, word_frame_spans
from app.asr.engines.base import (
    CancelToken,
    Capabilities,
    EngineUpdate,
    Progress,
    TranscribeOptions,
    audio_seconds,
    validate_options,
)
from app.asr.engines.piece_words import HARD_CUT_OVERLAP_S, WordAssembler, neighbours
from app.asr.nar.model import NarModel, NarResult, load_nar
from app.asr.nar.tokenizer import load_tokenizer
from app.core.document import TranscriptionSettings, Word
from app.core.errors import ModelError
from app.core.timing import spread_words

if TYPE_CHECKING:
    from app.asr.pipeline.segmentation import Piece

NAME = "granite-speech-4.1-2b-nar"
CAPABILITIES = Capabilities(languages=("en", "fr", "de", "es", "pt"), alignment=True)
MAX_PIECE_S = 30.0
_WORD_START = ("Ġ", "▁", " ")


def group_words(tokenizer: Any, ids: Sequence[int]) -> list[tuple[str, list[int]]]:
    """Split token ids into words: a token whose piece starts with a space marker starts a new word.

    Special tokens (pad, eos) are dropped and end the current word; words that decode to nothing are left out.
    """
    special = set(getattr(tokenizer, "all_special_ids", []))
    size = len(tokenizer)
    groups: list[list[int]] = []
    fresh = True
    for tid in ids:
        tid = int(tid)
        if tid in special or not 0 <= tid < size:
            fresh = True
            continue
        piece = tokenizer.convert_ids_to_tokens(tid) or ""
        if fresh or not groups or piece.startswith(_WORD_START):
            groups.append([])
        groups[-1].append(tid)
        fresh = False
    words = [(tokenizer.decode(g).strip(), g) for g in groups]
    return [(text, g) for text, g in words if text]


class NarEngine:
    """Transcribe with Granite Speech 4.1 2B NAR: `NarEngine(model_or_folder, tokenizer=None)`.

    A folder is loaded with `load_nar` and its own tokenizer; a loaded `NarModel` needs a tokenizer.
    """

    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, model: NarModel | str | Path, tokenizer: Any = None, device: str = "cpu",
                 max_piece_s: float = MAX_PIECE_S, revision: str = "", overlap_s: float = HARD_CUT_OVERLAP_S) -> None:
        if isinstance(model, (str, Path)):
            folder = Path(model)
            tokenizer = tokenizer if tokenizer is not None else load_tokenizer(folder)
            model = load_nar(folder, device=device)
        if tokenizer is None:
            raise ModelError("The NAR engine needs the model's tokenizer to turn token ids into words.")
        self.model = model
        self.tokenizer = tokenizer
        self.max_piece_s = max_piece_s
        self.revision = revision
        self.overlap_s = overlap_s

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        device = str(self.model.device)
        return TranscriptionSettings(self.name, self.revision, options.language, "transcribe", None, device)

    def validate(self, options: TranscribeOptions) -> None:
        """ModelError (one sentence) for anything this model cannot do: translation, keywords, other languages."""
        validate_options(self.name, self.capabilities, options)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions,
                   cancel: CancelToken | None = None) -> Iterator[EngineUpdate]:
        from app.asr.pipeline.longform import run_pieces
        from app.asr.pipeline.segmentation import plan_pieces

        self.validate(options)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        pieces = plan_pieces(audio, self.max_piece_s, overlap_s=self.overlap_s)
        total_s = audio_seconds(audio)
        if not pieces:
            yield EngineUpdate(Progress(0, 0, total_s, total_s))
            return
        batches: Iterator[tuple[list[tuple[Piece, NarResult]], Progress]]
        batches = run_pieces(audio, pieces, self.model.run, options.batch_size, cancel)
        assembler = WordAssembler()
        index = 0
        progress = Progress(0, len(pieces), 0.0, total_s)
        for batch, progress in batches:
            words: list[Word] = []
            for piece, result in batch:
                timed = self.piece_words(result, piece.start_ms, piece.end_ms)
                words += assembler.add(timed, piece, *neighbours(pieces, index))
                index += 1
            yield EngineUpdate(progress, tuple(words))
        rest = assembler.flush()
        if rest:
            yield EngineUpdate(progress, tuple(rest))

    def piece_words(self, result: NarResult, start_ms: int, end_ms: int) -> list[Word]:
        """One piece's words, timed by aligning them to the piece's CTC posteriors (or spread when they do not fit)."""
        grouped = group_words(self.tokenizer, result.ids)
        if not grouped:
            return []
        texts = [t for t, _ in grouped]
        try:
            spans = word_frame_spans(result.ctc_log_probs, [g for _, g in grouped], self.model.cfg.blank_token_id,
                                     result.ctc_columns)
        except ModelError:
            return spread_words(texts, start_ms, end_ms)
        words = timed_words(texts, spans, result.frame_s * 1000.0, start_ms)
        return [w.replace(start_ms=min(w.start_ms, end_ms), end_ms=min(w.end_ms, end_ms)) for w in words]
