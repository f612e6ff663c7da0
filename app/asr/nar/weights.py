"""Reading NAR weights in either layout: the Hub checkpoint's remote-code names or transformers' native ones.

Native names are `model.encoder.*`, `model.out_bpe.*`, `model.projector.*`, `model.language_model.*`
and an optional tied `lm_head.weight`. The Hub names are renamed by the same ordered rules as the
upstream conversion (see tests/data/granite_nar_tiny/README.md). The Hub layout's projector LayerNorm
weights, which the native layout drops as identity, are loaded into the projector's LayerNorms, so they
are applied whatever they hold. Each tensor goes straight from the file to the target device in the
compute dtype (the model is built on the meta device), so loading never holds a float32 copy of a bf16 model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from app.asr.nar.config import NarConfig, is_hub_layout, load_config
from app.core.errors import ModelError

HUB_RULES: tuple[tuple[str, str], ...] = (
    (r"^language_model\.model", "model.language_model"),
    (r"^language_model\.lm_head", "lm_head"),
    (r"^encoder\.out_bpe", "model.out_bpe"),
    (r"^encoder", "model.encoder"),
    (r"^projector\.layer_projector", "model.projector.proj"),
    (r"^projector\.out_linear", "model.projector.qformer.linear"),
    (r"^projector\.query", "model.projector.qformer.queries"),
    (r"^projector\.window_positions", "model.projector.qformer.pos_emb"),
    (r"^projector", "model.projector"),
    (r"qformer\.layers\.(\d+)\.cross_attention", r"qformer.layers.\1.cross_attn"),
)
_HUB_NORM = re.compile(r"\.(layer_norms\.\d+|out_norm|attn_norm|mlp_norm)\.")


def hub_to_native(name: str) -> str:
    """The native name of a Hub-layout tensor (rules applied in order, each to the result of the last)."""
    for pattern, repl in HUB_RULES:
        name = re.sub(pattern, repl, name)
    return name


def _norm_target(hub_name: str) -> str | None:
    """Where one of the Hub projector's LayerNorm tensors goes in this implementation."""
    suffix = hub_name.rsplit(".", 1)[-1]
    if suffix not in ("weight", "bias"):
        return None
    m = re.search(r"layer_norms\.(\d+)\.", hub_name)
    if m:
        return f"projector.layer_norms.{m.group(1)}.{suffix}"
    if ".out_norm." in hub_name:
        return f"projector.qformer.out_norm.{suffix}"
    m = re.search(r"layers\.(\d+)\.(attn_norm|mlp_norm)\.", hub_name)
    if m:
        return f"projector.qformer.layers.{m.group(1)}.{m.group(2)}.{suffix}"
    return None


def _shards(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.exists():
        names = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        return [folder / n for n in names]
    single = folder / "model.safetensors"
    if single.exists():
        return [single]
    found = sorted(folder.glob("*.safetensors"))
    found = [p for p in found if p.name != "out_llm.safetensors"]
    if not found:
        raise ModelError(f"The model folder {folder} holds no safetensors weights.")
    return found


def _target_name(key: str, hub: bool) -> str:
    """Where a checkpoint tensor goes in this implementation ("lm_head.weight" for the tied head)."""
    if hub and key.startswith("projector.") and _HUB_NORM.search(key):
        target = _norm_target(key)
        if target is None:
            raise ModelError(f"The checkpoint has an unexpected projector norm tensor {key}.")
        return target
    name = hub_to_native(key) if hub else key
    if name == "lm_head.weight":
        return name
    if not name.startswith("model."):
        raise ModelError(f"The checkpoint has a tensor this NAR model does not know: {key}.")
    return name[len("model."):]


def index_checkpoint(folder: Path, hub: bool) -> dict[str, tuple[Path, str]]:
    """Target name -> (shard, stored key) for every tensor of the folder, without reading any tensor data."""
    index: dict[str, tuple[Path, str]] = {}
    for shard in _shards(folder):
        with safe_open(str(shard), framework="pt") as f:
            for key in f.keys():
                index[_target_name(key, hub)] = (shard, key)
    return index


def load_weights(folder: Path, device: torch.device, dtype: torch.dtype | None, attention: str,
                 model_class: Callable[[NarConfig], Any]) -> Any:
    """Build `model_class(config)` (a NarModel, passed in so that this module need not import the model's
    module, which imports this one) from `folder` with its weights (strictly: nothing missing, nothing unknown).

    The modules are built on the meta device and each tensor is read and placed on `device` in `dtype`
    one at a time, so the peak is the model in its target dtype plus one tensor (never a float32 copy
    of the whole model). Running out of device memory gives one ModelError sentence.
    """
    if not folder.is_dir():
        raise ModelError(f"The NAR model folder {folder} does not exist.")
    raw = json.loads((folder / "config.json").read_text(encoding="utf-8")) if (folder / "config.json").exists() else {}
    cfg = load_config(folder)
    index = index_checkpoint(folder, is_hub_layout(raw))
    lm_head = index.pop("lm_head.weight", None)
    with torch.device("meta"):
        model = model_class(cfg)
    expected = model.state_dict()
    optional = {k for k in expected if k.startswith("projector.") and _OPTIONAL_NORM.search(k)}
    missing = [k for k in expected if k not in index and k not in optional]
    unknown = [k for k in index if k not in expected]
    if missing or unknown:
        detail = f"missing {missing[:3]}" if missing else f"unknown {unknown[:3]}"
        raise ModelError(f"The weights in {folder} do not fit the NAR model ({detail}).")
    if lm_head is not None and not _same_tensor(lm_head, index["language_model.embed_tokens.weight"]):
        raise ModelError("The checkpoint's lm_head is not tied to its embeddings, which this NAR model requires.")
    dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
    out_of_memory = False
    try:
        state = _materialise(expected, index, device, dtype)
        model.load_state_dict(state, strict=True, assign=True)
        del state
        _restore_buffers(model, device)
    except torch.OutOfMemoryError:
        out_of_memory = True  # raised below, once this frame's half-loaded tensors are released
    if out_of_memory:
        del model
        if device.type == "cuda" and torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise ModelError(out_of_memory_message(folder, device, dtype, expected))
    model.requires_grad_(False)
    model.eval()
    model.set_attention_backend(attention)
    return model


_OPTIONAL_NORM = re.compile(r"(layer_norms\.\d+|out_norm|attn_norm|mlp_norm)\.")


def _same_tensor(a: tuple[Path, str], b: tuple[Path, str]) -> bool:
    with safe_open(str(a[0]), framework="pt") as fa, safe_open(str(b[0]), framework="pt") as fb:
        return torch.equal(fa.get_tensor(a[1]), fb.get_tensor(b[1]))


def _materialise(expected: dict[str, torch.Tensor], index: dict[str, tuple[Path, str]], device: torch.device,
                 dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Every tensor of the model on `device`, floating ones in `dtype`, read one at a time from the shards."""
    state: dict[str, torch.Tensor] = {}
    by_shard: dict[Path, list[tuple[str, str]]] = {}
    for name, (shard, key) in index.items():
        by_shard.setdefault(shard, []).append((name, key))
    for shard, entries in by_shard.items():
        with safe_open(str(shard), framework="pt") as f:
            for name, key in entries:
                want = dtype if expected[name].is_floating_point() else expected[name].dtype
                state[name] = f.get_tensor(key).to(device=device, dtype=want)
    for name, meta in expected.items():
        if name not in state:  # identity LayerNorms where the layout stores none
            fill = torch.ones if name.endswith("weight") else torch.zeros
            state[name] = fill(meta.shape, device=device, dtype=dtype)
    return state


def _model_name(folder: Path) -> str:
    """The model's name: the Hub repository for a Hugging Face cache snapshot, else the folder's name."""
    if folder.parent.name == "snapshots" and "--" in folder.parent.parent.name:
        return folder.parent.parent.name.rsplit("--", 1)[-1]
    return folder.name


def out_of_memory_message(folder: Path, device: torch.device, dtype: torch.dtype,
                          tensors: dict[str, torch.Tensor]) -> str:
    """One sentence: which model did not fit, how much memory it needs, how much was free, what to do."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    need = sum(t.numel() * (itemsize if t.is_floating_point() else t.element_size()) for t in tensors.values())
    free = ""
    if device.type == "cuda" and torch.cuda.is_available():
        try:
            free = f", and {torch.cuda.mem_get_info(device)[0] / 1e9:.1f} GB is free"
        except RuntimeError:
            free = ""
    where = "GPU memory" if device.type in ("cuda", "mps") else "memory"
    advice = ("close other programs that use the GPU or transcribe on the CPU (--device cpu, slower)"
              if device.type != "cpu" else "close other programs or use a machine with more memory")
    dtype_name = str(dtype).removeprefix("torch.")
    return (f"There is not enough {where} on {device} to load {_model_name(folder)}: it needs about "
            f"{need / 1e9:.1f} GB in {dtype_name}{free}; {advice}.")


def _restore_buffers(model: torch.nn.Module, device: torch.device | None = None) -> None:
    """Create on `device` (default: the parameters' device) the non-persistent buffers a meta build left empty."""
    from app.asr.nar.editor import NarEditor
    from app.asr.nar.encoder import BlockAttention

    device = device or next(model.parameters()).device

    for m in model.modules():
        if isinstance(m, BlockAttention):
            c, p = m.context_size, m.max_pos_emb
            pos = torch.arange(c, device=device)
            m.register_buffer("dists", (pos.view(-1, 1) - pos.view(1, -1)).clamp(-c, c) + p, persistent=False)
        if isinstance(m, NarEditor):
            rot = m.rotary_emb
            inv_freq, _ = rot.compute_default_rope_parameters(rot.config)  # float32 by design, whatever the model's
            inv_freq = inv_freq.to(device)
            rot.register_buffer("inv_freq", inv_freq, persistent=False)
            rot.register_buffer("original_inv_freq", inv_freq.clone(), persistent=False)
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise RuntimeError(f"NAR loading left tensors without data: {left[:3]}")
