"""The BPE CTC head that granite-speech-4.1-2b ships beside its weights (`out_llm.safetensors`).

The head is one linear layer, encoder hidden size -> LLM vocabulary + 1: label 0 is the CTC blank and
label i is LLM token i - 1 (for the real model 1024 -> 100353; the `<|audio|>` token, the last id, has no
label). As in the Open ASR leaderboard's self-speculative decoding for 4.1-2b, it reads the encoder's
FINAL hidden states (the same tensor the projector reads), pooled over windows of 4 frames (80 ms) with
weights 1 - P(blank) of the encoder's own mid-layer character CTC (the `out` layer that feeds the
self-conditioning at layer num_layers // 2; a frame past the input weighs 0). Greedy CTC over the pooled
frames (argmax, merge repeats, drop blanks, label - 1) gives a draft in LLM token ids.

Used by `app.asr.granite.speculative` (drafts for the LLM to verify) and by forced alignment (`GraniteCtcAligner`,
which loads only the encoder and the head, not the 2B-parameter LLM).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.asr.models.head_file import HEAD_FILE
from app.core.errors import ModelError

POOL_WINDOW = 4  # encoder frames per CTC frame
BLANK_LABEL = 0
ALIGN_BLANK = -1  # the blank's id in token space, for `app.asr.align.forced` (no LLM token has it)
_ENCODER_HOP_S = 2 * 160 / 16_000  # two 10 ms mel hops per encoder frame
_SCORE_CHUNK = 256  # pooled frames per head matmul when scoring text tokens (about 100 MB of logits)
_ARGMAX_CHUNK = 4096  # pooled frames per head matmul when drafting (bounds the [N, 100353] logits)


def labels_to_tokens(labels: Sequence[int]) -> list[int]:
    """Greedy CTC on label ids: merge repeats, drop blanks, map label i to LLM token i - 1."""
    out: list[int] = []
    prev = None
    for lab in labels:
        lab = int(lab)
        if lab != prev and lab != BLANK_LABEL:
            out.append(lab - 1)
        prev = lab
    return out


class CtcHead:
    """The loaded head: `weight` [labels, hidden] and `bias` [labels] on the model's device and dtype."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        self.weight = weight
        self.bias = bias

    @property
    def labels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def hidden(self) -> int:
        return int(self.weight.shape[1])

    @property
    def frame_s(self) -> float:
        """Seconds per CTC frame (0.08)."""
        return _ENCODER_HOP_S * POOL_WINDOW

    def pool(self, hidden: torch.Tensor, p_blank: torch.Tensor | None) -> torch.Tensor:
        """[T, D] encoder states -> [ceil(T / 4), D], each window averaged with weights 1 - P(blank)."""
        t, d = hidden.shape
        windows = math.ceil(t / POOL_WINDOW)
        pad = windows * POOL_WINDOW - t
        weight = torch.ones(t, device=hidden.device) if p_blank is None else 1.0 - p_blank.float()
        weight = torch.nn.functional.pad(weight, (0, pad)).view(windows, POOL_WINDOW)
        weight = weight / (weight.sum(-1, keepdim=True) + 1e-8)
        x = torch.nn.functional.pad(hidden.float(), (0, 0, 0, pad)).view(windows, POOL_WINDOW, d)
        return (x * weight.unsqueeze(-1)).sum(1).to(self.weight.dtype)

    def logits(self, pooled: torch.Tensor) -> torch.Tensor:
        """[W, labels] logits of pooled frames."""
        return pooled.to(self.weight.dtype) @ self.weight.T + self.bias

    def log_probs(self, hidden: torch.Tensor, p_blank: torch.Tensor | None) -> torch.Tensor:
        """[W, labels] float32 log-posteriors of one input's encoder states."""
        return torch.log_softmax(self.logits(self.pool(hidden, p_blank)).float(), dim=-1)

    def token_log_probs(self, hidden: torch.Tensor, p_blank: torch.Tensor | None, tokens: Sequence[int]) -> np.ndarray:
        """[W, len(tokens)] log-posteriors of LLM token ids (ALIGN_BLANK for the blank), as float32 numpy."""
        labels = [BLANK_LABEL if t == ALIGN_BLANK else int(t) + 1 for t in tokens]
        if any(lab < 0 or lab >= self.labels for lab in labels):
            raise ModelError("The text holds tokens the model's CTC head cannot score.")
        pooled = self.pool(hidden, p_blank)
        index = torch.tensor(labels, device=pooled.device)
        parts = []
        for i in range(0, pooled.shape[0], _SCORE_CHUNK):  # bounds the [frames, 100353] logits of a window
            logits = self.logits(pooled[i : i + _SCORE_CHUNK]).float()
            parts.append((logits[:, index] - torch.logsumexp(logits, -1, keepdim=True)).cpu())
        if not parts:
            return np.zeros((0, len(labels)), dtype=np.float32)
        return torch.cat(parts).numpy()

    def draft_ids(self, states: Sequence[tuple[torch.Tensor, torch.Tensor | None]]) -> list[list[int]]:
        """Greedy CTC drafts (LLM token ids) for a batch of (encoder states [T, D], P(blank) [T])."""
        if not states:
            return []
        pooled = [self.pool(h, b) for h, b in states]
        flat = torch.cat(pooled)
        best = torch.cat(
            [self.logits(flat[i : i + _ARGMAX_CHUNK]).argmax(-1) for i in range(0, len(flat), _ARGMAX_CHUNK)]
        )
        labels = best.tolist()
        out, k = [], 0
        for p in pooled:
            out.append(labels_to_tokens(labels[k : k + p.shape[0]]))
            k += p.shape[0]
        return out


def load_ctc_head(folder: str | Path, encoder_hidden: int, vocab_size: int,
                  device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> CtcHead:
    """Read `out_llm.safetensors` (tensors `weight` [labels, hidden] and `bias` [labels]) from a model folder.

    Raises ModelError when the file is unreadable or its shapes do not fit the encoder and vocabulary.
    """
    from safetensors import safe_open

    path = Path(folder) / HEAD_FILE
    if not path.is_file():
        raise ModelError(f"{Path(folder)} has no CTC head ({HEAD_FILE}).")
    try:
        with safe_open(str(path), framework="pt") as handle:
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    except Exception:
        raise ModelError(f"The CTC head {path.name} in {Path(folder)} is corrupt or not a safetensors file.") from None
    tensors = {k.rsplit(".", 1)[-1]: v for k, v in tensors.items()}  # "out_llm.weight" is read as "weight"
    weight, bias = tensors.get("weight"), tensors.get("bias")
    bad = f"The CTC head {path.name} in {Path(folder)} does not fit the model"
    if weight is None or bias is None or len(tensors) != 2:
        raise ModelError(f"{bad}: it must hold exactly a weight and a bias.")
    if weight.dim() != 2 or bias.dim() != 1 or bias.shape[0] != weight.shape[0]:
        raise ModelError(f"{bad}: weight {tuple(weight.shape)} and bias {tuple(bias.shape)} are not one linear layer.")
    if weight.shape[1] != encoder_hidden:
        raise ModelError(f"{bad}: it reads {weight.shape[1]} features, the encoder gives {encoder_hidden}.")
    if not 2 <= weight.shape[0] <= vocab_size + 1:
        raise ModelError(f"{bad}: {weight.shape[0]} labels do not map into a vocabulary of {vocab_size} tokens.")
    if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
        raise ModelError(f"{bad}: it holds non-finite numbers.")
    return CtcHead(weight.to(device=device, dtype=dtype), bias.to(device=device, dtype=dtype))


@contextmanager
def capture_mid_blank(encoder: Any) -> Iterator[dict[str, torch.Tensor]]:
    """While open, every forward of a Granite Speech CTC encoder leaves P(blank) [B, T] of its mid-layer
    character CTC in the yielded dict under "blank" (the `out` layer runs once per forward, at the mid layer)."""
    box: dict[str, torch.Tensor] = {}

    def hook(_module: Any, _inputs: Any, output: torch.Tensor) -> None:
        box["blank"] = torch.softmax(output.float(), dim=-1)[..., BLANK_LABEL]

    handle = encoder.out.register_forward_hook(hook)
    try:
        yield box
    finally:
        handle.remove()


# ---- alignment: the encoder and the head alone ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _AlignConfig:
    blank_token_id: int = ALIGN_BLANK


class GraniteCtcAligner:
    """The 4.1-2b encoder with its BPE CTC head, as the CTC model `app.asr.align.forced.align_words` expects."""

    def __init__(self, encoder: Any, head: CtcHead, device: torch.device, dtype: torch.dtype) -> None:
        self.encoder = encoder
        self.head = head
        self.device = device
        self.dtype = dtype
        self.cfg = _AlignConfig()

    @property
    def frame_s(self) -> float:
        return self.head.frame_s

    @torch.inference_mode()
    def ctc_log_probs(self, waveform: np.ndarray, columns: Sequence[int] | None = None) -> np.ndarray:
        """[frames, len(columns)] log-posteriors; columns are LLM token ids, ALIGN_BLANK for the blank."""
        from app.asr.granite.features import log_mel_features

        cols = [ALIGN_BLANK] + list(range(self.head.labels - 1)) if columns is None else [int(c) for c in columns]
        if len(waveform) == 0:
            return np.zeros((0, len(cols)), dtype=np.float32)
        feats, frames = log_mel_features([np.asarray(waveform, dtype=np.float32)], device=self.device)
        with capture_mid_blank(self.encoder) as box:
            hidden = self.encoder(feats[:, : frames[0]].to(self.device, self.dtype), return_dict=True).last_hidden_state
        blank = box.get("blank")
        return self.head.token_log_probs(hidden[0], None if blank is None else blank[0], cols)


def load_granite_aligner(folder: str | Path, device: torch.device, dtype: torch.dtype) -> GraniteCtcAligner:
    """Load only the speech encoder (from the model's safetensors) and the CTC head of a 4.1-2b folder."""
    from safetensors import safe_open
    from transformers import GraniteSpeechConfig, GraniteSpeechEncoderConfig, PreTrainedConfig
    from transformers.models.granite_speech.modeling_granite_speech import GraniteSpeechCTCEncoder

    folder = Path(folder)
    try:
        config = GraniteSpeechConfig.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"The config.json in {folder} cannot be read ({str(exc).splitlines()[0][:200]}).") from None
    encoder_config, text_config = config.encoder_config, config.text_config
    if not isinstance(encoder_config, GraniteSpeechEncoderConfig) or not isinstance(text_config, PreTrainedConfig):
        raise ModelError(f"The config.json in {folder} is not a Granite Speech config.")
    head = load_ctc_head(folder, encoder_config.hidden_dim, text_config.vocab_size, device, dtype)
    encoder = GraniteSpeechCTCEncoder(encoder_config)
    state: dict[str, torch.Tensor] = {}
    for file in _weight_files(folder):
        with safe_open(str(file), framework="pt") as handle:
            for key in handle.keys():
                for prefix in ("encoder.", "model.encoder."):
                    if key.startswith(prefix):
                        state[key[len(prefix):]] = handle.get_tensor(key)
    try:
        encoder.load_state_dict(state, strict=True)
    except RuntimeError:
        raise ModelError(f"The speech encoder weights in {folder} are missing or do not fit its config.") from None
    # PreTrainedModel.to is wrapped with functools.wraps(nn.Module.to), whose stub loses the bound `self`
    placed = encoder.to(device=device, dtype=dtype)  # type: ignore[call-arg]
    return GraniteCtcAligner(placed.eval(), head, device, dtype)


def _weight_files(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            names = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, AttributeError):
            raise ModelError(f"The weight index in {folder} is not valid JSON.") from None
        return [folder / n for n in names]
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    raise ModelError(f"{folder} has no model weights (model.safetensors).")
