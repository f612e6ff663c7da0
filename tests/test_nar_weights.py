"""Both weight layouts load: the fixture renamed to the Hub checkpoint's remote-code layout gives the same ids."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file, save_file

from app.asr.nar import load_nar
from app.asr.nar.config import load_config
from app.asr.nar.weights import hub_to_native
from app.core.errors import ModelError

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())

NATIVE_TO_HUB = (
    (r"^model\.language_model\.", "language_model.model."),
    (r"^model\.out_bpe\.", "encoder.out_bpe."),
    (r"^model\.encoder\.", "encoder."),
    (r"^model\.projector\.proj\.", "projector.layer_projector."),
    (r"^model\.projector\.qformer\.linear\.", "projector.out_linear."),
    (r"^model\.projector\.qformer\.queries$", "projector.query"),
    (r"^model\.projector\.qformer\.pos_emb$", "projector.window_positions"),
    (r"\.cross_attn\.", ".cross_attention."),
    (r"^model\.projector\.", "projector."),
)


def _to_hub_name(name: str) -> str:
    for pattern, repl in NATIVE_TO_HUB:
        name = re.sub(pattern, repl, name)
    return name


def _hub_config(native: dict) -> dict:
    enc = dict(native["encoder_config"])
    enc["bpe_output_dim"] = enc.pop("vocabulary_size")
    enc["bpe_pooling_window"] = enc.pop("pooling_window")
    cat = enc.pop("cat_hidden_layers")
    proj = native["projector_config"]
    text = dict(native["text_config"], model_type="granite")
    return {
        "architectures": ["GraniteSpeechNarForASR"],
        "model_type": "granite_speech_nar",
        "encoder_config": enc,
        "projector_config": {
            "hidden_size": proj["hidden_size"], "num_heads": proj["num_attention_heads"],
            "num_layers": proj["num_hidden_layers"], "block_size": proj["window_size"],
            "downsample_rate": proj["downsample_rate"], "layernorm_eps": proj["layer_norm_eps"],
            "attn_bias": proj["attention_bias"], "mlp_ratio": proj["intermediate_size"] // proj["hidden_size"],
            "llm_dim": text["hidden_size"], "encoder_dim": enc["hidden_dim"], "mlp_bias": True,
        },
        "text_config": text,
        "encoder_layer_indices": [*cat, -1],
        "min_edit_sequence_length": 8,
        "scale_projected_embeddings": True,
        "blank_token_id": native["blank_token_id"],
    }


@pytest.fixture(scope="module")
def hub_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nar_hub")
    native = load_file(str(FIXTURE / "model.safetensors"))
    hub = {_to_hub_name(k): v for k, v in native.items()}
    hidden, chunks, q_hidden = 64, 4, 128
    for i in range(chunks):  # the identity LayerNorms the Hub layout stores and the native one drops
        hub[f"projector.layer_norms.{i}.weight"] = torch.ones(hidden, dtype=torch.float16)
        hub[f"projector.layer_norms.{i}.bias"] = torch.zeros(hidden, dtype=torch.float16)
    qformer_norms = [f"projector.qformer.layers.{k}.{n}" for k in range(2) for n in ("attn_norm", "mlp_norm")]
    for name in ["projector.out_norm", *qformer_norms]:
        hub[f"{name}.weight"] = torch.ones(q_hidden, dtype=torch.float16)
        hub[f"{name}.bias"] = torch.zeros(q_hidden, dtype=torch.float16)
    hub["language_model.lm_head.weight"] = native["model.language_model.embed_tokens.weight"].clone()
    save_file(hub, str(folder / "model.safetensors"))
    cfg = _hub_config(json.loads((FIXTURE / "config.json").read_text()))
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder


def test_renaming_rules_round_trip() -> None:
    native = load_file(str(FIXTURE / "model.safetensors"))
    for name in native:
        assert hub_to_native(_to_hub_name(name)) == name


def test_hub_layout_loads_and_gives_the_same_ids(hub_folder: Path) -> None:
    cfg = load_config(hub_folder)
    assert cfg.layout == "hub" and cfg.min_edit_sequence_length == 8
    assert cfg.encoder.cat_hidden_layers == (1, 2, 3) and cfg.encoder.vocabulary_size == 97
    native_model = load_nar(FIXTURE)
    hub_model = load_nar(hub_folder)
    pairs = zip(sorted(native_model.state_dict().items()), sorted(hub_model.state_dict().items()), strict=True)
    for (ka, va), (kb, vb) in pairs:
        assert ka == kb and torch.equal(va, vb)
    waves = [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    expected = [s["result"]["final_prediction_ids"] for s in EXPECTED["single"]]
    assert hub_model.decode_ids(waves) == expected == native_model.decode_ids(waves)
    for wave, exp in zip(waves, EXPECTED["single"], strict=True):  # each alone, 2 editing steps
        res = hub_model.run([wave], num_editing_steps=2)[0]
        assert res.draft == exp["result"]["ctc_hypothesis_ids"]
        assert res.steps == [exp["result"]["final_prediction_ids"], exp["result"]["two_step"]["final_prediction_ids"]]
    batch = hub_model.run(waves, num_editing_steps=2, isolate=False)  # the reference's padded batch
    for res, exp in zip(batch, EXPECTED["batch"]["samples"], strict=True):
        assert res.steps == [exp["final_prediction_ids"], exp["two_step"]["final_prediction_ids"]]


def test_hub_projector_norms_are_applied(hub_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scaled"
    shutil.copytree(hub_folder, folder)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["projector.out_norm.weight"] = torch.full_like(tensors["projector.out_norm.weight"], 2.0)
    save_file(tensors, str(folder / "model.safetensors"))
    model = load_nar(folder)
    assert torch.all(model.projector.qformer.out_norm.weight == 2.0)
    wave = sf.read(FIXTURE / "input_2.wav", dtype="float32")[0]
    plain = load_nar(hub_folder)
    a = plain.run([wave], keep_details=True)[0].audio_embeds
    b = model.run([wave], keep_details=True)[0].audio_embeds
    assert not torch.allclose(a, b)


def test_broken_folders_raise_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        load_nar(tmp_path / "missing")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "granite"}))
    with pytest.raises(ModelError):
        load_nar(tmp_path)
    shutil.copy(FIXTURE / "config.json", tmp_path / "config.json")
    tensors = load_file(str(FIXTURE / "model.safetensors"))
    tensors.pop("model.out_bpe.weight")
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(ModelError, match="do not fit"):
        load_nar(tmp_path)


def test_short_input_with_min_edit_length(hub_folder: Path) -> None:
    model = load_nar(hub_folder)
    res = model.run([np.zeros(3200, np.float32)], keep_details=True)[0]
    assert res.logits[0].shape[0] >= 8
