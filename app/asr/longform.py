"""Running a model over many pieces of a recording: batches, progress, cancellation, GPU memory trouble.

Pieces are decoded in time order, `batch_size` at a time, so results stream out in the order of the
recording and a cancelled run leaves a clean prefix of the transcript. (Sorting by length would pad
less, but `plan_pieces` makes nearly all pieces the same length anyway: only the last one is shorter.)

When the GPU runs out of memory the batch is halved and retried, and the smaller size is kept for the
rest of the run; failing with a single piece is an error the user can act on.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator, Sequence, TypeVar

import numpy as np

from app.asr.engine import SAMPLE_RATE, CancelToken, Progress
from app.asr.segmentation import Piece
from app.core.errors import ModelError

R = TypeVar("R")
DecodeBatch = Callable[..., Sequence[R]]

log = logging.getLogger(__name__)

OOM_MESSAGE = (
    "The GPU ran out of memory even with one piece at a time; close other programs that use the GPU, "
    "or choose a smaller model or the CPU."
)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's CUDA OOM error and for the RuntimeErrors that other backends raise for it."""
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _free_gpu_memory() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # pragma: no cover - best effort only
        pass


def run_pieces(
    audio: np.ndarray,
    pieces: Sequence[Piece],
    decode_batch: DecodeBatch,
    batch_size: int,
    cancel: CancelToken | None = None,
    with_pieces: bool = False,
) -> Iterator[tuple[list[tuple[Piece, R]], Progress]]:
    """Decode `pieces` of `audio` in batches; yield each batch's (piece, result) pairs with progress.

    `decode_batch` gets the pieces' samples and returns one result per piece. Cancellation is checked
    before every batch, so a run stops within one batch; what was yielded before stays valid.
    With `with_pieces`, `decode_batch(samples, pieces)` also gets the Piece of each sample array.
    """
    total = len(pieces)
    audio_total = len(audio) / SAMPLE_RATE
    size = max(int(batch_size), 1)
    done = 0
    while done < total:
        if cancel is not None and cancel.cancelled:
            return
        batch = list(pieces[done : done + size])
        try:
            samples = [np.asarray(audio[p.start : p.end], dtype=np.float32) for p in batch]
            results = list(decode_batch(samples, batch) if with_pieces else decode_batch(samples))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            _free_gpu_memory()
            if size == 1:
                raise ModelError(OOM_MESSAGE) from exc
            size = max(size // 2, 1)
            log.warning("out of GPU memory: retrying with batches of %d pieces", size)
            continue
        if len(results) != len(batch):
            raise RuntimeError(f"decode_batch returned {len(results)} results for {len(batch)} pieces")
        done += len(batch)
        audio_done = audio_total if done == total else min(batch[-1].end / SAMPLE_RATE, audio_total)
        yield list(zip(batch, results)), Progress(done, total, audio_done, audio_total)
