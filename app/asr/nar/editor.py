"""The editor: transformers' Granite decoder layers run bidirectionally over a packed batch.

All samples of a batch are packed into one sequence `[audio_0, slots_0, audio_1, slots_1, ...]` with
position ids that restart at 0 for each sample. Attention is non-causal and never crosses samples:

- "sdpa" (always available): the block-diagonal, non-causal mask applied block by block. The packed
  sequence is gathered into a [samples, longest] batch whose key mask hides the padding, so memory grows
  with the sum of squared sample lengths rather than with the square of the packed length.
- "sdpa_dense": the same mask as one dense [N, N] block-diagonal boolean mask (small inputs and tests).
- "flash": flash-attn's `flash_attn_varlen_func` with `cu_seqlens` (CUDA, fp16/bf16, when installed).

The backend is chosen through a private entry in transformers' attention registry, so the Granite
attention module calls it with the packing passed down as a keyword argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import GraniteConfig
from transformers.modeling_utils import AttentionInterface
from transformers.models.granite.modeling_granite import GraniteDecoderLayer, GraniteRMSNorm, GraniteRotaryEmbedding

from app.asr.nar.config import TextConfig

ATTN_NAME = "verbatim_nar_packed"
BACKENDS = ("sdpa", "sdpa_dense", "flash")


@dataclass
class Packing:
    """Where each sample lies in the packed sequence, and which backend computes the attention."""

    lengths: list[int]
    backend: str = "sdpa"

    def __post_init__(self) -> None:
        self.starts = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        self.total = sum(self.lengths)
        self._cu: dict[str, torch.Tensor] = {}
        self._gather: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._dense: dict[str, torch.Tensor] = {}

    def position_ids(self, device: torch.device) -> torch.Tensor:
        return torch.cat([torch.arange(n, device=device) for n in self.lengths]).unsqueeze(0)

    def cu_seqlens(self, device: torch.device) -> torch.Tensor:
        key = str(device)
        if key not in self._cu:
            cu = [0]
            for n in self.lengths:
                cu.append(cu[-1] + n)
            self._cu[key] = torch.tensor(cu, dtype=torch.int32, device=device)
        return self._cu[key]

    def gather_index(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """([S, Lmax] indices into the packed sequence (clamped), [S, Lmax] validity)."""
        key = str(device)
        if key not in self._gather:
            longest = max(self.lengths)
            ar = torch.arange(longest, device=device).unsqueeze(0)
            starts = torch.tensor(self.starts, device=device).unsqueeze(1)
            lens = torch.tensor(self.lengths, device=device).unsqueeze(1)
            valid = ar < lens
            index = torch.where(valid, starts + ar, torch.zeros_like(ar))
            self._gather[key] = (index, valid)
        return self._gather[key]

    def dense_mask(self, device: torch.device) -> torch.Tensor:
        key = str(device)
        if key not in self._dense:
            seg = torch.repeat_interleave(torch.arange(len(self.lengths), device=device),
                                          torch.tensor(self.lengths, device=device))
            self._dense[key] = (seg.unsqueeze(0) == seg.unsqueeze(1)).view(1, 1, self.total, self.total)
        return self._dense[key]


def flash_available(device: torch.device | str) -> bool:
    """True when flash-attn is installed and `device` is CUDA."""
    if torch.device(device).type != "cuda":
        return False
    try:
        import flash_attn  # noqa: F401
    except ImportError:
        return False
    return True


def _repeat_kv(x: torch.Tensor, groups: int) -> torch.Tensor:
    return x if groups == 1 else x.repeat_interleave(groups, dim=1)


def packed_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     attention_mask: torch.Tensor | None, scaling: float, dropout: float = 0.0,
                     nar_packing: Packing | None = None, **_: object) -> tuple[torch.Tensor, None]:
    """Attention over a packed [1, heads, N, d] batch; returns [1, N, heads, d] like transformers' backends."""
    if nar_packing is None:
        raise RuntimeError("The NAR editor attention needs the packing of the batch.")
    groups = query.shape[1] // key.shape[1]
    backend = nar_packing.backend
    if backend == "flash":
        from flash_attn import flash_attn_varlen_func

        cu = nar_packing.cu_seqlens(query.device)
        longest = max(nar_packing.lengths)
        out = flash_attn_varlen_func(query[0].transpose(0, 1).contiguous(), key[0].transpose(0, 1).contiguous(),
                                     value[0].transpose(0, 1).contiguous(),
                                     cu, cu, longest, longest, softmax_scale=scaling, causal=False)
        return out.unsqueeze(0), None
    k = _repeat_kv(key, groups)
    v = _repeat_kv(value, groups)
    if backend == "sdpa_dense":
        out = F.scaled_dot_product_attention(query, k, v, attn_mask=nar_packing.dense_mask(query.device),
                                             scale=scaling, is_causal=False)
        return out.transpose(1, 2), None
    index, valid = nar_packing.gather_index(query.device)  # [S, L]
    s, length = index.shape

    def gather(x: torch.Tensor) -> torch.Tensor:  # [1, H, N, d] -> [S, H, L, d]
        return x[0][:, index.reshape(-1)].view(x.shape[1], s, length, x.shape[-1]).transpose(0, 1)

    out = F.scaled_dot_product_attention(gather(query), gather(k), gather(v),
                                         attn_mask=valid.view(s, 1, 1, length), scale=scaling, is_causal=False)
    flat = out.transpose(1, 2)[valid]  # [N, H, d] in packed order
    return flat.unsqueeze(0), None


AttentionInterface.register(ATTN_NAME, packed_attention)


def granite_config(cfg: TextConfig) -> GraniteConfig:
    """A transformers GraniteConfig for the decoder layers, routed to the packed attention."""
    gc = GraniteConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads,
        hidden_act=cfg.hidden_act,
        max_position_embeddings=cfg.max_position_embeddings,
        rms_norm_eps=cfg.rms_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta},
        attention_bias=cfg.attention_bias,
        mlp_bias=cfg.mlp_bias,
        embedding_multiplier=cfg.embedding_multiplier,
        residual_multiplier=cfg.residual_multiplier,
        attention_multiplier=cfg.attention_multiplier,
        logits_scaling=cfg.logits_scaling,
        pad_token_id=cfg.pad_token_id,
        tie_word_embeddings=True,
    )
    gc.head_dim = cfg.resolved_head_dim
    gc._attn_implementation = ATTN_NAME
    return gc


class NarEditor(nn.Module):
    """Granite LLM (embeddings, decoder layers, final RMSNorm, tied head) run without causality."""

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        gc = granite_config(cfg)
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        layers = [GraniteDecoderLayer(gc, i) for i in range(cfg.num_hidden_layers)]
        for layer in layers:
            layer.self_attn.is_causal = False
        self.layers = nn.ModuleList(layers)
        self.norm = GraniteRMSNorm(cfg.hidden_size, eps=cfg.rms_norm_eps)
        self.rotary_emb = GraniteRotaryEmbedding(gc)

    def forward(self, embeds: torch.Tensor, packing: Packing) -> torch.Tensor:
        """[1, N, hidden] packed input embeddings (before the embedding multiplier) -> final hidden states."""
        h = embeds * self.cfg.embedding_multiplier
        position_ids = packing.position_ids(h.device)
        pos = self.rotary_emb(h, position_ids=position_ids)
        for layer in self.layers:
            h = layer(h, attention_mask=None, position_ids=position_ids, position_embeddings=pos, nar_packing=packing)
        out: torch.Tensor = self.norm(h)
        return out

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Tied LM head, divided by `logits_scaling`."""
        return F.linear(hidden, self.embed_tokens.weight) / self.cfg.logits_scaling
