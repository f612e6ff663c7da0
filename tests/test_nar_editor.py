"""The editor's packed attention: bidirectional inside a sample, nothing across samples, backends agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app.asr.nar import ctc_collapse, insertion_slots, load_nar
from app.asr.nar.editor import Packing, flash_available

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"


@pytest.fixture(scope="module")
def editor():
    return load_nar(FIXTURE).language_model


def _embeds(total: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, total, 128, generator=g) * 0.05


def _run(editor, embeds: torch.Tensor, lengths: list[int], backend: str = "sdpa") -> torch.Tensor:
    with torch.inference_mode():
        return editor(embeds, Packing(lengths, backend))


@pytest.mark.parametrize("backend", ["sdpa", "sdpa_dense"])
def test_attention_is_not_causal(editor, backend: str) -> None:
    lengths = [9, 12]
    x = _embeds(sum(lengths))
    base = _run(editor, x, lengths, backend)
    later = x.clone()
    later[0, 7] += 1.0  # a later token of sample 1
    changed = _run(editor, later, lengths, backend)
    assert (changed[0, 0] - base[0, 0]).abs().max() > 1e-3  # the first position sees it


@pytest.mark.parametrize("backend", ["sdpa", "sdpa_dense"])
def test_attention_never_crosses_samples(editor, backend: str) -> None:
    lengths = [9, 12, 5]
    x = _embeds(sum(lengths))
    base = _run(editor, x, lengths, backend)
    other = x.clone()
    other[0, 9:21] = _embeds(12, seed=7)[0]  # sample 2 entirely different
    changed = _run(editor, other, lengths, backend)
    assert (changed[0, :9] - base[0, :9]).abs().max() <= 1e-6
    assert (changed[0, 21:] - base[0, 21:]).abs().max() <= 1e-6
    assert (changed[0, 9:21] - base[0, 9:21]).abs().max() > 1e-3


def test_packed_equals_each_sample_alone_and_backends_agree(editor) -> None:
    lengths = [9, 12, 5]
    x = _embeds(sum(lengths), seed=3)
    packed = _run(editor, x, lengths, "sdpa")
    dense = _run(editor, x, lengths, "sdpa_dense")
    torch.testing.assert_close(packed, dense, atol=1e-5, rtol=1e-5)
    start = 0
    for n in lengths:
        alone = _run(editor, x[:, start : start + n], [n])
        torch.testing.assert_close(packed[:, start : start + n], alone, atol=1e-5, rtol=1e-5)
        start += n


@pytest.mark.skipif(not flash_available("cuda"), reason="flash-attn on CUDA is not available here")
def test_flash_varlen_matches_sdpa() -> None:  # pragma: no cover - needs a GPU
    model = load_nar(FIXTURE, device="cuda", dtype=torch.bfloat16, attention="sdpa")
    lengths = [9, 12, 5]
    x = _embeds(sum(lengths)).to("cuda", torch.bfloat16)
    with torch.inference_mode():
        a = model.language_model(x, Packing(lengths, "sdpa"))
        b = model.language_model(x, Packing(lengths, "flash"))
    torch.testing.assert_close(a.float(), b.float(), atol=3e-2, rtol=3e-2)


def test_insertion_slots_and_min_edit_length() -> None:
    assert insertion_slots([5, 6], blank=80) == [80, 5, 80, 6, 80]
    assert insertion_slots([], blank=80) == [80]
    assert insertion_slots([5, 6], blank=80, min_length=8) == [80, 5, 80, 6, 80, 80, 80, 80]
    long = list(range(10))
    assert insertion_slots(long, blank=80, min_length=8) == insertion_slots(long, blank=80)


def test_ctc_collapse() -> None:
    assert ctc_collapse([80, 3, 3, 80, 3, 4, 4, 80], blank=80) == [3, 3, 4]
    assert ctc_collapse([], blank=0) == []
