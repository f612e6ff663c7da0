"""One encoder pass for a batch of pieces of different lengths, each giving what it gives alone.

transformers' Granite Speech encoder (4.1-2b, 4.1-2b-plus, 4.0-1b) has no padding mask: run over a
right-padded batch, a short piece's last attention block and its depthwise convolutions see the
padding, and its output changes. This module runs the same modules (the model's own layers and
weights, so LoRA adapters and quantized layers apply) with the padding masked where it could leak:

- block attention: blocks of `context_size` frames start at frame 0 of every piece, as alone; keys
  past a piece's end are masked with the same value transformers uses for the short last block of a
  piece alone;
- the depthwise convolution: frames past a piece's end are zeroed before it, which is exactly the
  zero padding the convolution gets at the end of a piece alone;
- the edges: after every layer the padded frames are reset to zero, so nothing there can grow into
  inf or NaN (a NaN times a zero attention weight would still be NaN), and the projector, which pads
  each piece to whole windows of 15 frames with zeros, finds those zeros in the batch as well.

Everything else (feed-forward, layer and batch norms in eval mode, the mid-layer CTC feedback, the
Q-Former windows) works frame by frame or window by window. Valid frames therefore match a solo run
up to float rounding of different matrix shapes (the tests hold token ids equal and states within
1e-5). Frames past a piece's end hold zeros, and projector outputs past a piece's audio tokens are
not used (the feature mask drops them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F


def encode_padded(
    model: Any, features: torch.Tensor, frames: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(encoder states [B, T, D], projected audio embeddings [B, tokens of the longest piece, hidden]).

    `model` is a Granite Speech (or Plus) ForConditionalGeneration, `features` [B, T, 160] right-padded
    in the encoder's dtype, `frames` the valid frames of each piece.
    """
    inner = model.model
    encoder = inner.encoder
    width = features.shape[1]
    lengths = torch.tensor(list(frames), device=features.device)
    valid = torch.arange(width, device=features.device).view(1, -1) < lengths.view(-1, 1)  # [B, T]
    keep = valid.unsqueeze(-1)
    cat_layers = set(getattr(encoder.config, "cat_hidden_layers", None) or [])
    exported: list[torch.Tensor] = []
    hidden = encoder.input_linear(features).masked_fill(~keep, 0.0)
    if 0 in cat_layers:
        exported.append(hidden)
    for idx, layer in enumerate(encoder.layers, start=1):
        hidden = _block(layer, hidden, valid, encoder.attention_dists)
        if idx == encoder.num_layers // 2:
            mid = encoder.out(hidden.clone())
            hidden = hidden + encoder.out_mid(torch.softmax(mid, dim=-1))
        hidden = hidden.masked_fill(~keep, 0.0)
        # transformers exports the layer's tensor and then adds the mid-layer feedback to it in place,
        # so an exported mid layer carries the feedback: exporting after the add is the same
        if idx in cat_layers:
            exported.append(hidden)
    if exported:
        hidden = torch.cat([*exported, hidden], dim=-1)
    return hidden, inner.projector(hidden)


def _block(layer: Any, hidden: torch.Tensor, valid: torch.Tensor, dists: torch.Tensor) -> torch.Tensor:
    hidden = 0.5 * layer.ff1(hidden) + hidden
    hidden = _attention(layer.attn, hidden, valid, dists) + hidden
    hidden = _conv(layer.conv, hidden, valid) + hidden
    hidden = 0.5 * layer.ff2(hidden) + hidden
    out: torch.Tensor = layer.post_norm(hidden)
    return out


def _attention(attn: Any, hidden: torch.Tensor, valid: torch.Tensor, dists: torch.Tensor) -> torch.Tensor:
    """transformers' block attention with Shaw relative positions, keys past each piece's end masked."""
    x = attn.pre_norm(hidden)
    bsz, width, _ = x.shape
    size = attn.context_size
    blocks = math.ceil(width / size)
    extra = blocks * size - width
    if extra:
        x = F.pad(x, (0, 0, 0, extra))
    query = attn.to_q(x)
    key, value = attn.to_kv(x).chunk(2, dim=-1)
    flat = bsz * blocks
    query = query.reshape(flat, size, attn.num_heads, -1).transpose(1, 2)
    key = key.reshape(flat, size, attn.num_heads, -1).transpose(1, 2)
    value = value.reshape(flat, size, attn.num_heads, -1).transpose(1, 2)
    rel = attn.rel_pos_emb(dists)
    pos = torch.einsum("b h c d, c r d -> b h c r", query, rel) * attn.scale
    key_valid = F.pad(valid, (0, extra), value=False).reshape(flat, 1, 1, size)
    pos = pos.masked_fill(~key_valid, -torch.finfo(pos.dtype).max)
    with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=pos, scale=attn.scale)
    out = out.transpose(1, 2).reshape(bsz, blocks * size, -1)
    result: torch.Tensor = attn.dropout(attn.to_out(out[:, :width, :]))
    return result


def _conv(conv: Any, hidden: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The conformer conv module with each piece's padding zeroed before the depthwise convolution."""
    x = conv.norm(hidden)
    x = conv.glu(conv.up_conv(x.permute(0, 2, 1)))
    x = x.masked_fill(~valid.unsqueeze(1), 0.0)
    x = conv.silu(conv.batch_norm(conv.depth_conv(x)))
    result: torch.Tensor = conv.dropout(conv.down_conv(x).permute(0, 2, 1))
    return result
