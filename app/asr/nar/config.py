"""The NAR model's configuration, read from either weight layout's config.json.

Two layouts exist: the Hub checkpoint's remote-code config (`GraniteSpeechNarForASR`: `bpe_output_dim`,
`encoder_layer_indices`, `num_heads`, `block_size`, `min_edit_sequence_length`, ...) and the transformers
port's native config (`model_type` `granite_speech_nar`: `vocabulary_size`, `cat_hidden_layers`,
`num_attention_heads`, `window_size`, ...). Both become the same frozen `NarConfig`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import ModelError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """The Conformer encoder with its mid (character) CTC head and its BPE CTC head."""

    input_dim: int = 160
    num_layers: int = 16
    hidden_dim: int = 1024
    num_heads: int = 8
    dim_head: int = 128
    feedforward_mult: int = 4
    conv_kernel_size: int = 15
    conv_expansion_factor: int = 2
    context_size: int = 200
    max_pos_emb: int = 512
    output_dim: int = 348
    self_conditioning_layer: int = 8
    cat_hidden_layers: tuple[int, ...] = (4, 8, 12)
    pooling_window: int = 4
    vocabulary_size: int = 100353


@dataclass(frozen=True, slots=True)
class ProjectorConfig:
    """The windowed Q-Former that turns encoder frames into LLM embeddings (3 per 15 frames)."""

    hidden_size: int = 2048
    intermediate_size: int = 4096
    num_hidden_layers: int = 2
    num_attention_heads: int = 32
    hidden_act: str = "silu"
    window_size: int = 15
    downsample_rate: int = 5
    attention_bias: bool = True
    layer_norm_eps: float = 1e-6


@dataclass(frozen=True, slots=True)
class TextConfig:
    """The Granite LLM that edits the draft (run bidirectionally)."""

    vocab_size: int = 100352
    hidden_size: int = 2048
    intermediate_size: int = 4096
    num_hidden_layers: int = 40
    num_attention_heads: int = 16
    num_key_value_heads: int = 4
    head_dim: int | None = None
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096
    embedding_multiplier: float = 12.0
    residual_multiplier: float = 0.22
    attention_multiplier: float = 0.0078125
    logits_scaling: float = 8.0
    hidden_act: str = "silu"
    attention_bias: bool = False
    mlp_bias: bool = False
    pad_token_id: int | None = 100256

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads


@dataclass(frozen=True, slots=True)
class NarConfig:
    """Everything the NAR model needs; `layout` is "native" or "hub" (where the config came from)."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    projector: ProjectorConfig = field(default_factory=ProjectorConfig)
    text: TextConfig = field(default_factory=TextConfig)
    blank_token_id: int = 100257
    min_edit_sequence_length: int = 8  # the remote code pads the slots to at least this (the native config drops it)
    layout: str = "native"

    @property
    def projector_input_dim(self) -> int:
        return self.encoder.hidden_dim * (len(self.encoder.cat_hidden_layers) + 1)


def _pick(d: dict[str, Any], cls: type[DataclassInstance], renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The keys of `d` that `cls` knows (after renaming), as constructor arguments."""
    renames = renames or {}
    known = {f.name for f in fields(cls)}
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = renames.get(key, key)
        if name in known and value is not None:
            out[name] = tuple(value) if isinstance(value, list) else value
    return out


def is_hub_layout(raw: dict[str, Any]) -> bool:
    """True for the Hub checkpoint's remote-code config, False for the transformers-native one."""
    if raw.get("model_type") == "granite_speech_nar" and "vocabulary_size" in raw.get("encoder_config", {}):
        return False
    enc = raw.get("encoder_config", {})
    return "bpe_output_dim" in enc or "encoder_layer_indices" in raw or "GraniteSpeechNarForASR" in (
        raw.get("architectures") or []
    )


def config_from_dict(raw: dict[str, Any]) -> NarConfig:
    """Read either layout's config dict into a `NarConfig`."""
    hub = is_hub_layout(raw)
    enc_raw = dict(raw.get("encoder_config") or {})
    proj_raw = dict(raw.get("projector_config") or {})
    text_raw = dict(raw.get("text_config") or {})
    if not enc_raw or not proj_raw or not text_raw:
        raise ModelError("The model's config.json is not a Granite Speech NAR configuration.")

    enc_renames = {"bpe_output_dim": "vocabulary_size", "bpe_pooling_window": "pooling_window"}
    enc_args = _pick(enc_raw, EncoderConfig, enc_renames)
    if hub:
        indices = [int(i) for i in raw.get("encoder_layer_indices", [4, 8, 12, -1])]
        enc_args["cat_hidden_layers"] = tuple(i for i in indices if i != -1)
    enc_args.setdefault("self_conditioning_layer", int(enc_args.get("num_layers", 16)) // 2)
    encoder = EncoderConfig(**enc_args)

    proj_args = _pick(
        proj_raw,
        ProjectorConfig,
        {
            "num_heads": "num_attention_heads",
            "num_layers": "num_hidden_layers",
            "block_size": "window_size",
            "layernorm_eps": "layer_norm_eps",
            "attn_bias": "attention_bias",
        },
    )
    if "mlp_ratio" in proj_raw and "intermediate_size" not in proj_raw:
        proj_args["intermediate_size"] = int(proj_raw.get("hidden_size", 2048) * proj_raw["mlp_ratio"])
    if hub and "downsample_rate" in raw and "downsample_rate" not in proj_raw:
        proj_args["downsample_rate"] = raw["downsample_rate"]
    projector = ProjectorConfig(**proj_args)

    text_args = _pick(text_raw, TextConfig)
    rope = text_raw.get("rope_parameters") or {}
    if "rope_theta" in rope:
        text_args["rope_theta"] = float(rope["rope_theta"])
    text = TextConfig(**text_args)

    blank: Any = raw.get("blank_token_id")
    if blank is None:
        blank = enc_raw.get("blank_token_id", text_raw.get("eos_token_id", 100257))
    min_len = raw.get("min_edit_sequence_length") if hub else None
    min_slots = int(min_len) if min_len is not None else 8
    return NarConfig(encoder, projector, text, int(blank), min_slots, "hub" if hub else "native")


def load_config(folder: Path) -> NarConfig:
    """Read `folder/config.json`; ModelError when it is missing or not a NAR config."""
    path = Path(folder) / "config.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"The model folder {folder} has no config.json.") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"The model's config.json cannot be read ({exc}).") from None
    return config_from_dict(raw)
