"""Loading the NAR model: straight into the target dtype (no float32 copy of a bf16 model), and one clear
sentence when the device runs out of memory while loading.

Every tensor that torch creates during a load is watched with a TorchDispatchMode (the real loading code
runs unchanged; the mode only looks at what each aten op returns). A second mode plays a device with too
little memory: it raises torch.cuda.OutOfMemoryError from the allocation that crosses its budget, exactly
where a GPU would raise it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from app.asr.nar import load_nar
from app.asr.nar.weights import out_of_memory_message
from app.core.errors import ModelError

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"


class AllocationWatch(TorchDispatchMode):
    """Records every tensor (not on the meta device) that an op returns: dtype, size, storage."""

    def __init__(self) -> None:
        super().__init__()
        self.float32_numels: list[int] = []
        self.storages: dict[int, int] = {}  # data pointer -> bytes, each storage once

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and not t.is_meta:
                if t.dtype == torch.float32:
                    self.float32_numels.append(t.numel())
                storage = t.untyped_storage()
                self.storages.setdefault(storage.data_ptr(), storage.nbytes())
        return out


class SmallDevice(TorchDispatchMode):
    """A device with `budget` bytes.

    What a GPU would hold is what the loader copies onto the device (`.to(device, dtype)`, which is
    aten._to_copy, and the filled identity norms); the file reads stay on the host. The copy that goes past
    the budget raises torch.cuda.OutOfMemoryError, as the CUDA allocator does.
    """

    DEVICE_OPS = ("_to_copy", "ones", "zeros", "full", "empty_like", "clone")

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.used = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket.__name__ in self.DEVICE_OPS and isinstance(out, torch.Tensor) and not out.is_meta:
            self.used += out.untyped_storage().nbytes()
            if self.used > self.budget:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 MiB")
        return out


@pytest.fixture(scope="module")
def bf16_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture model stored in bfloat16, as the real checkpoint is."""
    folder = tmp_path_factory.mktemp("nar_bf16")
    shutil.copy(FIXTURE / "config.json", folder / "config.json")
    tensors = {k: v.to(torch.bfloat16) for k, v in load_file(str(FIXTURE / "model.safetensors")).items()}
    save_file(tensors, str(folder / "model.safetensors"))
    return folder


def _model_bytes(model: torch.nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def test_bf16_checkpoint_loads_without_any_float32_copy(bf16_folder: Path) -> None:
    with AllocationWatch() as watch:
        model = load_nar(bf16_folder, dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert model.encoder.layers[0].conv.batch_norm.running_var.dtype == torch.bfloat16
    assert model.encoder.layers[0].conv.batch_norm.num_batches_tracked.dtype == torch.int64
    # the only float32 tensors made are the rotary frequencies (head_dim / 2 = 16 values), never a weight
    assert watch.float32_numels and max(watch.float32_numels) <= 16
    # everything allocated during the load, counted once per storage, is about one model in bf16
    # (the old path built float32 modules, read the file and cast: about 4x)
    assert sum(watch.storages.values()) <= 1.3 * _model_bytes(model)
    assert not any(t.is_meta for t in [*model.parameters(), *model.buffers()])


def test_float16_file_to_bfloat16_model_converts_tensor_by_tensor() -> None:
    """The fixture is stored as float16: each tensor is converted on its own, never through float32 modules."""
    with AllocationWatch() as watch:
        model = load_nar(FIXTURE, dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert max(watch.float32_numels) <= 16
    assert sum(watch.storages.values()) <= 2.3 * _model_bytes(model)  # the float16 read plus the bf16 copy


def test_loaded_bf16_model_runs_and_matches_float32_shapes(bf16_folder: Path) -> None:
    import numpy as np

    model = load_nar(bf16_folder, dtype=torch.bfloat16)
    reference = load_nar(FIXTURE)
    wave = (np.sin(np.arange(16000) / 7.0) * 0.1).astype(np.float32)
    a, b = model.run([wave], keep_details=True)[0], reference.run([wave], keep_details=True)[0]
    assert a.logits[0].shape[1] == b.logits[0].shape[1] == 96
    assert a.audio_embeds is not None and b.audio_embeds is not None
    assert a.audio_embeds.shape == b.audio_embeds.shape
    assert float((a.audio_embeds - b.audio_embeds).abs().max()) < 0.1 * float(b.audio_embeds.abs().max())


def test_out_of_memory_while_loading_is_one_sentence(tmp_path: Path) -> None:
    """A model in the Hugging Face cache that does not fit: the sentence names it, its size, and what to do."""
    snapshot = tmp_path / "models--ibm-granite--granite-speech-4.1-2b-nar" / "snapshots" / ("9" * 40)
    shutil.copytree(FIXTURE, snapshot)
    full = _model_bytes(load_nar(FIXTURE, dtype=torch.bfloat16))
    with pytest.raises(ModelError) as caught, SmallDevice(budget=full // 2):
        load_nar(snapshot, dtype=torch.bfloat16)
    text = str(caught.value)
    assert "granite-speech-4.1-2b-nar" in text and "bfloat16" in text
    assert f"about {full / 1e9:.1f} GB" in text
    assert text.count(". ") == 0 and text.endswith(".") and "\n" not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no half-loaded tensors kept alive


def test_cuda_out_of_memory_sentence_says_what_to_do(tmp_path: Path) -> None:
    model = load_nar(FIXTURE, dtype=torch.bfloat16)
    tensors = dict(model.state_dict())
    text = out_of_memory_message(tmp_path / "granite-speech-4.1-2b-nar", torch.device("cuda", 0), torch.bfloat16,
                                 tensors)
    assert text.startswith("There is not enough GPU memory on cuda:0 to load granite-speech-4.1-2b-nar")
    assert "--device cpu" in text and "close other programs that use the GPU" in text
