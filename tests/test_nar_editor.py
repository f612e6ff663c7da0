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


def _reference_varlen(q, k, v, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, dropout_p=0.0,
                      softmax_scale=None, causal=False, **rest):
    """flash-attn's `flash_attn_varlen_func` as its interface documents it, in plain torch: q [total, heads, d],
    k and v [total, kv_heads, d] (heads a multiple of kv_heads), int32 cumulative lengths [samples + 1],
    the longest sample as an int; each sample attends only to itself. It refuses the layouts the CUDA kernel
    refuses (and is stricter: the kernel takes any max_seqlen at least the longest); fp16/bf16 and CUDA, which
    the kernel also demands, cannot be checked on the CPU."""
    assert q.dim() == k.dim() == v.dim() == 3 and q.shape[0] == k.shape[0] == cu_seqlens_q[-1]
    assert q.shape[1] % k.shape[1] == 0 and k.shape == v.shape and q.shape[2] == k.shape[2]
    assert all(t.stride(-1) == 1 for t in (q, k, v)), "the last dimension must be contiguous"
    assert cu_seqlens_q.dtype == cu_seqlens_k.dtype == torch.int32 and cu_seqlens_q.dim() == 1
    assert torch.equal(cu_seqlens_q, cu_seqlens_k) and not causal and dropout_p == 0.0 and not rest
    lengths = (cu_seqlens_q[1:] - cu_seqlens_q[:-1]).tolist()
    assert isinstance(max_seqlen_q, int) and max_seqlen_q == max_seqlen_k == max(lengths)
    groups = q.shape[1] // k.shape[1]
    out = torch.empty_like(q)
    for a, b in zip(cu_seqlens_q[:-1].tolist(), cu_seqlens_q[1:].tolist(), strict=True):
        qs, ks, vs = (t[a:b].transpose(0, 1) for t in (q, *(x.repeat_interleave(groups, 1) for x in (k, v))))
        weights = torch.softmax(qs @ ks.transpose(1, 2) * softmax_scale, dim=-1)
        out[a:b] = (weights @ vs).transpose(0, 1)
    return out


def test_the_flash_call_follows_the_kernels_interface(editor, monkeypatch) -> None:
    """The "flash" backend hands flash-attn packed [tokens, heads, d] tensors, kv heads not repeated (the tiny
    model has 4 query and 2 kv heads), int32 offsets and the longest sample, and reads the output back in
    packed order: with a plain-torch kernel that follows that interface it equals "sdpa" on the CPU. The real
    kernel's numbers need CUDA (`test_flash_varlen_matches_sdpa`, tests/perf/gpu_check.sh)."""
    import sys
    import types

    kernel = types.ModuleType("flash_attn")
    kernel.flash_attn_varlen_func = _reference_varlen  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flash_attn", kernel)
    lengths = [9, 12, 5]
    x = _embeds(sum(lengths), seed=4)
    torch.testing.assert_close(_run(editor, x, lengths, "flash"), _run(editor, x, lengths, "sdpa"),
                               atol=1e-5, rtol=1e-5)
    assert not flash_available("cpu")  # the loader never picks it off CUDA


def test_insertion_slots_and_min_edit_length() -> None:
    assert insertion_slots([5, 6], blank=80) == [80, 5, 80, 6, 80]
    assert insertion_slots([], blank=80) == [80]
    assert insertion_slots([5, 6], blank=80, min_length=8) == [80, 5, 80, 6, 80, 80, 80, 80]
    long = list(range(10))
    assert insertion_slots(long, blank=80, min_length=8) == insertion_slots(long, blank=80)


def test_ctc_collapse() -> None:
    assert ctc_collapse([80, 3, 3, 80, 3, 4, 4, 80], blank=80) == [3, 3, 4]
    assert ctc_collapse([], blank=0) == []
