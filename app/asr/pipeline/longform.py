"""Running a model over many pieces of a recording: batches, progress, cancellation, GPU memory trouble.

Pieces are decoded in time order, so results stream out in the order of the recording and a cancelled
run leaves a clean prefix of the transcript. (Sorting the whole recording by length would pad less,
but the words would then arrive out of order; `plan_pieces` cuts nearly all pieces close to the
model's limit, and the 2b runner's masked encoder pass costs only the padding of one batch.)

First words soon: batches start small and double up to `batch_size` (1, 2, 4, ...), so the first
words appear after one piece rather than after a whole batch (on a CPU a batch of 8 took 124 s against
19 s for one piece), and throughput follows once the batches are full.

When the GPU runs out of memory the batch is halved and retried, and the smaller size is kept for the
rest of the run; failing with a single piece is an error the user can act on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np

from app.asr.engines.base import SAMPLE_RATE, CancelToken, Progress
from app.asr.pipeline.segmentation import Piece
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
    decode_batch: DecodeBatch[R],
    batch_size: int,
    cancel: CancelToken | None = None,
    with_pieces: bool = False,
    ramp: bool = True,
) -> Iterator[tuple[list[tuple[Piece, R]], Progress]]:
    """Decode `pieces` of `audio` in batches; yield each batch's (piece, result) pairs with progress.

    `decode_batch` gets the pieces' samples and returns one result per piece. Cancellation is checked
    before every batch, so a run stops within one batch; what was yielded before stays valid.
    With `with_pieces`, `decode_batch(samples, pieces)` also gets the Piece of each sample array.
    With `ramp`, batches grow 1, 2, 4, ... up to `batch_size`; each progress carries the audio seconds
    of the batch that runs next (`running_s`), so a window can move its bar while that batch runs.
    """
    total = len(pieces)
    audio_total = len(audio) / SAMPLE_RATE
    cap = max(int(batch_size), 1)
    size = 1 if ramp else cap
    done = 0
    while done < total:
        if cancel is not None and cancel.cancelled:
            return
        batch = list(pieces[done : done + min(size, cap)])
        try:
            samples = [np.asarray(audio[p.start : p.end], dtype=np.float32) for p in batch]
            results = list(decode_batch(samples, batch) if with_pieces else decode_batch(samples))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            _free_gpu_memory()
            if len(batch) == 1:
                raise ModelError(OOM_MESSAGE) from exc
            cap = max(len(batch) // 2, 1)
            log.warning("out of GPU memory: retrying with batches of %d pieces", cap)
            continue
        if len(results) != len(batch):
            raise RuntimeError(f"decode_batch returned {len(results)} results for {len(batch)} pieces")
        done += len(batch)
        size = min(size * 2, cap)
        audio_done = audio_total if done == total else min(batch[-1].end / SAMPLE_RATE, audio_total)
        following = pieces[done : done + min(size, cap)]
        running = sum(p.length for p in following) / SAMPLE_RATE
        yield list(zip(batch, results, strict=True)), Progress(done, total, audio_done, audio_total, running)
