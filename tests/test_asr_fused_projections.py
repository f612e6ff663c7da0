"""Stacking q/k/v and gate/up into one int8 product per layer gives the very same numbers with fewer calls."""

from __future__ import annotations

import pytest
import torch
from transformers import GraniteConfig, GraniteForCausalLM

from app.asr.models.fused_projections import StackedProjection, stack_language_model
from app.asr.models.precision import convert, int8_available

pytestmark = pytest.mark.skipif(not int8_available(), reason="this torch build has no int8 on this CPU")


def _pair() -> tuple[GraniteForCausalLM, GraniteForCausalLM]:
    cfg = GraniteConfig(vocab_size=500, hidden_size=128, intermediate_size=256, num_hidden_layers=3,
                        num_attention_heads=4, num_key_value_heads=2, embedding_multiplier=12.0,
                        residual_multiplier=0.22, attention_multiplier=1 / 32, logits_scaling=8.0,
                        pad_token_id=0, eos_token_id=1, bos_token_id=1)
    torch.manual_seed(0)
    plain = GraniteForCausalLM(cfg).eval()
    stacked = GraniteForCausalLM(cfg).eval()
    stacked.load_state_dict(plain.state_dict())
    convert(plain.model, "int8")
    assert stack_language_model(stacked.model, lambda linear: convert(linear, "int8")) == 6
    convert(stacked.model, "int8")
    return plain, stacked


def _quantized_calls(model: GraniteForCausalLM) -> int:
    calls = 0

    def count(*_: object) -> None:
        nonlocal calls
        calls += 1

    quantized = torch.ao.nn.quantized.dynamic.Linear
    hooks = [m.register_forward_hook(count) for m in model.model.modules() if isinstance(m, quantized)]
    ids = torch.randint(2, 500, (1, 9), generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        model(input_ids=ids)
    for hook in hooks:
        hook.remove()
    return calls


def test_stacked_int8_gives_identical_logits_and_ids() -> None:
    plain, stacked = _pair()
    ids = torch.randint(2, 500, (2, 17), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        assert torch.equal(plain(input_ids=ids).logits, stacked(input_ids=ids).logits)
        kwargs = dict(attention_mask=mask, max_new_tokens=8, min_new_tokens=8, do_sample=False, pad_token_id=0)
        assert torch.equal(plain.generate(input_ids=ids, **kwargs), stacked.generate(input_ids=ids, **kwargs))
    assert _quantized_calls(plain) == 3 * 7
    assert _quantized_calls(stacked) == 3 * 4


def test_the_stacked_result_is_not_kept_after_every_part_took_its_slice() -> None:
    _, stacked = _pair()
    stacks = {id(m._stack): m._stack for m in stacked.modules() if hasattr(m, "_stack")}
    assert len(stacks) == 6
    with torch.inference_mode():
        stacked(input_ids=torch.arange(2, 40).view(1, -1))
    assert all(isinstance(s, StackedProjection) and s._input is None and s._outputs == () for s in stacks.values())


def test_layers_that_do_not_fit_are_left_alone() -> None:
    layer = torch.nn.Module()
    layer.q_proj = torch.nn.Linear(8, 8, bias=True)  # a bias: not stacked
    layer.k_proj = torch.nn.Linear(8, 4, bias=False)
    layer.v_proj = torch.nn.Linear(8, 4, bias=False)
    model = torch.nn.Module()
    model.layers = torch.nn.ModuleList()  # no layers at all: nothing to do
    assert stack_language_model(model, lambda linear: linear) == 0
    from app.asr.models.fused_projections import stack_projections

    assert not stack_projections(layer, ("q_proj", "k_proj", "v_proj"), lambda linear: linear)
    assert isinstance(layer.q_proj, torch.nn.Linear) and isinstance(layer.k_proj, torch.nn.Linear)


def test_the_app_loads_an_int8_language_model_stacked(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Through the app's CPU loader (layers quantized as they are read): every layer is stacked."""
    from app.asr.models.fused_projections import _Part
    from app.asr.models.loading import load_ar_model_with_precision
    from tests.tiny_models import shared_tiny

    folder = shared_tiny(tmp_path_factory, "granite")
    model, _, plan = load_ar_model_with_precision(folder, "granite_speech", torch.device("cpu"), "int8")
    assert plan.llm == "int8"
    layers = model.model.language_model.layers
    parts = [m for m in layers.modules() if isinstance(m, _Part)]
    assert len(layers) > 0 and len(parts) == 5 * len(layers)
