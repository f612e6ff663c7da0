"""`verbatim models list` and `verbatim models download NAME`: what is known, what is cached, and getting it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.asr.engine import Capabilities
from app.asr.registry import DOWNLOAD_PATTERNS, MODELS, ModelSpec, cached_folder, find_spec
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
        pin = spec.revision[:12] if spec.revision else "unpinned"
        print(f"{spec.key:7} {spec.hub_id}  ({spec.size_hint}, revision {pin})", file=out)
        print(f"        {spec.description}", file=out)
        print(f"        can: {capability_summary(spec.capabilities)}", file=out)
        where = f"yes, {folder}" if folder else ("partly; download again" if state == "partial" else "no")
        print(f"        downloaded: {where}", file=out)
    return 0


def download_model(spec: ModelSpec) -> Path:
    """Download a model's safetensors, configs and tokenizer into the Hugging Face cache (progress on stderr)."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    if constants.HF_HUB_OFFLINE:
        folder = cached_folder(spec)
        if folder is not None:
            return folder
        raise ModelError(
            f"Cannot download {spec.display_name}: Hugging Face offline mode is on (HF_HUB_OFFLINE); unset it and try again."
        )
    print(f"Downloading {spec.hub_id} into the Hugging Face cache ...", file=sys.stderr)
    try:
        folder = snapshot_download(spec.hub_id, revision=spec.revision, allow_patterns=list(DOWNLOAD_PATTERNS))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise ModelError(
            f"Cannot download {spec.display_name}: the Hugging Face Hub cannot be reached (offline or no network)."
        ) from None
    except OSError as exc:
        raise ModelError(f"Downloading {spec.display_name} failed ({str(exc).splitlines()[0][:160]}).") from None
    return Path(folder)


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
