"""`verbatim models list` and `verbatim models download NAME`: what is known, what is cached, and getting it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.asr.engines.base import Capabilities
from app.asr.models.registry import MODELS, ModelSpec, cached_folder, find_spec
from app.core.errors import ModelError, VerbatimError


def capability_summary(caps: Capabilities) -> str:
    """One short line: languages and what else the model does."""
    parts = ["asr " + " ".join(caps.languages)]
    if caps.translation_to_english or caps.translation_targets:
        targets = (["en"] if caps.translation_to_english else []) + list(caps.translation_targets)
        parts.append("translate to " + " ".join(targets))
    for flag, label in (
        (caps.punctuation, "punctuation"),
        (caps.keywords, "keywords"),
        (caps.timestamps, "word timestamps"),
        (caps.speakers, "speakers"),
        (caps.alignment, "alignment"),
    ):
        if flag:
            parts.append(label)
    return "; ".join(parts)


def _status(spec: ModelSpec) -> tuple[str, Path | None]:
    try:
        folder = cached_folder(spec)
    except VerbatimError:
        return "partial", None
    return ("yes" if folder else "no"), folder


def list_models(out=None) -> int:
    """Print one block per known model."""
    out = out or sys.stdout
    for spec in MODELS.values():
        state, folder = _status(spec)
        pin = spec.revision or "unpinned"
        print(f"{spec.key:7} {spec.hub_id}  ({spec.size_hint}, revision {pin})", file=out)
        print(f"        {spec.description}", file=out)
        print(f"        can: {capability_summary(spec.capabilities)}", file=out)
        where = f"yes, {folder}" if folder else ("partly; download again" if state == "partial" else "no")
        print(f"        downloaded: {where}", file=out)
    return 0


def download_model(spec: ModelSpec) -> Path:
    """Download a model's safetensors, configs and tokenizer into the Hugging Face cache (progress on stderr)."""
    from huggingface_hub import constants

    from app.asr.models.model_store import ModelStore

    if constants.HF_HUB_OFFLINE:
        folder = cached_folder(spec)
        if folder is not None:
            return folder
        raise ModelError(
            f"Cannot download {spec.display_name}: Hugging Face offline mode is on (HF_HUB_OFFLINE); "
            "unset it and try again."
        )
    print(f"Downloading {spec.hub_id} into the Hugging Face cache ...", file=sys.stderr)
    progress = StderrProgress()
    try:
        return ModelStore().download(spec.key, progress)  # resumes: complete files are not fetched again
    finally:
        progress.close()


class StderrProgress:
    """The download's progress as one line on stderr: rewritten in place on a terminal, every 10% otherwise."""

    def __init__(self, stream=None, interval_s: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s = interval_s
        self._last_time = 0.0
        self._last_step = -1
        self._width = 0

    def __call__(self, p) -> None:
        import time

        text = p.describe()
        if self.tty:
            now = time.monotonic()
            if now - self._last_time >= self.interval_s or p.done >= p.total:
                self._last_time = now
                self.stream.write("\r" + text.ljust(self._width))
                self._width = len(text)
                self.stream.flush()
        elif int(p.fraction * 10) > self._last_step:
            self._last_step = int(p.fraction * 10)
            print(text, file=self.stream)

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    """Handler of `verbatim models ...`."""
    if args.models_command == "list":
        return list_models()
    if args.models_command == "download":
        spec = find_spec(args.name)
        if spec is None:
            raise ModelError(f"Unknown model '{args.name}': use one of {', '.join(MODELS)}.")
        folder = download_model(spec)
        print(f"{spec.display_name} is ready in {folder}")
        return 0
    raise ModelError(f"Unknown models action '{args.models_command}': use list or download.")
