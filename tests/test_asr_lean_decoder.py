"""The CPU's lean decoding passes give what transformers' Granite forward gives: the same hidden states (to
float32 rounding) for one-token steps and multi-token blocks, with left padding and with holes in the cache,
on a language model whose multipliers are not 1; and the same greedy ids through the runner."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from transformers import DynamicCache, GraniteConfig, GraniteModel

from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.lean_decoder import LeanDecoder
from app.asr.granite.prompts import instruction
from tests.tiny_models import shared_tiny


@pytest.fixture(scope="module")
def language_model() -> GraniteModel:
    config = GraniteConfig(
        vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, embedding_multiplier=12.0,
        residual_multiplier=0.22, attention_multiplier=0.05, logits_scaling=8.0,
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(11)
    model = GraniteModel(config).eval()
    with torch.no_grad():  # norms away from 1, so that a norm applied wrongly shows
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    return model


def prefilled(lm: GraniteModel, valid: torch.Tensor) -> DynamicCache:
    """A cache filled by transformers' own forward over random prompt embeddings, `valid` [B, L] its padding."""
    batch, length = valid.shape
    embeds = torch.randn(batch, length, lm.config.hidden_size, generator=torch.Generator().manual_seed(3))
    positions = (valid.long().cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=lm.config)
    with torch.inference_mode():
        lm(inputs_embeds=embeds, attention_mask=valid.long(), position_ids=positions, cache=cache, use_cache=True)
    return cache


def both(lm: GraniteModel, cache: DynamicCache, ids: torch.Tensor, positions: torch.Tensor,
         valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, DynamicCache, DynamicCache]:
    theirs_cache, ours_cache = cache, copy.deepcopy(cache)
    with torch.inference_mode():
        theirs = lm(input_ids=ids, attention_mask=valid.long(), position_ids=positions, cache=theirs_cache,
                    use_cache=True).last_hidden_state
        ours = LeanDecoder(lm).forward(ids, positions, ours_cache, valid)
    return theirs, ours, theirs_cache, ours_cache


def test_one_token_steps_on_a_left_padded_batch(language_model: GraniteModel) -> None:
    valid = torch.ones(2, 9, dtype=torch.bool)
    valid[1, :3] = False  # the second prompt is 3 shorter
    cache = prefilled(language_model, valid)
    lengths = valid.sum(-1)
    for step in range(4):
        valid = torch.cat([valid, torch.ones(2, 1, dtype=torch.bool)], dim=1)
        ids = torch.tensor([[17 + step], [250 - step]])
        positions = (lengths + step).view(2, 1)
        theirs, ours, cache, mine = both(language_model, cache, ids, positions, valid)
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
        for a, b in zip(cache.layers, mine.layers, strict=True):
            torch.testing.assert_close(b.keys, a.keys, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(b.values, a.values, atol=1e-5, rtol=1e-5)
    assert ours.abs().mean() > 0.1  # a real output, not zeros


def test_a_block_of_draft_tokens_with_holes_in_the_cache(language_model: GraniteModel) -> None:
    valid = torch.ones(2, 10, dtype=torch.bool)
    valid[0, :2] = False
    valid[1, 6:8] = False  # rejected draft tokens left as holes
    cache = prefilled(language_model, valid)
    block = torch.ones(2, 5, dtype=torch.bool)
    block[1, 3:] = False  # the second row proposes fewer tokens
    valid = torch.cat([valid, block], dim=1)
    ids = torch.tensor([[5, 6, 7, 8, 9], [40, 41, 42, 0, 0]])
    positions = torch.tensor([[8], [8]]) + torch.arange(5)
    theirs, ours, _, _ = both(language_model, cache, ids, positions, valid)
    torch.testing.assert_close(ours[block], theirs[block], atol=1e-5, rtol=1e-5)


def test_applies_on_the_cpu_to_granite_speech_models_only(tmp_path_factory: pytest.TempPathFactory) -> None:
    runner = ARRunner.load(str(shared_tiny(tmp_path_factory, "plus")), device="cpu")
    assert isinstance(runner.lean, LeanDecoder)
    assert LeanDecoder.for_model(runner.model, torch.device("cuda")) is None
    assert LeanDecoder.for_model(runner.model.model.encoder, torch.device("cpu")) is None


@pytest.mark.parametrize("kind", ["granite", "plus"])
def test_runner_ids_equal_transformers_generate(kind: str, speech_16k: np.ndarray,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    """In float32 (bf16 and int8 can differ at near-ties and quantisation steps: see the module's docstring)."""
    runner = ARRunner.load(str(shared_tiny(tmp_path_factory, kind)), device="cpu", precision="fp32")
    lean = runner.lean
    assert lean is not None
    pieces = [speech_16k[: int(16000 * s)].astype(np.float32) for s in (2.6, 1.2, 3.1)]
    text = instruction(runner.family, "punctuated")
    before = lean.passes
    ours = runner.generate_ids(pieces, text, 24, min_new_tokens=3)
    assert lean.passes - before == max(len(row) for row in ours) - 1 > 0  # every token after the first came from here
    runner.lean = None  # transformers' generate on the same model
    try:
        theirs = runner.generate_ids(pieces, text, 24, min_new_tokens=3)
    finally:
        runner.lean = lean
    assert ours == theirs
    assert all(len(row) >= 3 for row in ours)


def test_a_bf16_language_model_matches_to_bf16_rounding(language_model: GraniteModel) -> None:
    lm = copy.deepcopy(language_model).to(torch.bfloat16)
    valid = torch.ones(2, 9, dtype=torch.bool)
    valid[0, :4] = False
    cache = DynamicCache(config=lm.config)
    embeds = torch.randn(2, 9, lm.config.hidden_size, generator=torch.Generator().manual_seed(5)).bfloat16()
    with torch.inference_mode():
        lm(inputs_embeds=embeds, attention_mask=valid.long(), position_ids=(valid.long().cumsum(-1) - 1).clamp(min=0),
           cache=cache, use_cache=True)
    valid = torch.cat([valid, torch.ones(2, 1, dtype=torch.bool)], dim=1)
    theirs, ours, _, _ = both(lm, cache, torch.tensor([[7], [99]]), torch.tensor([[5], [9]]), valid)
    assert ours.dtype == torch.bfloat16
    error = (ours.float() - theirs.float()).norm() / theirs.float().norm()
    assert error < 0.02


@pytest.mark.parametrize("setting", [{"forced_eos_token_id": 0}, {"no_repeat_ngram_size": 1},
                                     {"min_new_tokens": 8}, {"min_length": 60}, {"repetition_penalty": 1.3}])
def test_generation_settings_the_loop_cannot_honour_go_to_generate(setting: dict, speech_16k: np.ndarray,
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    runner = ARRunner.load(str(shared_tiny(tmp_path_factory, "granite")), device="cpu", precision="fp32")
    lean = runner.lean
    assert lean is not None
    for name, value in setting.items():
        setattr(runner.model.generation_config, name, value)
    assert runner.speculative_blockers() == list(setting)
    pieces = [speech_16k[: int(16000 * s)].astype(np.float32) for s in (2.6, 1.2)]
    text = instruction(runner.family, "punctuated")
    before = lean.passes
    assert all(len(row) <= 20 for row in runner.generate_ids(pieces, text, 20))
    assert lean.passes == before  # transformers' generate ran, with the setting


def test_settings_left_at_their_defaults_do_not_block(tmp_path_factory: pytest.TempPathFactory) -> None:
    runner = ARRunner.load(str(shared_tiny(tmp_path_factory, "granite")), device="cpu", precision="fp32")
    config = runner.model.generation_config
    config.repetition_penalty, config.no_repeat_ngram_size, config.min_length = 1, 0, 0
    config.suppress_tokens = []
    assert runner.speculative_blockers() == []
    with pytest.raises(ValueError, match="max_new_tokens"):
        runner.generate_ids([np.zeros(16000, dtype=np.float32)], instruction(runner.family, "punctuated"), 0)
