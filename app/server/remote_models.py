"""Stand-ins for loaded models that send each piece to a model deployment, with bounded retries.

The ingress builds the very engines the app runs locally (`app.asr.catalog`, with `DeploymentLoader` in
place of `LOCAL`): planning pieces, stitching, merging and speaker linking run exactly as on one machine,
and only the model calls travel. Each piece is its own request, so `@serve.batch` on the model side
batches pieces of all jobs together. A request that fails because its replica died is sent again (Serve
starts a new replica) up to `retries` times; a result is used once, so nothing is lost or doubled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.asr.catalog import Resolved
from app.asr.engines.base import CancelToken
from app.core.errors import Cancelled, ModelError
from app.server.model_deployment import ARPiece

log = logging.getLogger(__name__)

POLL_S = 0.2


@dataclass
class RetryPolicy:
    """How often a piece is sent again after its replica failed, and how long one try may take."""

    retries: int = 3
    backoff_s: float = 1.0
    timeout_s: float = 600.0


def call_pieces(submit: Callable[[Any], Any], items: Sequence[Any], cancel: CancelToken | None,
                policy: RetryPolicy) -> list[Any]:
    """Send every item (one request each), wait for all results in order; retry failed ones; honour cancel."""
    results: list[Any] = [None] * len(items)
    pending = {i: submit(item) for i, item in enumerate(items)}
    tries = dict.fromkeys(pending, 0)
    started = dict.fromkeys(pending, time.monotonic())
    while pending:
        if cancel is not None and cancel.cancelled:
            for response in pending.values():
                response.cancel()
            raise Cancelled("Transcription was cancelled.")
        for i, response in list(pending.items()):
            try:
                results[i] = response.result(timeout_s=POLL_S)
            except TimeoutError:
                if time.monotonic() - started[i] > policy.timeout_s:
                    raise ModelError("A model replica took too long to answer; try again later.") from None
                continue
            except (ModelError, Cancelled):
                raise
            except Exception as exc:  # the replica died or was restarted: send the piece again
                tries[i] += 1
                if tries[i] > policy.retries:
                    raise ModelError(f"A model replica failed {tries[i]} times on the same piece; "
                                     "the pieces done so far are kept.") from exc
                log.warning("piece %d failed (%s); retry %d of %d", i, type(exc).__name__, tries[i], policy.retries)
                time.sleep(policy.backoff_s * tries[i])
                pending[i] = submit(items[i])
                started[i] = time.monotonic()
                continue
            del pending[i]
    return results


class RemoteRunner:
    """Behaves like `ARRunner` for the engines (spec, device, generate), decoding on a model deployment."""

    def __init__(self, spec: Any, handle: Any, device: str, cancel: CancelToken | None, policy: RetryPolicy) -> None:
        self.spec = spec
        self.device = device
        self._handle = handle
        self._cancel = cancel
        self._policy = policy

    def generate(self, pieces: Sequence[np.ndarray], instruction: str, max_new_tokens: int,
                 prefix_texts: Sequence[str | None] | None = None) -> list[str]:
        if prefix_texts and any(prefix_texts):
            raise ModelError("The server does not decode with a prefix text.")
        items = [ARPiece(np.asarray(p, dtype=np.float32), instruction, int(max_new_tokens)) for p in pieces]
        return call_pieces(lambda item: self._handle.generate.remote(item), items, self._cancel, self._policy)


@dataclass(frozen=True)
class _NarFacts:
    blank_token_id: int


class RemoteNarModel:
    """Behaves like `NarModel` for `NarEngine` (run, cfg.blank_token_id, device), decoding on a deployment."""

    def __init__(self, handle: Any, blank_token_id: int, device: str, cancel: CancelToken | None,
                 policy: RetryPolicy) -> None:
        self.cfg = _NarFacts(blank_token_id)
        self.device = device
        self._handle = handle
        self._cancel = cancel
        self._policy = policy

    def run(self, waveforms: Sequence[np.ndarray]) -> list[Any]:
        items = [np.asarray(w, dtype=np.float32) for w in waveforms]
        return call_pieces(lambda item: self._handle.run_nar.remote(item), items, self._cancel, self._policy)


class DeploymentLoader:
    """A `ModelLoader` (see app.asr.catalog) whose models live in deployments: `handles[model key]`."""

    def __init__(self, handles: dict[str, Any], facts: dict[str, dict[str, Any]], cancel: CancelToken | None,
                 policy: RetryPolicy) -> None:
        self._handles = handles
        self._facts = facts
        self._cancel = cancel
        self._policy = policy

    def _handle(self, model: Resolved) -> tuple[Any, dict[str, Any]]:
        key = model[0].key
        if key not in self._handles:
            raise ModelError(f"This server does not serve {model[0].display_name}.")
        return self._handles[key], self._facts[key]

    def ar(self, model: Resolved, device: str | None) -> Any:
        handle, facts = self._handle(model)
        return RemoteRunner(model[0], handle, str(facts["device"]), self._cancel, self._policy)

    def nar(self, model: Resolved, device: str | None) -> tuple[Any, Any]:
        from app.asr.nar.tokenizer import load_tokenizer

        handle, facts = self._handle(model)
        remote = RemoteNarModel(handle, int(facts["blank_token_id"]), str(facts["device"]), self._cancel,
                                self._policy)
        return remote, load_tokenizer(model[1])
