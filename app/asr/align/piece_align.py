"""Word times for a model that writes text without them: align each piece's words with its own CTC head.

granite-speech-4.1-2b gives text only. Spreading a piece's words evenly over its speech puts a click
in the transcript up to seconds away from the word. The checkpoint ships a BPE CTC head
(`out_llm.safetensors`) over its own speech encoder, so right after a piece is transcribed its words
are force-aligned to that head's posteriors of the same audio (`app.asr.align.forced.align_words`, with the
text spelled as the head spells it) and marked ALIGNED. Only what alignment cannot place is spread:
a word with nothing the head can spell (a lone dash), or a whole piece whose text does not fit its
audio. A folder without the head, and a translation (text in another language than the speech),
keep the even spread, and `PieceTimer.note` says why in one sentence for the window's status bar.
(The NAR engine does the same with its own head inside `app.asr.nar.engine`.)

The interview engine gets most word times from 4.1-2b-plus; `PieceTimer.place_unmatched` aligns the
words of the 2b text that Plus's words do not match, each run between its matched neighbours
(`app.asr.align.retime.retime_run`: the anchors' audio and text, times kept between them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.asr.align.forced import CtcAligner, align_words
from app.asr.align.retime import interpolated_runs, retime_run
from app.asr.pipeline.segmentation import Piece
from app.core.document import Word
from app.core.errors import ModelError

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class PieceTimer:
    """Aligns a piece's words with a CTC model (`ctc` None: no head; `note` says why)."""

    ctc: Any
    tokenizer: Any
    note: str = ""

    @property
    def can_align(self) -> bool:
        return self.ctc is not None

    def align(self, audio: np.ndarray, piece: Piece, texts: Sequence[str], language: str) -> list[Word] | None:
        """The piece's words timed against its audio (absolute ms), or None when they cannot be aligned."""
        if self.ctc is None or not texts:
            return None
        cut = np.asarray(audio[piece.start : piece.end], dtype=np.float32)
        try:
            return align_words(self.ctc, cut, list(texts), self.tokenizer, offset_ms=piece.start_ms,
                               language=language)
        except ModelError:
            return None

    def place_unmatched(self, audio: np.ndarray, region: Piece, words: Sequence[Word], language: str) -> list[Word]:
        """A piece's merged words (absolute ms) with each run of INTERPOLATED words aligned between the
        words around it (`region`'s edges where a run has none), source ALIGNED; the other words are
        unchanged. A run with no room between its neighbours, or that the head cannot place, and a word
        with nothing the head can spell, keep their interpolated times."""
        out = list(words)
        if self.ctc is None:
            return out
        align = CtcAligner(self.ctc, self.tokenizer).in_language(language)
        frame_ms = float(self.ctc.frame_s) * 1000.0
        for i, j in interpolated_runs(words):
            low = words[i - 1].end_ms if i > 0 else region.start_ms
            high = words[j].start_ms if j < len(words) else region.end_ms
            # the audio aligned: the run with its neighbours, each of which needs at least one CTC frame
            start = words[i - 1].start_ms if i > 0 else region.start_ms
            end = words[j].end_ms if j < len(words) else region.end_ms
            texts = j - i + (i > 0) + (j < len(words))
            if high <= low or end - start < texts * frame_ms:  # no room: nothing to align (or to encode)
                continue
            try:
                out[i:j] = retime_run(words, i, j, audio, align, bounds=(region.start_ms, region.end_ms))
            except ModelError:
                continue
        return out


def granite_piece_timer(runner: Any, spread: str = "word times are spread evenly over each piece") -> PieceTimer:
    """The timer for an `ARRunner` of 4.1-2b: its encoder with the folder's CTC head (loaded here when the
    runner has not loaded it for speculative decoding), or a timer that cannot align and says why
    (`spread`: what then happens to the word times, in the words of the engine that asks)."""
    from app.asr.granite.ctc_head import GraniteCtcAligner, load_ctc_head
    from app.asr.models.head_file import HEAD_FILE, has_ctc_head

    folder = getattr(runner, "folder", None)
    name = getattr(getattr(runner, "spec", None), "display_name", "This model")
    head = getattr(runner, "ctc_head", None)
    if head is None and (folder is None or not has_ctc_head(folder)):
        return PieceTimer(None, None, f"{name} has no CTC head ({HEAD_FILE}) in its folder, so {spread}; "
                                      "Re-align with the NAR model places them.")
    model = runner.model
    encoder = getattr(getattr(model, "model", None), "encoder", None) or getattr(model, "encoder", None)
    if encoder is None:
        return PieceTimer(None, None, f"{name}'s speech encoder cannot be reached, so {spread}.")
    if head is None and folder is not None:
        config = model.config
        try:
            head = load_ctc_head(folder, int(config.encoder_config.hidden_dim), int(config.text_config.vocab_size),
                                 runner.device, runner.dtype)
        except ModelError as exc:
            return PieceTimer(None, None, f"{exc} {spread[:1].upper()}{spread[1:]}.")
    if head is None:
        return PieceTimer(None, None, f"{name} has no CTC head, so {spread}.")
    return PieceTimer(GraniteCtcAligner(encoder, head, runner.device, runner.dtype), runner.tokenizer)
