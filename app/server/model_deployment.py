"""One Ray Serve deployment per model: it holds the weights once per replica and batches pieces from all jobs.

`ModelWorker(name, device)` loads a registry model (a key such as "2b" or a local folder) the way the app
does on one machine (`app.asr.catalog.LOCAL`). Each call decodes ONE piece; `@serve.batch` gathers the
pieces that arrive from every running job within `batch_wait_s` (at most `max_batch` of them) and decodes
them together. The runners decode a piece to the same output whatever batch it is in (the AR runner's
exact batches, the NAR model's packed sequences), so a piece gives the server the words it gives locally.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from ray import serve


@dataclass(frozen=True)
class ARPiece:
    """One piece for an autoregressive model: its samples, the instruction and the token budget of its batch."""

    samples: np.ndarray
    instruction: str
    max_new_tokens: int


class ModelWorker:
    """A loaded model in one replica (wrapped by `serve.deployment` in `app.server.application`)."""

    def __init__(self, name: str, device: str | None, max_batch: int, batch_wait_s: float) -> None:
        from app.asr.catalog import LOCAL
        from app.asr.models.registry import resolve_model

        spec, folder = resolve_model(name)
        assert folder is not None
        self.family = spec.family
        if spec.family == "nar":
            self.model, _tokenizer = LOCAL.nar((spec, folder), device)
        else:
            self.model = LOCAL.ar((spec, folder), device)
        self.device = str(self.model.device)
        handlers: tuple[Any, ...] = (self.generate, self.run_nar)
        for handler in handlers:
            handler.set_max_batch_size(max_batch)
            handler.set_batch_wait_timeout_s(batch_wait_s)

    def pid(self) -> int:
        """This replica's process id (the fault-tolerance test kills it)."""
        return os.getpid()

    def describe(self) -> dict[str, Any]:
        """What the ingress needs to build its engines: the device and, for NAR, the frame and blank facts."""
        out: dict[str, Any] = {"device": self.device, "family": self.family}
        if self.family == "nar":
            out["blank_token_id"] = int(self.model.cfg.blank_token_id)
        return out

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.05)
    async def generate(self, pieces: list[ARPiece]) -> list[str]:
        """Greedy text of each piece; pieces with the same instruction and budget are decoded together."""
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, piece in enumerate(pieces):
            groups[(piece.instruction, piece.max_new_tokens)].append(i)
        out = [""] * len(pieces)
        for (instruction, budget), rows in groups.items():
            texts = self.model.generate([pieces[i].samples for i in rows], instruction, budget)
            for i, text in zip(rows, texts, strict=True):
                out[i] = text
        return out

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.05)
    async def run_nar(self, pieces: list[np.ndarray]) -> list[Any]:
        """The NAR model's result (token ids and CTC posteriors) of each piece, all in one packed batch."""
        return list(self.model.run(pieces))
