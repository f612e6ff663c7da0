"""Which transcription choices can run on this computer now, in words a person reads.

A choice in the toolbar (a model, or the Interview pipeline that needs two) is "installed" when every
model it needs is on this computer, "partly installed" when some of them are (or one is half downloaded)
and "not installed" otherwise. `choice_states` is the one place that works this out; the toolbar's model
list, the missing-models dialog and the Transcribe check all read it. It takes the list of choices, so a
catalog of choices built elsewhere can be handed in as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.asr import catalog
from app.asr.models.model_store import ModelStatus, ModelStore, format_bytes
from app.asr.models.registry import MODELS


def required_models(choice: str) -> tuple[str, ...]:
    """The model keys a choice needs on this computer, from the catalog (a server's choices need none here)."""
    found = catalog.find(choice)
    if found is None or found.remote:
        return ()
    return found.models


def model_name(key: str) -> str:
    """The name people see for a model key (the catalog's label, else the registry's name)."""
    choice = catalog.find(key)
    if choice is not None and not choice.remote:
        return choice.label
    spec = MODELS.get(key)
    return spec.display_name if spec is not None else key


def size_text(status: ModelStatus) -> str:
    """"~4.7 GB", or "1.2 GB of ~4.7 GB downloaded" for a partial download."""
    hint = status.spec.size_hint or "size unknown"
    if status.state == "partial":
        return f"{format_bytes(status.size_bytes)} of {hint} downloaded"
    return hint


@dataclass(frozen=True)
class ChoiceState:
    """One transcription choice on this computer: `state` is "installed", "partly" or "missing"."""

    choice: str
    state: str
    parts: tuple[ModelStatus, ...]

    @property
    def missing(self) -> tuple[ModelStatus, ...]:
        """The models still to get (not downloaded or only partly)."""
        return tuple(p for p in self.parts if p.state != "ready")

    @property
    def ready(self) -> bool:
        return self.state == "installed"

    def label(self) -> str:
        """The short mark shown after the choice's name in the model list."""
        return {"installed": "installed", "partly": "partly installed"}.get(self.state, "not installed")

    def details(self) -> str:
        """A line per model the choice needs: name, state and size."""
        lines = []
        for p in self.parts:
            state = {"ready": "installed", "partial": "partly downloaded"}.get(p.state, "not installed")
            size = format_bytes(p.size_bytes) if p.state == "ready" and p.size_bytes else size_text(p)
            lines.append(f"{model_name(p.spec.key)}: {state} ({size})")
        return "\n".join(lines)


def choice_states(choices: Iterable[str], store: ModelStore) -> dict[str, ChoiceState]:
    """The state of each choice; a model two choices share is looked up once."""
    cache: dict[str, ModelStatus] = {}
    out: dict[str, ChoiceState] = {}
    for choice in choices:
        parts = []
        for key in required_models(choice):
            if key not in cache:
                cache[key] = store.status(key)
            parts.append(cache[key])
        ready = sum(p.state == "ready" for p in parts)
        begun = any(p.state == "partial" for p in parts)
        if ready == len(parts):
            state = "installed"
        elif ready or begun:
            state = "partly"
        else:
            state = "missing"
        out[choice] = ChoiceState(choice, state, tuple(parts))
    return out


def missing_models(states: Sequence[ChoiceState]) -> list[ModelStatus]:
    """Every model the given choices still need, each once, in order."""
    seen: dict[str, ModelStatus] = {}
    for state in states:
        for p in state.missing:
            seen.setdefault(p.spec.key, p)
    return list(seen.values())


def offline_steps() -> str:
    """What to do without internet access, in GUI words (never a command line)."""
    return ("No internet on this computer? On a computer that has it, download the model folder from "
            "huggingface.co (the ibm-granite page of the model), copy that folder (the one with config.json) "
            "to this computer, for example on a USB stick, then open Transcribe \u25b8 Models\u2026 and choose "
            "\u201cCopy from folder\u2026\u201d to copy it in, or \u201cUse local folder\u2026\u201d to use it "
            "where it is.")


_COMMAND = re.compile(r";?\s*run `verbatim [^`]*`(?: again)?(?: or pass a local folder with --model)?")


def without_command_line(text: str) -> str:
    """A model error from the engines, with its command-line advice put in GUI words."""
    if "`verbatim " not in text:
        return text
    return _COMMAND.sub("; get it in Transcribe \u25b8 Models\u2026", text).replace("`", "")
