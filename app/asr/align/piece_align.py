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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.asr.align.forced import align_words
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


def granite_piece_timer(runner: Any) -> PieceTimer:
    """The timer for an `ARRunner` of 4.1-2b: its encoder with the folder's CTC head (loaded here when the
    runner has not loaded it for speculative decoding), or a timer that cannot align and says why."""
    from app.asr.granite.ctc_head import GraniteCtcAligner, load_ctc_head
    from app.asr.models.head_file import HEAD_FILE, has_ctc_head

    folder = getattr(runner, "folder", None)
    name = getattr(getattr(runner, "spec", None), "display_name", "This model")
    head = getattr(runner, "ctc_head", None)
    if head is None and (folder is None or not has_ctc_head(folder)):
        return PieceTimer(None, None, f"{name} has no CTC head ({HEAD_FILE}) in its folder, so word times are "
                                      "spread evenly over each piece; Re-align with the NAR model places them.")
    model = runner.model
    encoder = getattr(getattr(model, "model", None), "encoder", None) or getattr(model, "encoder", None)
    if encoder is None:
        return PieceTimer(None, None, f"{name}'s speech encoder cannot be reached, so word times are spread evenly.")
    if head is None and folder is not None:
        config = model.config
        try:
            head = load_ctc_head(folder, int(config.encoder_config.hidden_dim), int(config.text_config.vocab_size),
                                 runner.device, runner.dtype)
        except ModelError as exc:
            return PieceTimer(None, None, f"{exc} Word times are spread evenly over each piece.")
    if head is None:
        return PieceTimer(None, None, f"{name} has no CTC head, so word times are spread evenly over each piece.")
    return PieceTimer(GraniteCtcAligner(encoder, head, runner.device, runner.dtype), runner.tokenizer)
