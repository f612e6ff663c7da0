"""Batching pieces: order, progress, cancellation within one batch, halving the batch on GPU memory errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.asr.engines.base import CancelToken
from app.asr.pipeline.longform import is_out_of_memory, run_pieces
from app.asr.pipeline.segmentation import Piece
from app.core.errors import ModelError

SR = 16_000


def setup(n_pieces: int = 7) -> tuple[np.ndarray, list[Piece]]:
    audio = np.arange(n_pieces * SR, dtype=np.float32) / SR  # sample value = its time in seconds
    return audio, [Piece(i * SR, (i + 1) * SR) for i in range(n_pieces)]


def first_second(batch: list[np.ndarray]) -> list[float]:
    """A decoder whose result is the time of the piece's first sample (so results prove the right audio)."""
    return [float(x[0]) for x in batch]


def test_batches_in_time_order_with_progress() -> None:
    audio, pieces = setup(7)
    seen_sizes: list[int] = []

    def decode(batch: list[np.ndarray]) -> list[float]:
        seen_sizes.append(len(batch))
        return first_second(batch)

    steps = list(run_pieces(audio, pieces, decode, batch_size=3, ramp=False))
    assert seen_sizes == [3, 3, 1]
    results = [r for pairs, _ in steps for r in pairs]
    assert [p for p, _ in results] == pieces
    assert [r for _, r in results] == [float(i) for i in range(7)]
    progress = [p for _, p in steps]
    assert [p.pieces_done for p in progress] == [3, 6, 7]
    assert all(p.pieces_total == 7 for p in progress)
    assert [p.audio_done_s for p in progress] == [3.0, 6.0, 7.0]
    assert [p.running_s for p in progress] == [3.0, 1.0, 0.0]  # the audio of the batch that runs next
    assert progress[-1].fraction == 1.0


def test_batches_start_small_and_grow_so_first_words_come_soon() -> None:
    audio, pieces = setup(20)
    seen_sizes: list[int] = []

    def decode(batch: list[np.ndarray]) -> list[float]:
        seen_sizes.append(len(batch))
        return first_second(batch)

    steps = list(run_pieces(audio, pieces, decode, batch_size=8))
    assert seen_sizes == [1, 2, 4, 8, 5]
    assert [r for pairs, _ in steps for _, r in pairs] == [float(i) for i in range(20)]  # still in time order
    assert [p.running_s for _, p in steps] == [2.0, 4.0, 8.0, 5.0, 0.0]


def test_growing_batches_still_halve_on_out_of_memory() -> None:
    audio, pieces = setup(12)
    sizes: list[int] = []

    def decode(batch: list[np.ndarray]) -> list[float]:
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return first_second(batch)

    steps = list(run_pieces(audio, pieces, decode, batch_size=8))
    assert sizes == [1, 2, 4, 2, 2, 2, 2, 1]
    assert [r for pairs, _ in steps for _, r in pairs] == [float(i) for i in range(12)]


def test_cancel_after_first_batch_keeps_partial_results() -> None:
    audio, pieces = setup(6)
    cancel = CancelToken()
    calls = 0

    def decode(batch: list[np.ndarray]) -> list[float]:
        nonlocal calls
        calls += 1
        cancel.cancel()  # the user presses Cancel while the first batch runs
        return first_second(batch)

    steps = list(run_pieces(audio, pieces, decode, batch_size=2, cancel=cancel, ramp=False))
    assert calls == 1
    assert len(steps) == 1
    assert [r for _, r in steps[0][0]] == [0.0, 1.0]


@pytest.mark.parametrize(
    "error",
    [torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
     RuntimeError("MPS backend out of memory (MPS allocated: 8 GB)")],
)
def test_out_of_memory_halves_the_batch_and_keeps_it(error: Exception) -> None:
    audio, pieces = setup(8)
    sizes: list[int] = []

    def decode(batch: list[np.ndarray]) -> list[float]:
        sizes.append(len(batch))
        if len(batch) > 2:
            raise error
        return first_second(batch)

    steps = list(run_pieces(audio, pieces, decode, batch_size=8, ramp=False))
    assert sizes == [8, 4, 2, 2, 2, 2]
    assert [r for pairs, _ in steps for _, r in pairs] == [float(i) for i in range(8)]
    assert steps[-1][1].pieces_done == 8


def test_out_of_memory_with_one_piece_is_a_model_error() -> None:
    audio, pieces = setup(3)

    def decode(batch: list[np.ndarray]) -> list[float]:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    with pytest.raises(ModelError, match="ran out of memory even with one piece"):
        list(run_pieces(audio, pieces, decode, batch_size=4))


def test_other_errors_pass_through() -> None:
    audio, pieces = setup(2)

    def decode(batch: list[np.ndarray]) -> list[float]:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        list(run_pieces(audio, pieces, decode, batch_size=2))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_no_pieces_yields_nothing() -> None:
    assert list(run_pieces(np.zeros(10, dtype=np.float32), [], first_second, batch_size=4)) == []
