"""int8 dynamic quantization of a model's Linear layers, in place, holding little more memory than its result.

`quantize_int8` converts one sub-module at a time: each is upcast to fp32 just before torch's `quantize_dynamic`
swaps its Linear layers for int8 ones (one scale per output channel, fp32 activations quantized per call), so
a bf16 model never sits in memory in fp32 as a whole. Three things would otherwise keep freed weights around:

- torch gives each Linear a `qconfig` whose observer factory closes over the layer itself and only removes it
  from the modules it keeps, so every swapped-out layer sits in a reference cycle with its weights until
  Python's cyclic garbage collector happens to run (gigabytes, for a 2B model). `_quantize_piece` breaks it.
- glibc keeps freed blocks of its heap; they are handed back after each piece (`release_freed_memory`).
- the embedding table would be upcast to fp32 (the language model computes in fp32): it stays in its dtype
  and widens its rows as it looks them up (`WideEmbedding`), the same numbers (bf16 -> fp32 is exact) in half
  the memory. Sub-modules with Linear layers go first, so they have shrunk before anything grows.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any

import torch

_PIECE = 20_000_000  # parameters upcast at once at most (about one language-model layer)


class WideEmbedding(torch.nn.Embedding):
    """An embedding table kept in its own dtype (bf16) whose rows come out in fp32, exactly as from an fp32 table."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return super().forward(input).float()


def quantize_int8(module: Any) -> Any:
    """`module` with its Linear layers in int8 and everything else computing in fp32; in place, except that a bare
    Linear comes back as a new module."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks eager quantization as deprecated; it still works
        if isinstance(module, torch.nn.Linear):
            # in place: quantize_dynamic would otherwise deep-copy the fp32 layer first (0.8 GB for the output layer)
            return _quantize_piece(torch.nn.Sequential(module.float()), quantize_dynamic)[0]
        _quantize_children(module, quantize_dynamic)
    return module


def _quantize_children(module: Any, quantize: Callable[..., Any]) -> None:
    children = sorted(module.named_children(), key=lambda item: not _has_linear(item[1]))  # shrink first
    for name, child in children:
        if isinstance(child, torch.nn.Linear):
            setattr(module, name, _quantize_piece(torch.nn.Sequential(child.float()), quantize)[0])
        elif isinstance(child, torch.nn.Embedding):
            if not isinstance(child, WideEmbedding):  # (converting twice changes nothing)
                setattr(module, name, _wide(child))
        elif sum(p.numel() for p in child.parameters()) > _PIECE and any(True for _ in child.children()):
            _quantize_children(child, quantize)
        else:
            _quantize_piece(child.float(), quantize)
    for key, param in list(module._parameters.items()):
        if param is not None and param.is_floating_point():
            module._parameters[key] = torch.nn.Parameter(param.detach().float(), requires_grad=False)
    for key, buf in list(module._buffers.items()):
        if buf is not None and buf.is_floating_point():
            module._buffers[key] = buf.float()


def _wide(table: torch.nn.Embedding) -> WideEmbedding:
    """`table` as a `WideEmbedding` sharing its weight (the same Parameter, so a tie to an output layer holds)."""
    wide = WideEmbedding(table.num_embeddings, table.embedding_dim, table.padding_idx, table.max_norm,
                         table.norm_type, table.scale_grad_by_freq, table.sparse, device="meta")
    wide.weight = table.weight
    wide.train(table.training)
    return wide


def _has_linear(module: Any) -> bool:
    return any(isinstance(m, torch.nn.Linear) for m in module.modules())


def _quantize_piece(piece: Any, quantize: Callable[..., Any]) -> Any:
    """`piece` (fp32) with its Linear layers swapped for int8 ones, in place, the fp32 layers freed right away."""
    from torch.ao.quantization import per_channel_dynamic_qconfig

    replaced = [m for m in piece.modules() if isinstance(m, torch.nn.Linear)]
    out = quantize(piece, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
    for layer in replaced:
        layer.__dict__.pop("qconfig", None)  # the cycle layer -> qconfig -> observer factory -> layer
    del replaced
    release_freed_memory()
    return out


def release_freed_memory() -> None:
    """Give the memory the C allocator holds freed back to the system (glibc only; elsewhere nothing to do)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
