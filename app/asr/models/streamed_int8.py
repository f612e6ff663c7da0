"""Loading an AR model for the CPU with its language-model layers quantized to int8 as they are read.

Read whole, the full-size 4.1-2b sits in memory in bf16 (4.6 GB of weights) before anything is converted, and
that is the peak of the whole load. Here transformers loads everything but the language model's decoder layers
(the speech encoder, projector, embeddings, final norm and output layer, through its own loader and key
mapping): it is given a config without decoder layers and the weights without theirs. Then each decoder
layer is built, filled with its weights (read from the file by `pread`), converted with the same
`app.asr.models.precision.convert(layer, "int8")` the whole-model path applies to it, and appended, so at most
one layer is in bf16 or fp32 at a time. The numbers are those of loading whole and converting: the same
weights go through the same conversion, layer by layer in both cases.

Checkpoints name a decoder layer's weights `...language_model.layers.<i>.<name>` (this app's and transformers'
layout) or `language_model.model.layers.<i>.<name>` (the original Hub layout); `<name>` is the layer's own
parameter name in both.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import torch

from app.core.errors import ModelError

_LAYER_KEY = re.compile(r"(?:^|\.)language_model\.(?:model\.)?layers\.(\d+)\.(.+)$")


def layer_keys(keys: list[str], layers: int, folder: Path) -> list[dict[str, str]]:
    """For each decoder layer, {its parameter name: checkpoint key}; a ModelError when a layer's index is out of
    range (a checkpoint for a deeper model)."""
    out: list[dict[str, str]] = [{} for _ in range(layers)]
    for key in keys:
        m = _LAYER_KEY.search(key)
        if m is None:
            continue
        index = int(m.group(1))
        if index >= layers:
            raise ModelError(f"The weights in {folder} do not fit the model (a language-model layer {index} "
                             f"beyond its {layers}).")
        out[index][m.group(2)] = key
    return out


def split_off_layers(weights: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(everything but the language model's decoder layers, the decoder layers' weights)."""
    rest = {k: v for k, v in weights.items() if _LAYER_KEY.search(k) is None}
    return rest, {k: v for k, v in weights.items() if k not in rest}


def without_decoder_layers(config: Any) -> tuple[Any, int]:
    """A copy of `config` whose language model has no decoder layers, and the number it had."""
    light = copy.deepcopy(config)
    layers = int(light.text_config.num_hidden_layers)
    light.text_config.num_hidden_layers = 0
    return light, layers


def add_int8_layers(model: Any, weights: dict[str, Any], layers: int, dtype: torch.dtype, folder: Path) -> None:
    """Build, fill, convert to int8 and append each of the language model's `layers` decoder layers."""
    from app.asr.models.fused_projections import stack_layer
    from app.asr.models.precision import convert
    from app.asr.models.quantize import release_freed_memory

    language_model = model.model.language_model
    text_config = model.config.text_config
    text_config.num_hidden_layers = layers
    language_model.config.num_hidden_layers = layers
    layer_class = _decoder_layer_class(language_model, text_config)
    for index, keys in enumerate(layer_keys(list(weights), layers, folder)):
        with torch.device("meta"):
            layer = layer_class(text_config, index)
        expected = set(layer.state_dict())
        if set(keys) != expected:
            missing = sorted(expected - set(keys)) or sorted(set(keys) - expected)
            raise ModelError(f"The weights in {folder} do not fit the model ({len(missing)} missing or misshapen, "
                             f"e.g. language-model layer {index}: {missing[0]}).")
        tensors = {name: weights[key][...].to(dtype) for name, key in keys.items()}
        layer.load_state_dict(tensors, strict=True, assign=True)
        del tensors
        if any(t.is_meta for t in [*layer.parameters(), *layer.buffers()]):
            raise ModelError(f"The language model in {folder} has layer state this loader does not know.")
        stack_layer(layer, lambda linear: convert(linear, "int8"))  # q/k/v and gate/up: one product each
        language_model.layers.append(convert(layer.eval(), "int8"))
        del layer
        release_freed_memory()


def _decoder_layer_class(language_model: Any, text_config: Any) -> Any:
    """The class of the language model's decoder layers, from a one-layer copy built on the meta device."""
    one = copy.deepcopy(text_config)
    one.num_hidden_layers = 1
    with torch.device("meta"):
        probe = type(language_model)(one)
    return type(probe.layers[0])
