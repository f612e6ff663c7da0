"""The in-place KV cache holds exactly what transformers' own cache holds, through appends past its room, the
crops of self-speculative decoding and batch reshuffles; decoding with it gives transformers' ids (the runner
parity tests in test_asr_runner.py and test_asr_speculative.py run through it)."""

from __future__ import annotations

import torch
from transformers.cache_utils import DynamicLayer

from app.asr.granite.kv_cache import GrowingCache, GrowingLayer


def _step(gen: torch.Generator, batch: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    keys = torch.randn(batch, 2, length, 4, generator=gen)
    return keys, torch.randn(batch, 2, length, 4, generator=gen)


def _same(a: DynamicLayer, b: GrowingLayer) -> None:
    assert a.keys is not None and b.keys is not None and a.values is not None and b.values is not None
    assert torch.equal(a.keys, b.keys) and torch.equal(a.values, b.values)
    assert a.get_seq_length() == b.get_seq_length()


def test_appends_crops_and_reshuffles_match_transformers_cache() -> None:
    gen = torch.Generator().manual_seed(0)
    ref, grow = DynamicLayer(), GrowingLayer()
    rows = 3
    prompt = _step(gen, rows, 37)
    ref.update(*prompt)
    grow.update(*prompt)
    _same(ref, grow)
    buffers = set()
    for i in range(150):  # past the first buffer's room (37 * 1.5 + 64) more than once
        step = _step(gen, rows, 1 + i % 3)
        out_ref, out_grow = ref.update(*step), grow.update(*step)
        assert torch.equal(out_ref[0], out_grow[0]) and torch.equal(out_ref[1], out_grow[1])
        buffers.add(grow._key_buffer.data_ptr() if grow._key_buffer is not None else 0)
        if i == 40:
            ref.crop(-5)  # rejected draft positions
            grow.crop(-5)
        if i == 90:
            ref.batch_select_indices(torch.tensor([2, 0]))  # finished rows leave, the rest reorder
            grow.batch_select_indices(torch.tensor([2, 0]))
            rows = 2
        _same(ref, grow)
    assert grow.keys is not None and grow.keys.shape[0] == 2
    # appends write into room: far fewer buffers than steps (a copy per step is what it replaces)
    assert 2 <= len(buffers) <= 8


def test_a_crop_then_append_overwrites_the_dropped_positions() -> None:
    gen = torch.Generator().manual_seed(1)
    layer = GrowingLayer()
    layer.update(*_step(gen, 1, 10))
    before = layer._key_buffer
    layer.crop(-4)
    keys, values = _step(gen, 1, 2)
    out_keys, out_values = layer.update(keys, values)
    assert layer._key_buffer is before  # same buffer, written in place
    assert out_keys.shape[-2] == 8 and torch.equal(out_keys[..., 6:, :], keys)
    assert torch.equal(out_values[..., 6:, :], values)


def test_the_cache_makes_one_growing_layer_per_model_layer() -> None:
    gen = torch.Generator().manual_seed(2)
    cache = GrowingCache()
    for layer_idx in range(3):
        cache.update(*_step(gen, 2, 5), layer_idx)
    cache.update(*_step(gen, 2, 1), 1)
    assert [type(layer) for layer in cache.layers] == [GrowingLayer] * 3
    assert [cache.get_seq_length(i) for i in range(3)] == [5, 6, 5]
