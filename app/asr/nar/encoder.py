"""The NAR Conformer encoder: block attention with Shaw relative positions, self-conditioned mid CTC,
hidden-layer concatenation for the projector, and the blank-weighted pooled BPE CTC head.

Unlike the reference, padding is masked, so each input of a batch gives what it gives alone:
attention blocks only see their sample's valid frames, and the depthwise convolution sees zeros after
the last valid frame (exactly what it sees when the input runs alone). Everything else is per frame.
(`isolate=False` leaves the padding unmasked, which reproduces the reference's batches.)

As in IBM's remote code: the layer at `self_conditioning_layer` is handed to the projector AFTER its
self-conditioning add `h += out_mid(softmax(out(h)))`; that softmax, the blank probabilities and the
blank-weighted BPE pooling run in float32 whatever the model's dtype (in bf16, 1 - 0.999 rounds to 0 and
a quiet window would pool to nothing). The feed-forward modules are transformers' Granite Speech ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.models.granite_speech.configuration_granite_speech import GraniteSpeechEncoderConfig
from transformers.models.granite_speech.modeling_granite_speech import GraniteSpeechConformerFeedForward

from app.asr.nar.config import EncoderConfig


@dataclass
class EncoderOutput:
    """What the rest of the model needs from the encoder (all padded to the batch's longest input)."""

    concat_hidden: torch.Tensor  # [B, T, hidden * (len(cat_hidden_layers) + 1)]
    pooled: torch.Tensor  # [B, ceil(T / pooling_window), hidden] float32: the BPE CTC head's input
    lengths: list[int]  # valid encoder frames per input
    bpe_lengths: list[int]  # valid BPE windows per input


def valid_mask(lengths: list[int], total: int, device: torch.device) -> torch.Tensor:
    """[B, total] bool, True on each input's valid frames."""
    lens = torch.tensor(lengths, device=device)
    return torch.arange(total, device=device).unsqueeze(0) < lens.unsqueeze(1)


class BlockAttention(nn.Module):
    """Self-attention inside blocks of `context_size` frames, with Shaw relative position logits."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        inner = cfg.dim_head * cfg.num_heads
        self.num_heads = cfg.num_heads
        self.dim_head = cfg.dim_head
        self.context_size = cfg.context_size
        self.max_pos_emb = cfg.max_pos_emb
        self.pre_norm = nn.LayerNorm(cfg.hidden_dim)
        self.to_q = nn.Linear(cfg.hidden_dim, inner, bias=False)
        self.to_kv = nn.Linear(cfg.hidden_dim, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, cfg.hidden_dim)
        self.rel_pos_emb = nn.Embedding(2 * cfg.max_pos_emb + 1, cfg.dim_head)
        pos = torch.arange(cfg.context_size)
        dists = (pos.view(-1, 1) - pos.view(1, -1)).clamp(-cfg.context_size, cfg.context_size) + cfg.max_pos_emb
        self.register_buffer("dists", dists, persistent=False)

    def forward(self, x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        c = self.context_size
        blocks = math.ceil(t / c)
        x = F.pad(self.pre_norm(x), (0, 0, 0, blocks * c - t))
        q = self.to_q(x)
        k, v = self.to_kv(x).chunk(2, dim=-1)

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.reshape(b * blocks, c, self.num_heads, self.dim_head).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        scale = self.dim_head**-0.5
        rel = self.rel_pos_emb(self.dists).to(q.dtype)  # [c, c, d]
        bias = torch.einsum("bhcd,crd->bhcr", q, rel) * scale
        keys_ok = F.pad(frame_mask, (0, blocks * c - t)).reshape(b * blocks, 1, 1, c)
        bias = bias.masked_fill(~keys_ok, -torch.finfo(bias.dtype).max)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=scale)
        out = out.transpose(1, 2).reshape(b, blocks * c, -1)[:, :t]
        projected: torch.Tensor = self.to_out(out)
        return projected


class DepthwiseConv(nn.Module):
    """Depthwise 1-D convolution with 'same' zero padding (named like the checkpoint: `.conv`)."""

    def __init__(self, channels: int, kernel: int):
        super().__init__()
        pad = kernel // 2
        self.padding = (pad, pad - (kernel + 1) % 2)
        self.conv = nn.Conv1d(channels, channels, kernel, groups=channels, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.conv(F.pad(x, self.padding))
        return y


class ConvModule(nn.Module):
    """LayerNorm, 1x1 conv, GLU, masked depthwise conv, BatchNorm (eval), SiLU, 1x1 conv."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        inner = cfg.hidden_dim * cfg.conv_expansion_factor
        self.norm = nn.LayerNorm(cfg.hidden_dim)
        self.up_conv = nn.Conv1d(cfg.hidden_dim, inner * 2, 1)
        self.depth_conv = DepthwiseConv(inner, cfg.conv_kernel_size)
        self.batch_norm = nn.BatchNorm1d(inner)
        self.down_conv = nn.Conv1d(inner, cfg.hidden_dim, 1)

    def forward(self, x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        y = F.glu(self.up_conv(self.norm(x).transpose(1, 2)), dim=1)
        y = y * frame_mask.unsqueeze(1).to(y.dtype)  # what follows the valid frames is zeros, as alone
        y = F.silu(self.batch_norm(self.depth_conv(y)))
        out: torch.Tensor = self.down_conv(y)
        return out.transpose(1, 2)


class ConformerBlock(nn.Module):
    """Macaron Conformer block: 1/2 FF, attention, conv, 1/2 FF, LayerNorm."""

    def __init__(self, cfg: EncoderConfig, hf_cfg: GraniteSpeechEncoderConfig):
        super().__init__()
        self.ff1 = GraniteSpeechConformerFeedForward(hf_cfg)
        self.attn = BlockAttention(cfg)
        self.conv = ConvModule(cfg)
        self.ff2 = GraniteSpeechConformerFeedForward(hf_cfg)
        self.post_norm = nn.LayerNorm(cfg.hidden_dim)

    def forward(self, x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        x = 0.5 * self.ff1(x) + x
        x = self.attn(x, frame_mask) + x
        x = self.conv(x, frame_mask) + x
        x = 0.5 * self.ff2(x) + x
        out: torch.Tensor = self.post_norm(x)
        return out


class NarEncoder(nn.Module):
    """Conformer stack with self-conditioning; returns concatenated hidden layers and the pooled states.

    The BPE head (`out_bpe`) lives on the model in the native layout; the model applies it per input,
    so a batch never holds [batch, windows, 100k] logits at once.
    """

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        hf_cfg = GraniteSpeechEncoderConfig(
            input_dim=cfg.input_dim,
            num_layers=cfg.num_layers,
            hidden_dim=cfg.hidden_dim,
            feedforward_mult=cfg.feedforward_mult,
            num_heads=cfg.num_heads,
            dim_head=cfg.dim_head,
            output_dim=cfg.output_dim,
            context_size=cfg.context_size,
            max_pos_emb=cfg.max_pos_emb,
            dropout=0.0,
            conv_kernel_size=cfg.conv_kernel_size,
            conv_expansion_factor=cfg.conv_expansion_factor,
        )
        self.input_linear = nn.Linear(cfg.input_dim, cfg.hidden_dim)
        self.layers = nn.ModuleList([ConformerBlock(cfg, hf_cfg) for _ in range(cfg.num_layers)])
        self.out = nn.Linear(cfg.hidden_dim, cfg.output_dim)
        self.out_mid = nn.Linear(cfg.output_dim, cfg.hidden_dim)

    def forward(self, features: torch.Tensor, lengths: list[int], isolate: bool = True) -> EncoderOutput:
        """Encode a padded batch; `lengths` are the valid frames of each input.

        `isolate=False` lets padding reach the valid frames, as in the reference's batches.
        """
        cfg = self.cfg
        mask = valid_mask(lengths if isolate else [features.shape[1]] * len(lengths), features.shape[1],
                          features.device)
        x = self.input_linear(features)
        kept: list[torch.Tensor] = []
        p_blank = None
        for idx, layer in enumerate(self.layers, start=1):
            x = layer(x, mask)
            if idx == cfg.self_conditioning_layer:
                x, p_blank = self._self_condition(x)
            if idx in cfg.cat_hidden_layers:  # after the self-conditioning add, as the weights were trained
                kept.append(x)
        concat = torch.cat(kept + [x], dim=-1)
        if p_blank is None:
            p_blank = torch.zeros(x.shape[:2], dtype=torch.float32, device=x.device)
        pooled = self._pool(x, p_blank, mask)
        w = cfg.pooling_window
        return EncoderOutput(concat, pooled, list(lengths), [math.ceil(n / w) for n in lengths])

    def _self_condition(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(x + out_mid(softmax(out(x))), float32 blank probabilities), the softmax and add in float32."""
        probs = torch.softmax(self.out(x).float(), dim=-1)
        mid = F.linear(probs, self.out_mid.weight.float(), self.out_mid.bias.float())
        return (x.float() + mid).to(x.dtype), probs[..., 0]

    def _pool(self, x: torch.Tensor, p_blank: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Float32 average of each window of frames weighted by (1 - p_blank); frames past the input weigh 0."""
        w = self.cfg.pooling_window
        b, t, d = x.shape
        windows = math.ceil(t / w)
        keep = mask.to(torch.float32)
        weight = (1.0 - p_blank.float()) * keep
        xw = F.pad(x.float() * keep.unsqueeze(-1), (0, 0, 0, windows * w - t)).reshape(b, windows, w, d)
        weight = F.pad(weight, (0, windows * w - t)).reshape(b, windows, w)
        weight = weight / weight.sum(-1, keepdim=True).clamp(min=1e-8)
        return (xw * weight.unsqueeze(-1)).sum(dim=2)
