"""Greedy self-speculative decoding: a draft transcript (the CTC head's, or any token ids) verified by the LLM.

After the usual prefill (prompt + audio embeddings), every round feeds each row its last LLM token plus
the next draft tokens in ONE forward pass with the KV cache. The LLM's greedy choice at each position is
compared with the draft: the longest agreeing prefix is accepted, and the LLM's own token at the first
disagreement (or after the last draft token) is taken as well, so each pass yields 1 + accepted tokens.
Every token emitted is the LLM's own argmax given the tokens before it, so the output is the one plain
greedy decoding gives (up to floating-point ties: a multi-token pass does its sums in another order than a
one-token step, which on a GPU in bf16 can flip a near-tie; in float32 on the CPU it does not in our tests).

Batching: rows accept different numbers of tokens. Each row keeps its own position ids; rejected draft
tokens and padding stay in the cache as holes that the 2-D attention mask hides, trailing holes are
cropped, and the cache is compacted (each row's valid entries gathered, left-padded) when holes pile up.
Finished rows are dropped from the batch.

Never slower than plain decoding (`DraftBudget`): a pass verifying k draft tokens costs more than a
one-token step (on a CPU about 10% of a step per token: a 90%-right draft verified 128 at a time ran at
0.71x), so each batch tracks how often the LLM accepts the draft and the cost of its passes, and sizes the
next proposal to what pays best; below break-even it stops drafting and decodes one token per pass (the
plain greedy step) for the rest of the batch. Drafts are capped per pass by device (`default_max_draft`).

After a disagreement the draft is re-synchronised (`DraftCursor`): what the LLM said since leaving the
draft is compared, lowercased with only letters and digits kept, with the draft text ahead, so that a
punctuation insertion, a casing change, a different split into tokens, a substituted, missing or extra
word all lead back onto the draft. A row whose draft is exhausted or lost decodes one token per pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from app.asr.granite.lean_decoder import LeanDecoder

Normalizer = Callable[[int], str]  # token id -> its text, lowercased, letters and digits only

MAX_DRAFT = 128  # draft tokens verified per row and pass at most on a GPU (a 30 s piece is ~100 tokens)
CPU_MAX_DRAFT = 32  # on a CPU a pass costs in proportion to its length: past ~32 the gain falls (see DraftBudget)
# extra cost of one more verified token, as a fraction of a one-token step (CPU: from 0.71x at 128 tokens, 90% right)
COST_PER_TOKEN = {"cpu": 0.1, "cuda": 0.005, "mps": 0.02}
MIN_EVIDENCE = 8  # judged draft tokens (accepted, plus one per rejection) before a batch may stop drafting
MIN_DRAFT = 8  # a rejection halves the row's next proposal size, down to this
_KEYS = (16, 8, 4)  # lengths (chars) of the end of what the LLM said, looked for in the draft text ahead
_LOOKAHEAD = 4  # draft tokens ahead (beyond the tokens said) searched for the LLM's last token
_SLACK = 24  # chars of draft text looked at beyond what the LLM said since leaving it
_LOGIT_CHUNK = 2048  # positions per lm_head matmul
COMPACT_MIN_HOLES = 32  # compact the KV cache when every row wastes at least this many entries ...
COMPACT_FRACTION = 4  # ... and at least 1/COMPACT_FRACTION of the cache


@dataclass
class SpeculativeStats:
    """What one batch cost: LLM forward passes (prefill included) and how the draft fared."""

    forwards: int = 0
    drafted: int = 0  # draft tokens fed for verification
    accepted: int = 0  # of those, accepted
    emitted: int = 0  # tokens produced over all rows (the end-of-text token not counted)
    compactions: int = 0
    fell_back_at: int | None = None  # the forward pass after which drafting stopped (below break-even)

    @property
    def acceptance(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0


def default_max_draft(device: str) -> int:
    """Draft tokens verified per row and pass at most on a device type ("cpu", "cuda", "mps")."""
    return CPU_MAX_DRAFT if device == "cpu" else MAX_DRAFT


@dataclass
class DraftBudget:
    """How many draft tokens a batch verifies per pass, from its acceptance so far and what its passes cost.

    With acceptance p per draft token (the chance that the next one is right after the ones before were),
    k drafted tokens yield 1 + p(1 - p^k)/(1 - p) tokens per pass and cost 1 + c*k one-token steps; `cap`
    is the k that gives the most tokens per step, 0 (plain decoding, for the rest of the batch) when no k
    beats 1. c starts at the device's prior and follows the measured pass times once they span enough widths.
    Until the batch has shown its acceptance, a CPU starts with 4 tokens and grows with what is accepted.
    """

    max_draft: int
    cost_per_token: float
    accepted: int = 0
    rejections: int = 0
    stopped: bool = False
    times: dict[int, list[float]] = field(default_factory=dict)  # pass width -> seconds of its passes

    @property
    def acceptance(self) -> float:
        judged = self.accepted + self.rejections
        return self.accepted / judged if judged else 1.0

    def observe_row(self, proposed: int, accepted: int) -> None:
        """One row's pass: `accepted` of `proposed` draft tokens (a shorter prefix means one rejection)."""
        self.accepted += accepted
        self.rejections += int(accepted < proposed)

    def observe_pass(self, width: int, seconds: float) -> None:
        self.times.setdefault(width, []).append(seconds)

    def slope(self) -> float:
        """c: measured from the fastest pass at a narrow and at a wide width (3 passes each), else the prior."""
        seen = sorted(w for w, t in self.times.items() if len(t) >= 3)
        if len(seen) < 2 or seen[-1] - seen[0] < 8:
            return self.cost_per_token
        (w1, w2), (t1, t2) = (seen[0], seen[-1]), (min(self.times[seen[0]]), min(self.times[seen[-1]]))
        ratio = t2 / t1
        denom = (w2 - 1) - ratio * (w1 - 1)
        return max(0.0, (ratio - 1) / denom) if denom > 0 else self.cost_per_token

    def gain(self, k: int) -> float:
        """Expected tokens per one-token step when verifying k draft tokens per pass."""
        p = self.acceptance
        got = k if p >= 1.0 else p * (1 - p**k) / (1 - p)
        return (1 + got) / (1 + self.slope() * k)

    def cap(self) -> int:
        """Draft tokens to verify next pass (0: decode plainly from now on)."""
        if self.stopped:
            return 0
        if self.accepted + self.rejections < MIN_EVIDENCE:  # little known yet: start small where length costs
            return self.max_draft if self.cost_per_token < 0.05 else min(self.max_draft, 4 + 2 * self.accepted)
        sizes = sorted({k for k in (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128) if k < self.max_draft}
                       | {self.max_draft})
        best = max(sizes, key=self.gain)
        if self.gain(best) <= 1.0:
            self.stopped = True
            return 0
        return best


class DraftCursor:
    """Where one row stands in its draft; proposes the next draft tokens and follows the LLM's output."""

    def __init__(self, draft: Sequence[int], norm: Normalizer) -> None:
        self.draft = [int(t) for t in draft]
        self.norm = norm
        self.pos = 0
        self.synced = True
        self.tail = ""  # normalised text the LLM said since it left the draft
        self.since = 0  # tokens the LLM said since it left the draft
        pieces = [norm(t) for t in self.draft]
        self.text = "".join(pieces)
        self.offsets = [0]
        for p in pieces:
            self.offsets.append(self.offsets[-1] + len(p))
        self._ends: dict[int, int] = {}  # char offset -> the first token index that starts there
        for i, off in enumerate(self.offsets):
            self._ends.setdefault(off, i)

    def proposal(self, k: int) -> list[int]:
        """Up to `k` draft tokens to verify next (none while lost or exhausted)."""
        return self.draft[self.pos : self.pos + max(0, k)] if self.synced else []

    def accept(self, n: int) -> None:
        """The first `n` proposed tokens were accepted."""
        self.pos += n

    def observe(self, token: int) -> None:
        """The LLM's own token, which follows the accepted ones."""
        if self.synced and self.pos < len(self.draft) and self.draft[self.pos] == token:
            self.pos += 1
            return
        if self.synced:
            self.synced, self.tail, self.since = False, "", 0
        self.tail += self.norm(token)
        self.since += 1
        self._resync(token)

    def _resync(self, token: int) -> None:
        """Find where the draft picks up again after what the LLM said since it left the draft."""
        if not self.tail:  # only punctuation or spacing was inserted: the draft goes on where it was
            self.synced = True
            return
        start = self.offsets[self.pos]
        end = self._ends.get(start + len(self.tail))
        if end is not None and end > self.pos and self.text[start : start + len(self.tail)] == self.tail:
            return self._synced_at(end)  # the same words, spelled in other tokens or another case
        for i in range(self.pos, min(len(self.draft), self.pos + self.since + _LOOKAHEAD)):
            if self.draft[i] == token:  # a substituted, extra or missing token: the same token again
                return self._synced_at(i + 1)
        region = self.text[start : start + len(self.tail) + _SLACK]
        for size in _KEYS:
            if size > len(self.tail):
                continue
            key = self.tail[-size:]
            at = region.find(key)
            while at >= 0:
                end = self._ends.get(start + at + size)
                if end is not None and end > self.pos:
                    return self._synced_at(end)
                at = region.find(key, at + 1)
        if len(self.tail) > 4 * _SLACK:
            self.tail = self.tail[-2 * _SLACK :]

    def _synced_at(self, index: int) -> None:
        self.pos, self.synced, self.tail, self.since = index, True, "", 0


@dataclass
class _Row:
    index: int
    out: list[int]
    cursor: DraftCursor
    next_pos: int
    cap: int = MAX_DRAFT
    done: bool = False


def speculative_greedy(
    model: Any,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor,
    drafts: Sequence[Sequence[int]],
    max_new_tokens: int,
    stop_ids: Collection[int],
    norm: Normalizer,
    min_new_tokens: int = 0,
    eos_ids: Sequence[int] = (),
    pad_token_id: int = 0,
    max_draft: int = MAX_DRAFT,
    cost_per_token: float | None = None,
    lean: LeanDecoder | None = None,
) -> tuple[list[list[int]], SpeculativeStats]:
    """Greedy decode a left-padded batch of prompt embeddings, verifying `drafts` (one per row).

    `model` is a GraniteSpeech(Plus)ForConditionalGeneration (its `.model` gives hidden states, its
    `.lm_head` the logits). Returns each row's new token ids cut before the first of `stop_ids`, and the
    stats. `eos_ids` are kept from being chosen before `min_new_tokens` tokens (as `generate` does).
    `max_draft` caps the draft tokens per row and pass; `cost_per_token` is the prior of `DraftBudget`
    (default: the device's, `COST_PER_TOKEN`). `lean` runs the passes after the prefill (same results, less
    overhead on a CPU: `app.asr.granite.lean_decoder`). With empty drafts (or `max_draft=0`) every pass is one
    token per row: plain greedy decoding.
    """
    from transformers import DynamicCache

    stats = SpeculativeStats()
    batch, device = inputs_embeds.shape[0], inputs_embeds.device
    stops, eos = {int(t) for t in stop_ids}, sorted({int(t) for t in eos_ids})
    if len(drafts) != batch:
        raise ValueError("speculative_greedy needs one draft per row")
    mask = attention_mask.to(device=device, dtype=torch.long)
    prior = COST_PER_TOKEN.get(device.type, 0.1) if cost_per_token is None else cost_per_token
    budget = DraftBudget(max_draft, prior)
    cache = DynamicCache(config=model.config.text_config)
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    hidden = model.model(inputs_embeds=inputs_embeds, attention_mask=None if bool(mask.all()) else mask,
                         position_ids=positions, cache=cache, use_cache=True).last_hidden_state[:, -1]
    stats.forwards += 1
    first = _argmax(model, hidden, torch.full((batch,), min_new_tokens > 0, device=device), eos)
    rows = [_Row(i, [], DraftCursor(drafts[i], norm), int(n), max_draft) for i, n in enumerate(mask.sum(-1).tolist())]
    for row, token in zip(rows, first, strict=True):
        _emit(row, [token], stops, max_new_tokens)
        if not row.done:
            row.cursor.observe(token)
    valid = mask.bool()
    live = [r for r in rows if not r.done]
    if len(live) < len(rows):
        keep = [i for i, r in enumerate(rows) if not r.done]
        _select_rows(cache, keep, device)
        valid = valid[keep]
    while live:
        cap = budget.cap()
        if cap == 0 and stats.fell_back_at is None:
            stats.fell_back_at = stats.forwards
        props = [r.cursor.proposal(min(r.cap, cap, max_new_tokens - len(r.out) - 1)) if not r.done else []
                 for r in live]
        width = 1 + max(len(p) for p in props)
        ids = torch.full((len(live), width), pad_token_id, dtype=torch.long)
        block = torch.zeros((len(live), width), dtype=torch.bool)
        for j, (r, p) in enumerate(zip(live, props, strict=True)):
            if not r.done:
                ids[j, : 1 + len(p)] = torch.tensor([r.out[-1]] + p)
                block[j, : 1 + len(p)] = True
        block = block.to(device)
        starts = torch.tensor([r.next_pos for r in live], device=device)
        valid = torch.cat([valid, block], dim=1)
        started = time.perf_counter()
        position_ids = starts.unsqueeze(1) + torch.arange(width, device=device)
        if lean is not None:
            hidden = lean.forward(ids.to(device), position_ids, cache, valid)
        else:
            hidden = model.model(input_ids=ids.to(device), attention_mask=valid.long(), cache=cache, use_cache=True,
                                 position_ids=position_ids).last_hidden_state
        stats.forwards += 1
        where = block.nonzero()  # row-major, as hidden[block] is
        counts = torch.tensor([len(r.out) for r in live], device=device)  # tokens before each block's first output
        picks = _argmax(model, hidden[block], counts[where[:, 0]] + where[:, 1] < min_new_tokens, eos)
        budget.observe_pass(width, time.perf_counter() - started)  # the picks' .tolist() waited for the device
        chosen: list[list[int]] = [[] for _ in live]
        for j, tok in zip(where[:, 0].tolist(), picks, strict=True):
            chosen[j].append(tok)
        for j, (r, p) in enumerate(zip(live, props, strict=True)):
            if r.done:
                continue
            got = chosen[j]
            n = 0
            while n < len(p) and p[n] == got[n]:
                n += 1
            stats.drafted += len(p)
            stats.accepted += n
            if p:
                budget.observe_row(len(p), n)
            valid[j, valid.shape[1] - width + 1 + n :] = False  # rejected draft tokens become holes
            r.next_pos += 1 + n
            r.cursor.accept(n)
            r.cap = min(max_draft, 2 * r.cap) if n == len(p) else max(MIN_DRAFT, r.cap // 2)
            _emit(r, p[:n] + [got[n]], stops, max_new_tokens)
            if not r.done:
                r.cursor.observe(got[n])
        finished = [j for j, r in enumerate(live) if r.done]
        if finished and (len(finished) >= max(1, len(live) // 8) or len(finished) == len(live)):
            keep = [j for j, r in enumerate(live) if not r.done]
            live = [live[j] for j in keep]
            if not live:
                break
            _select_rows(cache, keep, device)
            valid = valid[keep]
        valid = _crop_trailing(cache, valid)
        valid, compacted = _maybe_compact(cache, valid)
        stats.compactions += compacted
    stats.emitted = sum(len(r.out) for r in rows)
    return [r.out for r in rows], stats


def _emit(row: _Row, tokens: list[int], stops: set[int], max_new: int) -> None:
    """Append tokens to a row's output, ending it at a stop token (not kept) or at the budget."""
    for tok in tokens:
        if tok in stops:
            row.done = True
            return
        row.out.append(tok)
        if len(row.out) >= max_new:
            row.done = True
            return


def _argmax(model: Any, hidden: torch.Tensor, suppress: torch.Tensor, eos: list[int]) -> list[int]:
    """Greedy token per hidden state [N, H]; rows flagged in `suppress` may not pick an end token."""
    out: list[torch.Tensor] = []
    for i in range(0, hidden.shape[0], _LOGIT_CHUNK):
        logits = model.lm_head(hidden[i : i + _LOGIT_CHUNK]).float()
        if eos and bool(suppress[i : i + _LOGIT_CHUNK].any()):
            sup = suppress[i : i + _LOGIT_CHUNK]
            logits[sup.nonzero()[:, :1], torch.tensor(eos, device=logits.device)] = float("-inf")
        out.append(logits.argmax(-1))
    return torch.cat(out).tolist() if out else []


# ---- the KV cache: rows, trailing holes, compaction ------------------------------------------------


def _layers(cache: Any) -> list[Any]:
    layers = getattr(cache, "layers", None)
    if layers is None:
        raise TypeError("speculative decoding needs a transformers DynamicCache with per-layer keys and values")
    return [layer for layer in layers if getattr(layer, "keys", None) is not None and layer.keys.numel() > 0]


def _select_rows(cache: Any, keep: list[int], device: torch.device) -> None:
    idx = torch.tensor(keep, dtype=torch.long, device=device)
    for layer in _layers(cache):
        layer.keys, layer.values = layer.keys[idx], layer.values[idx]


def _crop_trailing(cache: Any, valid: torch.Tensor) -> torch.Tensor:
    """Drop cache columns at the end that no row uses."""
    used = valid.any(0).nonzero()
    width = int(used[-1]) + 1 if used.numel() else 0
    if width < valid.shape[1]:
        for layer in _layers(cache):
            layer.keys, layer.values = layer.keys[:, :, :width], layer.values[:, :, :width]
        valid = valid[:, :width]
    return valid


def _maybe_compact(cache: Any, valid: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Gather each row's valid cache entries to the right (left padding) when holes waste a quarter."""
    counts = valid.sum(1)
    width, need = valid.shape[1], int(counts.max())
    if width - need < max(COMPACT_MIN_HOLES, width // COMPACT_FRACTION):
        return valid, 0
    rows = valid.shape[0]
    # a stable sort puts the holes first and keeps the valid entries in their order
    order = torch.sort(valid.to(torch.int8), dim=1, stable=True).indices[:, width - need :]
    for layer in _layers(cache):
        h, d = layer.keys.shape[1], layer.keys.shape[3]
        index = order.view(rows, 1, need, 1).expand(rows, h, need, d)
        layer.keys, layer.values = layer.keys.gather(2, index), layer.values.gather(2, index)
    return valid.gather(1, order), 1
