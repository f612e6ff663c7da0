"""The windowed Q-Former projector: encoder frames (50 Hz) to LLM embeddings (10 Hz).

Each concatenated encoder layer is layer-normalised on its own, projected and passed through GELU;
the time axis is cut into windows of 15 frames (zero-padded, and zero after each input's last valid
frame, so a batch gives what each input gives alone). A window's 3 queries are the learned queries
plus the mean of their 5-frame segment; its keys are the window frames plus learned positions.
Two layers of pre-LN cross-attention and MLP follow, then a final LayerNorm and a linear map.
The LayerNorms are identity-affine (the native layout stores none; the Hub layout's are loaded).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers.activations import ACT2FN

from app.asr.nar.config import ProjectorConfig


class CrossAttention(nn.Module):
    """Multi-head attention from the window queries to the window frames."""

    def __init__(self, cfg: ProjectorConfig):
        super().__init__()
        h = cfg.hidden_size
        self.num_heads = cfg.num_attention_heads
        self.head_dim = h // cfg.num_attention_heads
        self.q_proj = nn.Linear(h, h, bias=cfg.attention_bias)
        self.k_proj = nn.Linear(h, h, bias=cfg.attention_bias)
        self.v_proj = nn.Linear(h, h, bias=cfg.attention_bias)
        self.o_proj = nn.Linear(h, h, bias=cfg.attention_bias)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        n, q_len, _ = queries.shape
        k_len = keys.shape[1]
        q = self.q_proj(queries).view(n, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(keys).view(n, k_len, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(keys).view(n, k_len, self.num_heads, self.head_dim).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v)
        projected: torch.Tensor = self.o_proj(out.transpose(1, 2).reshape(n, q_len, -1))
        return projected


class QFormerMLP(nn.Module):
    def __init__(self, cfg: ProjectorConfig):
        super().__init__()
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.act = ACT2FN[cfg.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.fc2(self.act(self.fc1(x)))
        return y


class QFormerLayer(nn.Module):
    """Pre-LN cross-attention (no self-attention between queries) and pre-LN MLP, both residual."""

    def __init__(self, cfg: ProjectorConfig):
        super().__init__()
        self.attn_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.cross_attn = CrossAttention(cfg)
        self.mlp_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = QFormerMLP(cfg)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        queries = queries + self.cross_attn(self.attn_norm(queries), keys)
        out: torch.Tensor = queries + self.mlp(self.mlp_norm(queries))
        return out


class QFormer(nn.Module):
    def __init__(self, cfg: ProjectorConfig, out_dim: int):
        super().__init__()
        n_queries = cfg.window_size // cfg.downsample_rate
        self.queries = nn.Parameter(torch.zeros(1, n_queries, cfg.hidden_size))
        self.pos_emb = nn.Parameter(torch.zeros(1, cfg.window_size, cfg.hidden_size))
        self.layers = nn.ModuleList([QFormerLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.out_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.linear = nn.Linear(cfg.hidden_size, out_dim)


class NarProjector(nn.Module):
    """Projects the concatenated encoder layers to `audio tokens = valid_frames // downsample_rate`."""

    def __init__(self, cfg: ProjectorConfig, encoder_dim: int, num_chunks: int, out_dim: int):
        super().__init__()
        self.cfg = cfg
        self.encoder_dim = encoder_dim
        self.layer_norms = nn.ModuleList(
            [nn.LayerNorm(encoder_dim, eps=cfg.layer_norm_eps) for _ in range(num_chunks)]
        )
        self.proj = nn.Linear(encoder_dim * num_chunks, cfg.hidden_size)
        self.qformer = QFormer(cfg, out_dim)

    def forward(self, concat: torch.Tensor, lengths: list[int]) -> torch.Tensor:
        """[B, T, chunks*D] -> [B, ceil(T/window)*queries, out_dim] (valid rows: lengths // rate)."""
        cfg = self.cfg
        chunks = concat.split(self.encoder_dim, dim=-1)
        x = torch.cat([norm(c) for norm, c in zip(self.layer_norms, chunks, strict=True)], dim=-1)
        x = F.gelu(self.proj(x))
        b, t, h = x.shape
        mask = torch.arange(t, device=x.device).unsqueeze(0) < torch.tensor(lengths, device=x.device).unsqueeze(1)
        x = x * mask.unsqueeze(-1).to(x.dtype)
        win = cfg.window_size
        windows = math.ceil(t / win)
        x = F.pad(x, (0, 0, 0, windows * win - t)).reshape(b * windows, win, h)
        n_q = win // cfg.downsample_rate
        seg_means = x.reshape(b * windows, n_q, cfg.downsample_rate, h).mean(dim=2)
        qf = self.qformer
        queries = qf.queries.to(x.dtype) + seg_means
        keys = x + qf.pos_emb.to(x.dtype)
        for layer in qf.layers:
            queries = layer(queries, keys)
        out: torch.Tensor = qf.linear(qf.out_norm(queries))
        return out.reshape(b, windows * n_q, -1)
