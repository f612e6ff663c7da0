"""A key/value cache that appends in place: the language model's decoding without a copy of the cache per token.

transformers' `DynamicLayer` appends a token's keys and values with `torch.cat`, which copies the layer's whole
cache every step: for the 40-layer 4.1-2b on a CPU, with ~400 positions (30 s of audio and the prompt), that
was about 10 ms of a 65 ms int8 decoding step (a sixth of it), and it grows with every token. `GrowingLayer`
keeps each layer's keys and values in a buffer with room to spare (it grows by half when full, so the copies
cost O(n) in all instead of O(n) per token) and hands attention a view of the filled part. The values are the
same tensors `torch.cat` would make, so decoding gives the same ids.

Cropping (self-speculative decoding drops rejected draft positions) and the batch reshuffles transformers
does on `keys`/`values` directly stay correct: the next append notices that `keys` is no longer the view of
its buffer and adopts the new tensors.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

_GROWTH = 1.5
_MIN_ROOM = 64  # positions of spare room at least (a few seconds of decoding)


class GrowingLayer(DynamicLayer):
    """A `DynamicLayer` whose keys and values are views of a buffer with room to append."""

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        super().lazy_initialization(key_states, value_states)
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        keys, values = self.keys, self.values
        assert keys is not None and values is not None  # set by lazy_initialization
        length = keys.shape[-2] if keys.numel() else 0
        end = length + key_states.shape[-2]
        if not self._holds_view(keys, key_states, end):
            self._regrow(keys, values, key_states, value_states, end)
        assert self._key_buffer is not None and self._value_buffer is not None
        self._key_buffer[..., length:end, :].copy_(key_states)
        self._value_buffer[..., length:end, :].copy_(value_states)
        self.keys = self._key_buffer[..., :end, :]
        self.values = self._value_buffer[..., :end, :]
        return self.keys, self.values

    def _holds_view(self, keys: torch.Tensor, key_states: torch.Tensor, end: int) -> bool:
        """Whether `keys` is still the front of the buffer and the buffer has room for `end` positions."""
        buffer = self._key_buffer
        if buffer is None or end > buffer.shape[-2] or buffer.shape[:-2] != key_states.shape[:-2]:
            return False
        if buffer.dtype != key_states.dtype or buffer.device != key_states.device:
            return False
        return keys.numel() == 0 or keys.data_ptr() == buffer.data_ptr()

    def _regrow(self, keys: torch.Tensor, values: torch.Tensor, key_states: torch.Tensor,
                value_states: torch.Tensor, end: int) -> None:
        """A new buffer with room for `end` positions and more, holding the current `keys` and `values`."""
        room = max(int(end * _GROWTH), end + _MIN_ROOM)
        key_buffer = key_states.new_empty((*key_states.shape[:-2], room, key_states.shape[-1]))
        value_buffer = value_states.new_empty((*value_states.shape[:-2], room, value_states.shape[-1]))
        length = keys.shape[-2] if keys.numel() else 0
        if length:
            key_buffer[..., :length, :].copy_(keys)
            value_buffer[..., :length, :].copy_(values)
        self._key_buffer, self._value_buffer = key_buffer, value_buffer


class GrowingCache(DynamicCache):
    """A `DynamicCache` of `GrowingLayer`s, one made per language-model layer as decoding reaches it."""

    def __init__(self) -> None:
        Cache.__init__(self, layer_class_to_replicate=GrowingLayer)
