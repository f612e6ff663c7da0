"""The Granite Speech NAR model: encoder -> CTC draft -> projector -> one bidirectional edit pass.

`load_nar(folder, device)` reads either weight layout; `NarModel.decode_ids(waveforms)` gives each
input's token ids, exactly what that input gives alone whatever else is in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from app.asr.nar.config import NarConfig
from app.asr.nar.editor import BACKENDS, NarEditor, Packing, flash_available
from app.asr.nar.encoder import EncoderOutput, NarEncoder
from app.asr.nar.features import HOP_LENGTH, SAMPLE_RATE, batch_features, encoder_frames
from app.asr.nar.projector import NarProjector


def ctc_collapse(ids: Sequence[int], blank: int) -> list[int]:
    """Greedy CTC: merge consecutive repeats, then drop blanks."""
    out: list[int] = []
    prev: int | None = None
    for i in ids:
        i = int(i)
        if i != prev and i != blank:
            out.append(i)
        prev = i
    return out


def insertion_slots(tokens: Sequence[int], blank: int, min_length: int | None = None) -> list[int]:
    """`[b, t1, b, t2, ..., tn, b]`, padded at the end with blanks to `min_length` (the model uses 8)."""
    slots = [blank]
    for t in tokens:
        slots += [int(t), blank]
    if min_length and len(slots) < min_length:
        slots += [blank] * (min_length - len(slots))
    return slots


@dataclass
class NarResult:
    """One input's outputs.

    `ctc_log_probs` [frames, len(ctc_columns)] are the encoder's BPE CTC log-posteriors (one row per
    `frame_s` seconds) for the blank and the tokens of the draft and the result only: column k is token
    `ctc_columns[k]`, enough to align the result without holding a 100k-wide matrix.
    """

    ids: list[int]
    draft: list[int]
    ctc_log_probs: np.ndarray
    ctc_columns: list[int]
    frame_s: float
    steps: list[list[int]] = field(default_factory=list)  # the prediction after each editing step
    logits: list[torch.Tensor] = field(default_factory=list)  # slot logits per step (with keep_details)
    audio_embeds: torch.Tensor | None = None  # projector output / embedding_multiplier (with keep_details)


class NarModel(nn.Module):
    """Encoder, BPE CTC head, projector and editor, with the weights named as in the native layout."""

    def __init__(self, cfg: NarConfig):
        super().__init__()
        self.cfg = cfg
        self.precision_plan: Any = None  # the app.asr.models.precision plan it was loaded in (set by the catalog)
        enc = cfg.encoder
        self.encoder = NarEncoder(enc)
        self.out_bpe = nn.Linear(enc.hidden_dim, enc.vocabulary_size)
        chunks = len(enc.cat_hidden_layers) + 1
        self.projector = NarProjector(cfg.projector, enc.hidden_dim, chunks, cfg.text.hidden_size)
        self.language_model = NarEditor(cfg.text)
        self.attention_backend = "sdpa"
        self.num_editing_steps = 1

    @property
    def device(self) -> torch.device:
        return self.out_bpe.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.out_bpe.weight.dtype

    @property
    def frame_s(self) -> float:
        """Seconds per BPE CTC frame: 2 mel hops per encoder frame, `pooling_window` frames per window."""
        return 2 * HOP_LENGTH * self.cfg.encoder.pooling_window / SAMPLE_RATE

    def set_attention_backend(self, backend: str) -> None:
        """"sdpa", "sdpa_dense", "flash" or "auto" (flash where installed on CUDA, else sdpa)."""
        if backend == "auto":
            backend = "flash" if flash_available(self.device) and self.dtype != torch.float32 else "sdpa"
        if backend not in BACKENDS:
            raise ValueError(f"Unknown attention backend {backend!r}; use one of {BACKENDS}.")
        if backend == "flash" and not flash_available(self.device):
            raise ValueError("flash-attn is not installed or the model is not on CUDA.")
        self.attention_backend = backend

    # -- stages ---------------------------------------------------------------------------------

    def encode(self, waveforms: Sequence[np.ndarray], isolate: bool = True) -> EncoderOutput:
        """Encode a batch; `isolate=False` lets padding leak into each input as in the reference's batches."""
        feats, lengths = batch_features(list(waveforms), self.device, isolate)
        encoded: EncoderOutput = self.encoder(feats.to(self.dtype), lengths, isolate)
        return encoded

    def project(self, enc: EncoderOutput, isolate: bool = True) -> list[torch.Tensor]:
        """Per input: [valid // downsample_rate, hidden] audio embeddings (divided by the multiplier)."""
        frames = enc.lengths if isolate else [enc.concat_hidden.shape[1]] * len(enc.lengths)
        out = self.projector(enc.concat_hidden, frames) / self.cfg.text.embedding_multiplier
        rate = self.cfg.projector.downsample_rate
        return [out[i, : n // rate] for i, n in enumerate(enc.lengths)]

    def edit(self, audio: list[torch.Tensor], hyps: list[list[int]]) -> list[torch.Tensor]:
        """One editing pass over the packed batch; per input the [slots, vocab] logits."""
        cfg = self.cfg
        lm = self.language_model
        slots = [insertion_slots(h, cfg.blank_token_id, cfg.min_edit_sequence_length) for h in hyps]
        slot_ids = torch.tensor([t for s in slots for t in s], device=self.device)
        slot_embeds = lm.embed_tokens(slot_ids).split([len(s) for s in slots])
        pieces: list[torch.Tensor] = []
        for a, e in zip(audio, slot_embeds, strict=True):
            pieces += [a.to(e.dtype), e]
        packing = Packing([a.shape[0] + len(s) for a, s in zip(audio, slots, strict=True)], self.attention_backend)
        hidden = lm(torch.cat(pieces).unsqueeze(0), packing)[0]
        rows = torch.cat([
            torch.arange(st + a.shape[0], st + a.shape[0] + len(s), device=self.device)
            for st, a, s in zip(packing.starts, audio, slots, strict=True)
        ])
        logits = lm.logits(hidden[rows])
        return list(logits.split([len(s) for s in slots]))

    # -- whole runs -------------------------------------------------------------------------------

    def bpe_logits(self, enc: EncoderOutput, index: int) -> torch.Tensor:
        """[valid windows, vocabulary] BPE CTC logits of one input (pooled in float32, head in the model's dtype)."""
        logits: torch.Tensor = self.out_bpe(enc.pooled[index, : enc.bpe_lengths[index]].to(self.dtype))
        return logits

    def _ctc_columns(self, enc: EncoderOutput, index: int, lse: torch.Tensor, columns: list[int]) -> np.ndarray:
        """Log-posteriors of only `columns`, from the pooled states and the full log-normaliser `lse`."""
        cols = torch.tensor(columns, device=self.device)
        w, b = self.out_bpe.weight[cols], self.out_bpe.bias[cols]
        logits = enc.pooled[index, : enc.bpe_lengths[index]].to(w.dtype) @ w.T + b
        return (logits.float() - lse.unsqueeze(-1)).cpu().numpy()

    @torch.inference_mode()
    def run(self, waveforms: Sequence[np.ndarray], num_editing_steps: int | None = None,
            keep_details: bool = False, isolate: bool = True) -> list[NarResult]:
        """Transcribe a batch; inputs shorter than one encoder frame (20 ms) give empty results.

        Each input gives exactly what it gives alone. `isolate=False` reproduces the reference
        implementation's batches instead, where zero padding reaches the shorter inputs.
        """
        steps = max(1, num_editing_steps or self.num_editing_steps)
        blank = self.cfg.blank_token_id
        results: dict[int, NarResult] = {}
        live = [i for i, w in enumerate(waveforms) if encoder_frames(len(w)) > 0]
        for i in range(len(waveforms)):
            if i not in live:
                results[i] = NarResult([], [], np.zeros((0, 1), np.float32), [blank], self.frame_s)
        if not live:
            return [results[i] for i in range(len(waveforms))]
        enc = self.encode([np.asarray(waveforms[i], dtype=np.float32) for i in live], isolate)
        argmaxes, lses = [], []
        for j in range(len(live)):
            logits = self.bpe_logits(enc, j)
            argmaxes.append(logits.argmax(-1))
            lses.append(torch.logsumexp(logits.float(), dim=-1))
        flat = torch.cat(argmaxes).tolist()
        drafts, k = [], 0
        for n in enc.bpe_lengths:
            drafts.append(ctc_collapse(flat[k : k + n], blank))
            k += n
        audio = self.project(enc, isolate)
        hyps = drafts
        history: list[list[list[int]]] = [[] for _ in live]
        logit_history: list[list[torch.Tensor]] = [[] for _ in live]
        for _ in range(steps):
            logits_list = self.edit(audio, hyps)
            sizes = [lg.shape[0] for lg in logits_list]
            flat = torch.cat([lg.argmax(-1) for lg in logits_list]).tolist()
            hyps, k = [], 0
            for j, n in enumerate(sizes):
                hyps.append(ctc_collapse(flat[k : k + n], blank))
                k += n
                history[j].append(hyps[j])
                if keep_details:
                    logit_history[j].append(logits_list[j].float().cpu())
        for j, i in enumerate(live):
            columns = [blank] + sorted(set(hyps[j]) | set(drafts[j]))
            results[i] = NarResult(
                hyps[j], drafts[j], self._ctc_columns(enc, j, lses[j], columns), columns, self.frame_s,
                history[j], logit_history[j], audio[j].float().cpu() if keep_details else None,
            )
        return [results[i] for i in range(len(waveforms))]

    def decode_ids(self, waveforms: Sequence[np.ndarray]) -> list[list[int]]:
        """Each input's transcript token ids (16 kHz mono float32 waveforms, any lengths)."""
        return [r.ids for r in self.run(waveforms)]

    @torch.inference_mode()
    def ctc_log_probs(self, waveform: np.ndarray, columns: Sequence[int] | None = None) -> np.ndarray:
        """[frames, len(columns)] BPE CTC log-posteriors of one waveform (all columns when None)."""
        cols = list(range(self.cfg.encoder.vocabulary_size)) if columns is None else [int(c) for c in columns]
        if encoder_frames(len(waveform)) == 0:
            return np.zeros((0, len(cols)), dtype=np.float32)
        enc = self.encode([np.asarray(waveform, dtype=np.float32)])
        lse = torch.logsumexp(self.bpe_logits(enc, 0).float(), dim=-1)
        return self._ctc_columns(enc, 0, lse, cols)


def load_nar(path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
             attention: str = "auto") -> NarModel:
    """Load a NAR model folder (Hub remote-code or transformers-native layout) onto `device`.

    float32 on CPU, bfloat16 on CUDA unless `dtype` says otherwise; flash-attn where installed on CUDA.
    """
    from app.asr.nar.weights import load_weights

    return load_weights(Path(path), torch.device(device), dtype, attention, NarModel)  # type: ignore[no-any-return]
