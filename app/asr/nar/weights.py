"""Reading NAR weights in either layout: the Hub checkpoint's remote-code names or transformers' native ones.

Native names are `model.encoder.*`, `model.out_bpe.*`, `model.projector.*`, `model.language_model.*`
and an optional tied `lm_head.weight`. The Hub names are renamed by the same ordered rules as the
upstream conversion (see tests/data/granite_nar_tiny/README.md). The Hub layout's projector LayerNorm
weights, which the native layout drops as identity, are loaded into the projector's LayerNorms, so they
are applied whatever they hold. Tensors are upcast from their stored dtype to the compute dtype.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

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


def read_state_dict(folder: Path, hub: bool) -> dict[str, torch.Tensor]:
    """All tensors of the folder, named as this implementation's modules name them."""
    state: dict[str, torch.Tensor] = {}
    for shard in _shards(folder):
        with safe_open(str(shard), framework="pt") as f:
            for key in f.keys():
                tensor = f.get_tensor(key)
                if hub and key.startswith("projector.") and _HUB_NORM.search(key):
                    target = _norm_target(key)
                    if target is None:
                        raise ModelError(f"The checkpoint has an unexpected projector norm tensor {key}.")
                    state[target] = tensor
                    continue
                name = hub_to_native(key) if hub else key
                if name == "lm_head.weight":
                    state["lm_head.weight"] = tensor
                    continue
                if not name.startswith("model."):
                    raise ModelError(f"The checkpoint has a tensor this NAR model does not know: {key}.")
                state[name[len("model."):]] = tensor
    return state


def load_weights(folder: Path, device: torch.device, dtype: torch.dtype | None, attention: str,
                 model_class: Callable[[NarConfig], Any]) -> Any:
    """Build `model_class(config)` (a NarModel; passed in so that this module need not import the model's
    module, which imports this one) from `folder` and load its weights (strictly: nothing missing, nothing unknown)."""
    if not folder.is_dir():
        raise ModelError(f"The NAR model folder {folder} does not exist.")
    raw = json.loads((folder / "config.json").read_text(encoding="utf-8")) if (folder / "config.json").exists() else {}
    cfg = load_config(folder)
    state = read_state_dict(folder, is_hub_layout(raw))
    lm_head = state.pop("lm_head.weight", None)
    with torch.device("meta"):
        model = model_class(cfg)
    expected = model.state_dict()
    optional = {k for k in expected if re.search(r"(layer_norms\.\d+|out_norm|attn_norm|mlp_norm)\.", k)
                and k.startswith("projector.")}
    missing = [k for k in expected if k not in state and k not in optional]
    unknown = [k for k in state if k not in expected]
    if missing or unknown:
        detail = f"missing {missing[:3]}" if missing else f"unknown {unknown[:3]}"
        raise ModelError(f"The weights in {folder} do not fit the NAR model ({detail}).")
    if lm_head is not None and not torch.equal(lm_head, state["language_model.embed_tokens.weight"]):
        raise ModelError("The checkpoint's lm_head is not tied to its embeddings, which this NAR model requires.")
    dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
    model = model.to_empty(device=device)
    for key, value in expected.items():
        if key in state:
            continue
        # identity LayerNorms where the layout stores none
        state[key] = torch.ones_like(value, device="cpu") if key.endswith("weight") else torch.zeros_like(value, device="cpu")
    model.load_state_dict(state, strict=True)
    model = model.to(dtype=dtype)
    _restore_buffers(model)
    model.requires_grad_(False)
    model.eval()
    model.set_attention_backend(attention)
    return model


def _restore_buffers(model: torch.nn.Module) -> None:
    """Recompute the non-persistent buffers that `to_empty` left uninitialised."""
    from app.asr.nar.encoder import BlockAttention
    from app.asr.nar.editor import NarEditor

    for m in model.modules():
        if isinstance(m, BlockAttention):
            c, p = m.context_size, m.max_pos_emb
            pos = torch.arange(c, device=m.dists.device)
            m.dists.copy_((pos.view(-1, 1) - pos.view(1, -1)).clamp(-c, c) + p)
        if isinstance(m, NarEditor):
            rot = m.rotary_emb
            inv_freq, _ = rot.compute_default_rope_parameters(rot.config)  # float32, whatever the model dtype
            rot.inv_freq = inv_freq.to(rot.inv_freq.device)
            rot.original_inv_freq = inv_freq.clone().to(rot.inv_freq.device)
