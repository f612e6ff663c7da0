"""The Granite language model's decoding passes on a CPU, without transformers' per-call machinery.

On a CPU a one-token step of the 40-layer 4.1-2b language model in int8 reads its weights in about 42 ms;
transformers' forward takes about 20 ms more (2-core EPYC), part of it mask building, output records,
decorators, ~600 module calls and ~3,000 small tensor operations per step (RMSNorm as six operations,
rotary embeddings as fourteen, residual scaling as two), each paying Python and dispatch costs that a GPU
hides. Measured side by side (steps interleaved, 400 cached positions, quiet machine) the lean passes
took 71.5 ms per token against 76.4 ms: the rest of the 20 ms is attention and the cache's memory traffic.
`LeanDecoder` runs the same layers (the same Linear modules, so int8, stacked projections and LoRA
adapters apply unchanged) with fewer operations:

- RMSNorm is one `rms_norm` call (in float32; the same sums as transformers' six operations);
- q and k are rotated together in three operations: `x * cos + swap_halves(x) * sin_signed`, where
  `sin_signed` is `sin` with its first half negated (transformers' `rotate_half` then multiply);
- residual scaling is an `add` with `alpha`;
- attention of one new token in float32 (int8 and fp32 language models) is two batched products per group of
  query heads (torch's fused attention is tiled for many queries and ran 1.7x slower for one on one core);
  a block of draft tokens, and bf16, use the fused attention;
  a mask is built only where a row has padding or holes, or the pass holds more than one new token;
- the cache is the transformers `DynamicCache` the prefill filled (an in-place cache was measured twice
  and gave nothing at 30 s pieces: appending ~500 positions costs little next to reading the weights).

Only decoding passes run here; the prefill (prompt and audio embeddings) stays in transformers. In float32
the results match transformers' to rounding (hidden states within 1e-5, the same greedy ids). In bf16 they
are as close to float32 as transformers' own bf16, but where two tokens nearly tie, the rounding difference
can pick the other one. In int8 a rounding difference can move an activation across a quantisation step,
and the loop drops finished rows from the batch where `generate` keeps them (int8's activation scale is per
batch): the ids can differ from `generate`'s as they differ between batch sizes.

It is used on the CPU only (`for_model` says where it applies): on a GPU the kernels of transformers'
attention implementations matter and Python's time is hidden behind the device's.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

_LAYER = "GraniteDecoderLayer"
_NORM = "GraniteRMSNorm"


class LeanDecoder:
    """Decoding passes of one Granite language model (`GraniteModel`) with a transformers `DynamicCache`."""

    def __init__(self, language_model: Any, audio_token_id: int | None = None) -> None:
        config = language_model.config
        self.model = language_model
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(config.num_key_value_heads)
        self.hidden = int(config.hidden_size)
        self.audio_token_id = audio_token_id
        self.passes = 0

    @classmethod
    def for_model(cls, speech_model: Any, device: torch.device) -> LeanDecoder | None:
        """A LeanDecoder for a GraniteSpeech model's language model where it applies (a CPU, Granite layers
        with the usual norms and rotary embeddings, SDPA attention); else None."""
        if device.type != "cpu":
            return None
        lm = getattr(getattr(speech_model, "model", None), "language_model", None)
        config = getattr(lm, "config", None)
        if lm is None or config is None or getattr(config, "model_type", None) != "granite":
            return None
        if getattr(config, "_attn_implementation", "sdpa") != "sdpa":  # its kernels are what the lean passes use
            return None
        rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
        if rope.get("rope_type", rope.get("type", "default")) not in ("default", None):
            return None  # other rotary types compute cos/sin that the swap-halves form still serves, but untested
        layers = list(lm.layers)
        if not layers or any(type(layer).__name__ != _LAYER for layer in layers):
            return None
        norms = [lm.norm] + [n for layer in layers for n in (layer.input_layernorm, layer.post_attention_layernorm)]
        if any(type(n).__name__ != _NORM for n in norms):
            return None
        audio = getattr(getattr(speech_model, "config", None), "audio_token_id", None)
        return cls(lm, None if audio is None else int(audio))

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, cache: Any,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states [B, W, D] (after the final norm) of W new tokens per row, appended to `cache`.

        `position_ids` [B, W] are the tokens' positions; `valid` [B, cached + W] marks the cache entries
        (old and new) each row may attend to (None: all of them); a new token also sees only the entries
        before it in the cache (causal).
        """
        ids = input_ids
        if self.audio_token_id is not None:  # as GraniteSpeech does: an audio placeholder embeds as token 0
            ids = ids.masked_fill(ids == self.audio_token_id, 0)
        lm = self.model  # modules and multipliers read from the model itself, as its own forward does
        x = lm.embed_tokens(ids) * lm.embedding_multiplier
        batch, width, _ = x.shape
        cos, sin = lm.rotary_emb(x, position_ids)  # [B, W, head_dim]
        head_dim = cos.shape[-1]
        half = head_dim // 2
        cos = cos.unsqueeze(2)
        sin_signed = torch.cat((-sin[..., :half], sin[..., half:]), dim=-1).unsqueeze(2)
        past = cache.get_seq_length() if len(cache.layers) else 0
        mask = self._mask(valid, batch, width, past, x.device)
        rotated = self.heads + self.kv_heads
        for index, layer in enumerate(lm.layers[: lm.config.num_hidden_layers]):
            attn, mlp, residual = layer.self_attn, layer.mlp, layer.residual_multiplier
            h = self._norm(layer.input_layernorm, x)
            q = attn.q_proj(h).view(batch, width, self.heads, head_dim)
            k = attn.k_proj(h).view(batch, width, self.kv_heads, head_dim)
            v = attn.v_proj(h).view(batch, width, self.kv_heads, head_dim)
            qk = torch.cat((q, k), dim=2)
            swapped = qk.view(batch, width, rotated, 2, half).flip(3).view(batch, width, rotated, head_dim)
            qk = qk * cos + swapped * sin_signed
            q = qk[:, :, : self.heads].transpose(1, 2)
            keys, values = cache.layers[index].update(qk[:, :, self.heads :].transpose(1, 2), v.transpose(1, 2))
            if width == 1 and q.dtype == torch.float32:  # (bf16 keeps the fused kernel's float accumulation)
                out = self._one_query_attention(q, keys, values, mask, attn.scaling)
            else:
                out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=attn.scaling,
                                                     enable_gqa=True)
            x = torch.add(x, attn.o_proj(out.transpose(1, 2).reshape(batch, width, -1)), alpha=residual)
            h = self._norm(layer.post_attention_layernorm, x)
            x = torch.add(x, mlp.down_proj(mlp.act_fn(mlp.gate_proj(h)) * mlp.up_proj(h)), alpha=residual)
        self.passes += 1
        normed: torch.Tensor = lm.norm(x)  # a module call: hooks on the norm see every pass
        return normed

    def _one_query_attention(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                             mask: torch.Tensor | None, scale: float) -> torch.Tensor:
        """Attention of one new token per row [B, H, 1, D] as two batched products over each key/value
        head's group of query heads. torch's fused CPU attention is tiled for many queries: for one it ran
        at 172 us per layer with 440 cached positions on one core, these products at 103 us."""
        batch, _, _, dim = q.shape
        length = keys.shape[-2]
        group = self.heads // self.kv_heads
        heads = batch * self.kv_heads
        scores = torch.baddbmm(q.new_empty(heads, group, length), q.reshape(heads, group, dim),
                               keys.reshape(heads, length, dim).transpose(1, 2), beta=0.0, alpha=scale)
        if mask is not None:
            scores = scores.view(batch, self.kv_heads, group, length).masked_fill_(~mask, float("-inf"))
            scores = scores.view(heads, group, length)
        out = torch.bmm(torch.softmax(scores, dim=-1), values.reshape(heads, length, dim))
        return out.view(batch, self.heads, 1, dim)

    def _norm(self, norm: Any, x: torch.Tensor) -> torch.Tensor:
        """transformers' GraniteRMSNorm: normalised in float32, back to the input's dtype, times the weight."""
        weight = norm.weight
        if x.dtype == torch.float32 and weight.dtype == torch.float32:
            return F.rms_norm(x, (self.hidden,), weight, norm.variance_epsilon)
        out: torch.Tensor = weight * F.rms_norm(x.float(), (self.hidden,), None, norm.variance_epsilon).to(x.dtype)
        return out

    @staticmethod
    def _mask(valid: torch.Tensor | None, batch: int, width: int, past: int,
              device: torch.device) -> torch.Tensor | None:
        """The boolean attention mask [B, 1, W, past + W], or None where every entry is visible."""
        if width == 1 and (valid is None or bool(valid.all())):
            return None
        total = past + width
        causal = torch.arange(total, device=device).view(1, total) <= (past + torch.arange(width, device=device)).view(
            width, 1)
        if valid is None:
            return causal.view(1, 1, width, total).expand(batch, 1, width, total)
        if valid.shape != (batch, total):
            raise ValueError(f"valid must be [{batch}, {total}], got {list(valid.shape)}")
        return valid.bool().reshape(batch, 1, 1, total) & causal.view(1, 1, width, total)
