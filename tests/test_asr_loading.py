"""Device and precision choice, attention choice, and loading a saved tiny model through the app's loader."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from app.asr.granite.ar_runner import ARRunner
from app.asr.models.loading import attention_implementation, load_ar_model, pick_device
from app.core.errors import ModelError
from tests.tiny_models import shared_tiny


def test_cpu_is_float32() -> None:
    assert pick_device("cpu") == (torch.device("cpu"), torch.float32)


def test_default_device_is_the_best_available() -> None:
    device, dtype = pick_device()
    if torch.cuda.is_available():
        assert (device.type, dtype) == ("cuda", torch.bfloat16)
    elif device.type == "mps":
        assert dtype in (torch.bfloat16, torch.float32)
    else:
        assert (device.type, dtype) == ("cpu", torch.float32)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_requested_without_cuda_is_one_sentence() -> None:
    with pytest.raises(ModelError, match=r"^No CUDA GPU is available; .*\.$"):
        pick_device("cuda")


def test_unknown_device() -> None:
    with pytest.raises(ModelError, match="Unknown device 'tpu'"):
        pick_device("tpu")


def test_attention_is_sdpa_off_cuda() -> None:
    assert attention_implementation("cpu") == "sdpa"
    assert attention_implementation(torch.device("cpu")) == "sdpa"


@pytest.mark.parametrize("kind,model_type,cls_name", [
    ("granite", "granite_speech", "GraniteSpeechForConditionalGeneration"),
    ("plus", "granite_speech_plus", "GraniteSpeechPlusForConditionalGeneration"),
])
def test_load_tiny_model_by_type(tmp_path_factory, kind, model_type, cls_name) -> None:
    folder = shared_tiny(tmp_path_factory, kind)
    model = load_ar_model(folder, model_type, torch.device("cpu"), torch.float32)
    assert type(model).__name__ == cls_name and not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert model.config._attn_implementation == "sdpa"
    runner = ARRunner.load(str(folder), device="cpu")
    assert runner.family == kind and runner.tokenizer.convert_tokens_to_ids("<|audio|>") == model.config.audio_token_id
    assert runner.model.config.text_config.vocab_size == len(runner.tokenizer)


def test_runner_refuses_the_nar_model_and_missing_peft(tmp_path, tmp_path_factory) -> None:
    nar = tmp_path / "nar"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), nar)
    config = json.loads((nar / "config.json").read_text())
    (nar / "config.json").write_text(json.dumps({**config, "model_type": "granite_speech_nar"}))
    with pytest.raises(ModelError, match="not an autoregressive model"):
        ARRunner.load(str(nar), device="cpu")

    lora = tmp_path / "lora"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), lora)
    (lora / "adapter_config.json").write_text("{}")
    import importlib.util

    if importlib.util.find_spec("peft") is None:
        with pytest.raises(ModelError, match="needs the peft package"):
            ARRunner.load(str(lora), device="cpu")


def test_wrong_weights_give_a_model_error(tmp_path, tmp_path_factory) -> None:
    from safetensors.torch import save_file

    folder = tmp_path / "shapes"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), folder)
    save_file({"lm_head.weight": torch.zeros(3, 3)}, str(folder / "model.safetensors"))
    with pytest.raises(ModelError, match="cannot be loaded|do not fit the model"):
        load_ar_model(folder, "granite_speech", torch.device("cpu"), torch.float32)


def test_missing_weights_are_not_silently_random(tmp_path, tmp_path_factory) -> None:
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "partial"
    shutil.copytree(shared_tiny(tmp_path_factory, "granite"), folder)
    weights = load_file(str(folder / "model.safetensors"))
    dropped = sorted(weights)[0]
    del weights[dropped]
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelError, match=r"do not fit the model \(1 missing"):
        load_ar_model(folder, "granite_speech", torch.device("cpu"), torch.float32)
