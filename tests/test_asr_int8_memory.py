"""Loading an AR model on the CPU in int8 holds little more memory than the converted model itself.

What a user relies on: the full-size 4.1-2b (4.5 GB in bf16) converted to int8 must fit a machine with 8 GB.
The conversion frees every weight it replaces as soon as it replaces it (not when Python's cyclic garbage
collector happens to run: these tests run with it switched off), no fp32 copy of a large matrix stays
behind, the weights are read into the process's own memory rather than kept in a file mapping whose pages
stay counted, and none of this changes a number the model computes.
"""

from __future__ import annotations

import gc
import json
import shutil
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from app.asr.models import precision
from app.asr.models.loading import apply_precision, load_ar_model, model_class
from app.asr.models.precision import PrecisionPlan, int8_available
from app.asr.models.quantize import WideEmbedding
from app.asr.models.weight_files import weight_files
from app.core.errors import ModelError
from tests.tiny_models import shared_tiny

TYPES = {"granite": "granite_speech", "plus": "granite_speech_plus"}
CPU = torch.device("cpu")
PLAN = PrecisionPlan("cpu", "bf16", "int8", "test")
needs_int8 = pytest.mark.skipif(not int8_available(), reason="this torch has no int8 kernels for this CPU")


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@needs_int8
@pytest.mark.parametrize("kind", ["granite", "plus"])
def test_int8_conversion_frees_every_weight_it_replaces(tmp_path_factory, no_cyclic_gc, kind: str) -> None:
    model = load_ar_model(shared_tiny(tmp_path_factory, kind), TYPES[kind], torch.device("cpu"), torch.bfloat16)
    llm = model.model.language_model
    replaced = [weakref.ref(m.weight) for m in llm.modules() if isinstance(m, torch.nn.Linear)]
    head = weakref.ref(model.lm_head.weight)
    table = llm.embed_tokens.weight
    tied = head() is table
    assert replaced and tied == (kind == "plus")

    apply_precision(model, PrecisionPlan("cpu", "bf16", "int8", "test"))

    assert [r for r in replaced if r() is not None] == []
    assert (head() is None) == (not tied)  # a tied output layer's weight is the embedding table, kept
    assert llm.embed_tokens.weight is table and table.dtype == torch.bfloat16  # not upcast: read out in fp32
    hidden = model.config.text_config.hidden_size
    large_floats = [name for name, p in [*llm.named_parameters(), *model.lm_head.named_parameters()]
                    if p.is_floating_point() and p.numel() > hidden and p is not table]
    assert large_floats == []
    assert not any(type(m) is torch.nn.Linear for m in [*llm.modules(), model.lm_head])


def test_wide_embedding_gives_the_fp32_tables_numbers() -> None:
    torch.manual_seed(0)
    table = torch.nn.Embedding(50, 16, padding_idx=3).to(torch.bfloat16)
    ids = torch.tensor([[0, 3, 49, 7], [7, 7, 1, 2]])
    wide = WideEmbedding(50, 16, padding_idx=3)
    wide.weight = table.weight
    out = wide(ids)
    assert out.dtype == torch.float32
    assert torch.equal(out, torch.nn.functional.embedding(ids, table.weight.float(), padding_idx=3))


# ---- the decoder layers quantized as they are read ----------------------------------------------------------


def _int8_state(model: torch.nn.Module) -> dict[str, object]:
    """Every tensor the model computes with: float tensors, and each int8 layer's weights, scales and bias."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    out: dict[str, object] = {k: v for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    for name, m in model.named_modules():
        if isinstance(m, DynamicLinear):
            w = m.weight()
            out[name] = (w.int_repr(), w.q_per_channel_scales(), w.q_per_channel_zero_points(), m.bias())
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.dtype == b.dtype and torch.equal(a, b)
    return a is None and b is None



@needs_int8
def test_cpu_weights_are_read_not_left_in_a_file_mapping(tmp_path, tmp_path_factory) -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs Linux's /proc to see the file mappings")
    folder = tmp_path / "granite"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), folder)
    model = load_ar_model(folder, "granite_speech", CPU, torch.bfloat16, int8_layers=True)
    assert str(folder / "model.safetensors") not in maps.read_text()
    assert model.model.encoder.input_linear.weight.dtype == torch.bfloat16


@needs_int8
@pytest.mark.parametrize("kind", ["granite", "plus"])
def test_the_reader_loads_what_transformers_loads(tmp_path_factory, kind: str) -> None:
    folder = shared_tiny(tmp_path_factory, kind)
    ours = load_ar_model(folder, TYPES[kind], CPU, torch.bfloat16, int8_layers=True)
    theirs = model_class(TYPES[kind]).from_pretrained(str(folder), dtype=torch.bfloat16, attn_implementation="sdpa",
                                                      local_files_only=True).eval()
    a, b = _int8_state(ours), theirs.state_dict()
    plain = [k for k in a if not k.startswith(("model.language_model.layers.", "lm_head"))]
    assert len(plain) > 10 and all(_same(a[k], b[k]) for k in plain)
    assert sorted(plain) == sorted(k for k in b if not k.startswith(("model.language_model.layers.", "lm_head")))
    assert ours.config.to_dict() == theirs.config.to_dict()
    assert ours.generation_config.to_dict() == theirs.generation_config.to_dict()


@needs_int8
def test_sharded_weights_are_read_from_the_index_and_a_ctc_head_is_not_one(tmp_path, tmp_path_factory) -> None:
    source = shared_tiny(tmp_path_factory, "granite")
    folder = tmp_path / "sharded"
    shutil.copytree(source, folder)
    (folder / "model.safetensors").unlink()
    load_ar_model(source, "granite_speech", CPU, torch.float32).save_pretrained(
        folder, safe_serialization=True, max_shard_size="200KB")
    (folder / "out_llm.safetensors").write_bytes(b"not the model's weights")
    shards = weight_files(folder)
    assert len(shards) > 1 and all(p.name.startswith("model-") for p in shards)
    a = _int8_state(load_ar_model(folder, "granite_speech", CPU, torch.float32, int8_layers=True))
    b = _int8_state(load_ar_model(source, "granite_speech", CPU, torch.float32, int8_layers=True))
    assert sorted(a) == sorted(b) and [k for k in a if not _same(a[k], b[k])] == []

    index = folder / "model.safetensors.index.json"
    names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    (folder / names[-1]).unlink()
    with pytest.raises(ModelError, match=rf"^The model in .* is incomplete: {names[-1]} is missing\.$"):
        load_ar_model(folder, "granite_speech", CPU, torch.float32, int8_layers=True)
    index.write_text("{broken")
    with pytest.raises(ModelError, match=r"^The weight index model.safetensors.index.json in .* is damaged\.$"):
        load_ar_model(folder, "granite_speech", CPU, torch.float32, int8_layers=True)


@needs_int8
def test_a_damaged_weight_file_is_one_sentence(tmp_path, tmp_path_factory) -> None:
    folder = tmp_path / "damaged"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), folder)
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match=r"^The weight file model.safetensors in .* cannot be read"):
        load_ar_model(folder, "granite_speech", CPU, torch.float32, int8_layers=True)


def _logits(model: torch.nn.Module) -> torch.Tensor:
    ids = torch.arange(3, 40).reshape(1, -1)
    with torch.inference_mode():
        return model(input_ids=ids).logits


@needs_int8
@pytest.mark.parametrize("kind", ["granite", "plus"])
def test_layers_quantized_as_they_are_read_compute_what_the_whole_model_does(tmp_path_factory, kind: str) -> None:
    folder = shared_tiny(tmp_path_factory, kind)
    whole = load_ar_model(folder, TYPES[kind], CPU, torch.bfloat16)
    apply_precision(whole, PLAN)
    streamed = load_ar_model(folder, TYPES[kind], CPU, torch.bfloat16, int8_layers=True)
    apply_precision(streamed, PLAN)
    a, b = _int8_state(whole), _int8_state(streamed)
    assert sorted(a) == sorted(b)
    assert [k for k in a if not _same(a[k], b[k])] == []
    assert torch.equal(_logits(whole), _logits(streamed))
    assert str(whole) == str(streamed)
    assert streamed.config.text_config.num_hidden_layers == len(streamed.model.language_model.layers) > 0
    assert streamed.config.to_dict() == whole.config.to_dict()
    assert streamed.generation_config.to_dict() == whole.generation_config.to_dict()


@needs_int8
def test_each_layer_is_freed_in_bf16_before_the_next_is_read(tmp_path_factory, monkeypatch, no_cyclic_gc) -> None:
    earlier: list[weakref.ref[torch.Tensor]] = []
    still_alive: list[int] = []
    real = precision.convert

    def watching(module: torch.nn.Module, to: str) -> torch.nn.Module:
        still_alive.append(sum(r() is not None for r in earlier))
        earlier.extend(weakref.ref(m.weight) for m in module.modules() if isinstance(m, torch.nn.Linear))
        return real(module, to)

    monkeypatch.setattr(precision, "convert", watching)
    model = load_ar_model(shared_tiny(tmp_path_factory, "granite"), "granite_speech", CPU, torch.bfloat16,
                          int8_layers=True)
    layers = model.config.text_config.num_hidden_layers
    # the output layer, then per decoder layer its stacked q/k/v and gate/up (fused_projections) and the layer
    assert len(still_alive) == 1 + 3 * layers
    assert still_alive == [0] * (1 + 3 * layers)
    assert [r for r in earlier if r() is not None] == []


def _module_layout(source: Path, folder: Path) -> Path:
    """The tiny model saved with its weights named as the model's modules are (model.language_model.layers...),
    not as transformers saves them (the Hub layout, language_model.model.layers...)."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, folder)
    weights = load_file(str(source / "model.safetensors"))

    def named(key: str) -> str:
        if key == "language_model.lm_head.weight":
            return "lm_head.weight"
        if key.startswith("language_model.model."):
            return "model.language_model." + key[len("language_model.model."):]
        return "model." + key

    assert any(k.startswith("language_model.model.layers.") for k in weights)
    save_file({named(k): v for k, v in weights.items()}, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


@needs_int8
def test_either_key_layout_streams_the_same_layers(tmp_path, tmp_path_factory) -> None:
    source = shared_tiny(tmp_path_factory, "granite")
    other = _module_layout(source, tmp_path / "named")
    a, b = load_ar_model(source, "granite_speech", CPU, torch.float32).state_dict(), \
        load_ar_model(other, "granite_speech", CPU, torch.float32).state_dict()
    assert sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)  # transformers reads both layouts
    hub = _int8_state(load_ar_model(source, "granite_speech", CPU, torch.bfloat16, int8_layers=True))
    named = _int8_state(load_ar_model(other, "granite_speech", CPU, torch.bfloat16, int8_layers=True))
    assert sorted(hub) == sorted(named) and [k for k in hub if not _same(hub[k], named[k])] == []


@needs_int8
def test_a_missing_layer_weight_is_one_sentence_not_a_random_layer(tmp_path, tmp_path_factory) -> None:
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "partial"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), folder)
    weights = load_file(str(folder / "model.safetensors"))
    del weights["language_model.model.layers.1.mlp.up_proj.weight"]
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelError, match=r"^The weights in .* do not fit the model \(1 missing or misshapen, "
                                         r"e\.g\. language-model layer 1: mlp\.up_proj\.weight\)\.$"):
        load_ar_model(folder, "granite_speech", CPU, torch.bfloat16, int8_layers=True)
